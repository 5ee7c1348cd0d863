"""The built wheel is the whole service: installed alone in a fresh virtualenv, away from this
checkout, it serves the review pages with their static files and the API schema.

The Docker image installs the same wheel; before package discovery it worked only because the
copied source shadowed an installed package that lacked the views, serializers, templates and
static files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from harness.processes import ROOT, Process, free_port, service_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run(*command: str | Path, cwd: Path) -> None:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy, as Dockerfile copies the source: setuptools leaves build/ beside the source.
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in ("reviews", "reviewsvc"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out, source, cwd=out)
    return next(out.glob("reviewsvc-*.whl"))


def test_the_wheel_holds_every_package_and_the_page_files_but_no_development_tools(wheel):
    names = zipfile.ZipFile(wheel).namelist()

    for expected in (
        "reviews/views/__init__.py",
        "reviews/serializers/__init__.py",
        "reviews/migrations/0001_initial.py",
        "reviews/management/commands/reprocess.py",
        "reviews/media/pipeline.py",
        "reviews/templates/reviews/version.html",
        "reviews/static/reviews/review.css",
        "reviews/static/reviews/js/version.js",
        "reviewsvc/settings.py",
    ):
        assert expected in names
    assert not [name for name in names if name.split("/")[0] in ("tests", "harness", "bench")]


def test_the_installed_wheel_serves_a_page_its_static_files_and_the_schema(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    # The dependencies as pinned for production, from pip's cache or the registry.
    pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet")
    run(*pip, "--constraint", ROOT / "constraints.txt", wheel, cwd=tmp_path)

    port = free_port()
    env = service_env(
        tmp_path / "media",
        REVIEWSVC_VAR_DIR=str(tmp_path / "var"),
        # Nothing of the checkout may be found: not on the path, not as the working folder.
        PYTHONPATH="",
        PYTHONSAFEPATH="1",
    )
    server = Process(
        "installed",
        [
            str(venv / "bin" / "gunicorn"),
            "reviewsvc.asgi",
            "--config",
            "python:reviewsvc.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        log_dir=tmp_path,
        cwd=tmp_path,
    ).start()
    try:
        base = f"http://127.0.0.1:{port}"

        def answers() -> requests.Response | None:
            assert server.alive(), server.output()[-3000:]
            try:
                return requests.get(f"{base}/accounts/login/", timeout=5)
            except requests.ConnectionError:
                return None

        login = wait_for(answers, timeout=60, what="the installed service answering")
        assert login.status_code == 200, server.output()[-3000:]
        assert 'name="password"' in login.text
        css = requests.get(f"{base}/static/reviews/review.css", timeout=5)
        assert css.status_code == 200
        assert css.headers["Content-Type"].startswith("text/css")
        script = requests.get(f"{base}/static/reviews/js/version.js", timeout=5)
        assert script.status_code == 200
        schema = requests.get(f"{base}/api/v1/schema/", timeout=30)
        assert schema.status_code == 200, server.output()[-3000:]
        assert "/api/v1/versions/{id}/" in schema.text
        # The gunicorn settings ship in the wheel: what gunicorn refuses itself is JSON.
        # Past the server's 16 KiB limit on a request's head (reviewsvc/server_errors.py, docs/live.md).
        too_long = requests.get(f"{base}/{'a' * 20000}", timeout=5)
        assert too_long.status_code == 431
        assert "detail" in too_long.json()
    finally:
        server.stop()
    installed = subprocess.run(
        [venv / "bin" / "python", "-P", "-c", "import reviews; print(reviews.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert installed.startswith(str(venv)), f"reviews came from {installed}, not the wheel"
