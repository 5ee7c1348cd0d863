"""Real server processes for the tests and the benchmarks: gunicorn, a Celery worker, a private Redis.

Each is started on a free port of 127.0.0.1 with its output in a log file, and is
stopped (and, if need be, killed) with its whole process group by whoever started
it. By default a process gets the environment of ``service_env()``: the test
database (the test must commit its rows: ``django_db(transaction=True)``), the
test's media folder and its own queue, so nothing touches the machine's shared
Redis or PostgreSQL beyond them; the benchmarks pass their own ``env``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, every: float = 0.1) -> object:
    """Poll until condition() is truthy; its value, or AssertionError naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(every)


def test_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test_* database)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def service_env(media_root: Path | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a server process that shares this test's database, media folder and queue."""
    from reviewsvc.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reviewsvc.settings",
        "DATABASE_URL": test_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "REVIEWSVC_MEDIA_ROOT": str(media_root or settings.MEDIA_ROOT),
        "REVIEWSVC_CELERY_QUEUE": app.conf.task_default_queue,
        # The channel prefix otherwise hashes the database name, which differs in this process.
        "REVIEWSVC_LIVE_CHANNEL_PREFIX": settings.LIVE_CHANNEL_PREFIX,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


class Process:
    """A subprocess whose output goes to a log file, stopped for sure at the end."""

    def __init__(
        self, name: str, command: list[str], *, env: dict[str, str], log_dir: Path, cwd: Path = ROOT
    ) -> None:
        self.name = name
        self.cwd = cwd
        self.command = command
        self.env = env
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its children (gunicorn's and Celery's workers) go with it
        )
        log_file.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send sig to the main process only (its children are left to notice)."""
        if self.alive():
            os.kill(self.pid, sig)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        """Stop the whole process group: gracefully, then for sure."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children of a killed main process may linger in the group for a moment.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def children(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


class Gunicorn(Process):
    def __init__(
        self,
        log_dir: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        threads: int = 4,
        extra: tuple[str, ...] = (),
        media_root: Path | None = None,
        ready_headers: dict[str, str] | None = None,
        app: str = "reviewsvc.asgi",
        **overrides: str,
    ) -> None:
        self.port = free_port()
        self.ready_headers = ready_headers or {}
        command = [
            str(BIN / "gunicorn"),
            app,
            *("--bind", f"127.0.0.1:{self.port}"),
            # The repository's configuration (worker class, limits), as production runs it.
            *("--config", "python:reviewsvc.gunicorn_conf"),
            *("--workers", str(workers)),
            *("--timeout", "60", "--graceful-timeout", "5"),
            *extra,
        ]
        env = env if env is not None else service_env(media_root, **overrides)
        # The API's threads per process under the ASGI server (reviewsvc/asgi.py).
        env = {"REVIEWSVC_WEB_THREADS": str(threads), **env}
        super().__init__("gunicorn", command, env=env, log_dir=log_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        super().start()

        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"gunicorn exited:\n{self.output()[-3000:]}")
            try:
                answer = requests.get(f"{self.url}/api/v1/", headers=self.ready_headers, timeout=2)
                return answer.status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, timeout=30, what="gunicorn answering")
        return self


class CeleryWorker(Process):
    def __init__(
        self,
        log_dir: Path,
        *,
        name: str = "worker",
        env: dict[str, str] | None = None,
        media_root: Path | None = None,
        **overrides: str,
    ) -> None:
        command = [
            str(BIN / "celery"),
            *("-A", "reviewsvc", "worker", "--pool", "prefork", "--concurrency", "1"),
            *("--loglevel", "INFO", "--without-mingle", "--without-gossip", "--hostname", f"{name}@%h"),
        ]
        env = env if env is not None else service_env(media_root, **overrides)
        super().__init__(name, command, env=env, log_dir=log_dir)

    def ready(self) -> bool:
        return "ready." in self.output()

    def start(self) -> CeleryWorker:
        super().start()
        wait_for(
            lambda: self.ready() or not self.alive(), timeout=60, what=f"Celery worker {self.name} starting"
        )
        assert self.alive(), self.output()[-3000:]
        return self

    def pool_child(self) -> int:
        """The prefork child that runs the tasks."""
        return wait_for(lambda: children(self.pid) and children(self.pid)[0], timeout=10, what="a pool child")


class PrivateRedis(Process):
    """A redis-server of the test's own: with an append-only log, so that a restart keeps its data,
    or, like this machine's Redis, keeping nothing on disk."""

    def __init__(self, log_dir: Path, *, persistent: bool = True) -> None:
        self.port = free_port()
        self.persistent = persistent
        self.data = log_dir / "redis-data"
        self.data.mkdir(exist_ok=True)
        command = [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data)),
            *(("--appendonly", "yes", "--appendfsync", "always") if persistent else ("--appendonly", "no")),
            *("--save", ""),
        ]
        super().__init__(f"redis-{self.port}", command, env=dict(os.environ), log_dir=log_dir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        super().start()
        wait_for(self.answers, timeout=20, what="redis answering")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        self.stop()
        self.start()
