"""What every benchmark runs against: a bench database on this machine's PostgreSQL, a private
queue on its Redis, a real Celery worker and gunicorn as subprocesses, and a sampler of the
memory of their process trees.

Other people run tests on this machine at the same time, so nothing here touches their
databases or queues: the database is `bench_reviewsvc` (dropped and made anew each run) and
the queue name is random.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from harness.processes import ROOT, CeleryWorker, Gunicorn, Process

VAR = ROOT / "var" / "bench"
SOURCES = VAR / "sources"  # generated clips, kept between runs
MEDIA = VAR / "media"  # the service's MEDIA_ROOT, emptied each run
LOGS = VAR / "logs"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
DB_NAME = os.getenv("BENCH_DB_NAME", "bench_reviewsvc")


def configure() -> None:
    """Point this process and every child at the bench database, queue and media folder.

    The settings are production's (DEBUG off, PostgreSQL, Redis broker and cache, persistent
    database connections), not the tests'.
    """
    if not DB_NAME.startswith("bench_"):
        raise SystemExit(f"BENCH_DB_NAME must start with bench_, not {DB_NAME!r}: the run drops it.")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="reviewsvc.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=f"bench-{secrets.token_hex(24)}",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"{POSTGRES}/{DB_NAME}",
        CELERY_BROKER_URL=f"{REDIS}/0",
        # Production keeps the cache (throttle counters) in Redis; a database of its own here.
        REDIS_URL=f"{REDIS}/13",
        REVIEWSVC_CELERY_QUEUE=f"bench-{secrets.token_hex(4)}",
        REVIEWSVC_MEDIA_ROOT=str(MEDIA),
        REVIEWSVC_VAR_DIR=str(VAR / "state"),
    )


def create_database() -> None:
    """Drop and create the bench database, set Django up and migrate it."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DB_NAME}"')
    shutil.rmtree(MEDIA, ignore_errors=True)
    for folder in (MEDIA, LOGS, SOURCES, VAR / "state" / "static"):
        folder.mkdir(parents=True, exist_ok=True)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


class TreeSampler:
    """Samples the resident memory of a process and all its descendants every `period` seconds.

    It keeps the peak of their sum since the last reset, and when it last saw a process named
    `watch` in the tree: ffmpeg, to tell its run time from the worker's own overhead.
    """

    def __init__(self, pid: int, *, period: float = 0.1, watch: str = "ffmpeg") -> None:
        self.root = psutil.Process(pid)
        self.period = period
        self.watch = watch
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.reset()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"sampler-{pid}")
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self.peak = self.current()
            self.watched_first: float | None = None
            self.watched_last: float | None = None

    def current(self) -> int:
        total = 0
        for process in self._tree():
            with contextlib.suppress(psutil.Error):  # it ended between listing and reading
                total += process.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """CPU time used so far by the tree, its ended and reaped children included."""
        total = 0.0
        for process in self._tree():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return []

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            now = time.time()
            total, seen = 0, False
            for process in self._tree():
                try:
                    total += process.memory_info().rss
                    seen = seen or process.name() == self.watch
                except psutil.Error:
                    pass
            with self._lock:
                self.peak = max(self.peak, total)
                if seen:
                    self.watched_first = self.watched_first or now
                    self.watched_last = now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Service:
    """A process of the harness, as production runs it, and the sampler of its process tree."""

    process: Process
    sampler: TreeSampler

    @classmethod
    def start(cls, process: Process) -> Service:
        process.start()
        return cls(process, TreeSampler(process.pid))

    def stop(self) -> None:
        self.sampler.stop()
        self.process.stop(timeout=30)  # a warm shutdown for both celery and gunicorn


def start_worker() -> Service:
    """`celery -A reviewsvc worker` as `make run` starts it: one process in its pool, so one clip
    at a time with ffmpeg's two threads on this machine's two cores."""
    return Service.start(CeleryWorker(LOGS, name=f"bench-{secrets.token_hex(4)}", env=dict(os.environ)))


def start_web(server: str = "asgi") -> Service:
    """gunicorn as docker-compose.yml runs it in production: 2 uvicorn worker processes with 4 API
    threads each; `server="wsgi"` runs the former gthread workers (4 threads) to compare against."""
    if server == "wsgi":
        extra = ("--worker-class", "reviewsvc.server_errors.JSONErrorWorker", "--threads", "4")
        return Service.start(
            Gunicorn(
                LOGS,
                env=dict(os.environ),
                workers=2,
                app="reviewsvc.wsgi",
                extra=(*extra, "--timeout", "120"),
            )
        )
    return Service.start(
        Gunicorn(LOGS, env=dict(os.environ), workers=2, threads=4, extra=("--timeout", "120"))
    )


def machine() -> dict[str, object]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True, check=False
        ).stdout.split("\n", 1)[0],
    }


def mib(size: float) -> float:
    return size / 1024**2
