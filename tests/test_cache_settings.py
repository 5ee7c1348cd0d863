"""`make run`'s file cache keeps throttle counts however many other keys arrive.

Django's FileBasedCache deletes a third of its entries at random once it holds 300 (its default
MAX_ENTRIES): a tester's 400 requests for made-up invitation tokens wiped a lockout count. The
cache `make run` gets (REVIEWSVC_CACHE_DIR, no REDIS_URL) is read from the settings module in a
process of its own, then filled past that point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache

ROOT = Path(__file__).resolve().parent.parent


def make_run_cache(cache_dir: Path) -> dict:
    env = {
        **os.environ,
        "REVIEWSVC_CACHE_DIR": str(cache_dir),
        "DJANGO_SETTINGS_MODULE": "reviewsvc.settings",
    }
    env.pop("REDIS_URL", None)
    script = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES['default']))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_lockout_count_survives_a_burst_of_other_keys_in_make_runs_file_cache(tmp_path):
    config = make_run_cache(tmp_path / "cache")
    assert config["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    cache = FileBasedCache(config["LOCATION"], {"TIMEOUT": 3600, "OPTIONS": config.get("OPTIONS", {})})
    cache.set("passphrase-misses:link-1:10.77.0.1", 5)
    for index in range(400):
        cache.set(f"invitation-miss:{index}", 1)
    assert cache.get("passphrase-misses:link-1:10.77.0.1") == 5
