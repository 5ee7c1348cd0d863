"""Shared fixtures: a project with one person per role, clients signed in as each.

Alice directs the film, Bob mentors, Carol reviews, Dave watches; Eve has no
access to it; Sam is staff.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from celery import signals

# Django-free test modules (ffmpeg, timecode) run without settings, so Django
# is imported inside the fixtures that need it.

# Runs sharing this machine's Redis must not take each other's jobs.
TEST_QUEUE = f"reviewsvc-test-{uuid.uuid4().hex[:8]}"


# What keeps a test out of the fast lane (`-m "not slow"`): it needs chromium or a Celery worker.
_SLOW_MARKERS = {"pipeline", "browser"}
_SLOW_FIXTURES = {"celery_worker", "live_server", "browser", "asgi_server"}


def pytest_collection_modifyitems(config, items) -> None:
    """Refuse a test that starts the worker or the browser but would run in the fast lane."""
    unmarked = [
        item.nodeid
        for item in items
        if item.get_closest_marker("slow") is None
        and (
            any(item.get_closest_marker(name) for name in _SLOW_MARKERS)
            or _SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
    ]
    if unmarked:
        raise pytest.UsageError("Mark these tests slow (pytest.mark.slow):\n  " + "\n  ".join(unmarked))


def _django_enabled(request) -> bool:
    return request.config.pluginmanager.hasplugin("django")


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path):
    if not _django_enabled(request):
        return
    settings = request.getfixturevalue("settings")
    # Real password hashing costs a third of a second a user; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "media" / "tmp")
    # Rate limits and secret-guessing counts live in the cache; every test from
    # 127.0.0.1 would otherwise inherit the misses of the tests before it.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _private_queue(request):
    if not _django_enabled(request):
        return
    from reviewsvc.celery import app

    app.conf.task_default_queue = TEST_QUEUE
    # Live pages' pub/sub channels are named after the queue (reviews/live.py), apart from other runs.
    from django.conf import settings

    settings.LIVE_CHANNEL_PREFIX = TEST_QUEUE


@pytest.fixture
def project(db):
    from tests.factories import ProjectFactory

    return ProjectFactory(name="The Hesitation")


def member(project, username: str, role: str):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username=username)
    MembershipFactory(project=project, user=user, role=role)
    return user


@pytest.fixture
def director(project):
    return member(project, "alice", "director")


@pytest.fixture
def mentor(project):
    return member(project, "bob", "mentor")


@pytest.fixture
def reviewer(project):
    return member(project, "carol", "reviewer")


@pytest.fixture
def viewer(project):
    return member(project, "dave", "viewer")


@pytest.fixture
def outsider(db):
    from tests.factories import UserFactory

    return UserFactory(username="eve")


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="sam", is_staff=True)


@pytest.fixture
def shot(project):
    from tests.factories import ShotFactory

    return ShotFactory(project=project, code="SH010", title="The touch")


def client_for(user=None):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    return client_for


@pytest.fixture
def smtp(settings):
    """A real SMTP server in this process; Django's mail goes to it for the test (harness/smtp.py)."""
    from harness.smtp import SmtpSink

    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def quick_live_streams(settings):
    """Live streams that poll, settle gaps and re-check access within about a second (docs/live.md)."""
    settings.LIVE_POLL_MS = 200
    settings.LIVE_GAP_MS = 1500
    settings.LIVE_RECHECK_SECONDS = 1


@pytest.fixture
def asgi_server(tmp_path, settings):
    """The real ASGI server (gunicorn with the repository's uvicorn worker) for this test's database,
    with this test's secret key, so sessions made in the test are the server's too."""
    from harness.processes import Gunicorn

    gunicorn = Gunicorn(
        tmp_path, workers=1, threads=4, media_root=settings.MEDIA_ROOT, DJANGO_SECRET_KEY=settings.SECRET_KEY
    ).start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium (tests/browser.py), one per test module that asks for it."""
    from tests.browser import chromium

    with chromium() as browser:
        yield browser


_worker_running = False
# How long the in-process worker must stay idle before a test's database is flushed.
IDLE_FOR_SECONDS = 0.3


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real Celery worker, in a thread of this process, consuming this run's queue on Redis."""
    global _worker_running
    from celery.contrib.testing.worker import start_worker

    from reviewsvc.celery import app

    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as worker:
        _worker_running = True
        try:
            yield worker
        finally:
            _worker_running = False


def _wait_until_the_worker_is_idle(timeout: float = 20) -> None:
    """Until the in-process worker holds no job and none waits in this run's queue.

    A test's last write may queue a job after commit (an event's fan-out): if the worker ran
    it while the database is flushed for the next test, the TRUNCATE and its query deadlock.
    """
    import time

    from celery.worker import state

    from reviewsvc.celery import app

    deadline = time.monotonic() + timeout
    idle_since = None
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        while time.monotonic() < deadline:
            try:
                waiting = channel.queue_declare(app.conf.task_default_queue, passive=True).message_count
            except connection.channel_errors:
                waiting = 0  # Redis keeps no empty queue
            if waiting or state.active_requests or state.reserved_requests:
                idle_since = None
            else:
                # A message the worker has fetched but not yet counted as reserved is in neither
                # place for a moment (a job queued by the job that just ended): idle must last.
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= IDLE_FOR_SECONDS:
                    return
            time.sleep(0.05)


def _revoke_the_scheduled_jobs() -> None:
    """Jobs a test left for later (a countdown: mail "soon", a webhook's retry) never run in another.

    The worker holds such a job until its time comes. When that time fell during a later test's
    database flush, the job's query and the TRUNCATE deadlocked (CI: "Database couldn't be
    flushed"), and otherwise it would act on the later test's rows. A revoked job is dropped when
    its time comes, before it reads anything.
    """
    from celery.worker import state

    for request in tuple(state.scheduled_requests):
        state.revoked.add(request.id)


def _close_the_tabs(item) -> None:
    """A test's tabs close when it ends, though the browser serves the whole module.

    A tab left open went on polling and playing: its requests reached the live server while the
    next test was being set up (a 500 from the database blocker in the log), and its decoding
    took the CPU from the next test's player.
    """
    browser = getattr(item, "funcargs", {}).get("browser")
    if browser is not None:
        for context in browser.contexts:
            context.close()


class _JobCounts:
    """Jobs this process has published, and its worker has received, since the run began.

    Counted from Celery's signals, which fire in the process that publishes (a test, a live
    server's thread, a job) and in the one whose worker receives.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.published = 0
        self.received = 0

    def count_published(self, **kwargs) -> None:
        with self.lock:
            self.published += 1

    def count_received(self, **kwargs) -> None:
        with self.lock:
            self.received += 1

    def now(self) -> tuple[int, int]:
        with self.lock:
            return self.published, self.received


_jobs = _JobCounts()
signals.after_task_publish.connect(_jobs.count_published, weak=False)
signals.task_received.connect(_jobs.count_received, weak=False)

# Fixtures that run the worker, or servers of their own (other processes) whose jobs this
# process would not count.
_WORKS_WITH_JOBS = frozenset(
    {"celery_worker", "gunicorn", "asgi_server", "server", "live_server", "workers", "redis_server", "wheel"}
)


def _left_nothing_to_the_worker(item) -> bool:
    """Whether a test can have left the worker nothing to do: it used no worker or server of its
    own, and no job was published or received while it ran. The idle wait (0.3 s at least) is
    then skipped: it cost about six minutes over the tests that run once the worker has started."""
    if _WORKS_WITH_JOBS & set(item.fixturenames):
        return False
    return getattr(item, "_jobs_at_setup", None) == _jobs.now()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    item._jobs_at_setup = _jobs.now()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item) -> None:
    # Before the fixtures are torn down, the database flush among them.
    _close_the_tabs(item)
    if _worker_running and not _left_nothing_to_the_worker(item):
        _revoke_the_scheduled_jobs()
        _wait_until_the_worker_is_idle()
        _revoke_the_scheduled_jobs()  # those queued by the last jobs to run
