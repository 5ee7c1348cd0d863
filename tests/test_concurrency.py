"""Many people at once, through a real gunicorn (2 workers x 4 threads) on PostgreSQL.

Fifty comments posted at the same moment are each stored exactly once; ten
uploads to one shot at the same moment get the version numbers 1 to 10, with no
gap and no number twice.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from redis import Redis
from rest_framework.authtoken.models import Token

from harness.processes import Gunicorn
from reviews.models import Comment, Version
from tests.factories import VersionFactory
from tests.reliability import record

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path, settings):
    # Uploads queue jobs that no worker here takes: a queue of their own, emptied at the end.
    queue = f"concurrency-{uuid.uuid4().hex[:8]}"
    gunicorn = Gunicorn(tmp_path, workers=2, threads=4, REVIEWSVC_CELERY_QUEUE=queue).start()
    yield gunicorn
    gunicorn.stop()
    Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)


def all_at_once(count: int, send) -> list[requests.Response]:
    """count requests released together, each on its own connection."""
    start = threading.Barrier(count)

    def one(index: int) -> requests.Response:
        start.wait()
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_fifty_comments_posted_at_once_are_each_stored_exactly_once(server, shot, reviewer, mentor):
    version = VersionFactory(shot=shot, number=1)
    tokens = [Token.objects.create(user=user).key for user in (reviewer, mentor)]
    url = f"{server.url}/api/v1/versions/{version.pk}/comments/"

    answers = all_at_once(
        50,
        lambda index: requests.post(
            url,
            json={"body": f"note {index}", "frame": index},
            headers={"Authorization": f"Token {tokens[index % 2]}"},
            timeout=60,
        ),
    )

    statuses = sorted({answer.status_code for answer in answers})
    stored = list(Comment.objects.filter(version=version).values_list("body", flat=True))
    record("concurrency", what="50 comments posted at once", statuses=statuses, stored=len(stored))
    assert statuses == [201]
    assert sorted(stored) == sorted(f"note {index}" for index in range(50))
    assert len({answer.json()["id"] for answer in answers}) == 50


def test_ten_uploads_to_one_shot_at_once_are_numbered_1_to_10(server, shot, director, settings):
    token = Token.objects.create(user=director).key
    url = f"{server.url}/api/v1/shots/{shot.pk}/versions/"

    answers = all_at_once(
        10,
        lambda index: requests.post(
            url,
            files={"file": (f"take{index}.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes([index]) * 4096)},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        ),
    )

    statuses = sorted({answer.status_code for answer in answers})
    numbers = sorted(Version.objects.filter(shot=shot).values_list("number", flat=True))
    record("concurrency", what="10 uploads to one shot at once", statuses=statuses, numbers=numbers)
    assert statuses == [201]
    assert numbers == list(range(1, 11))
    assert sorted(answer.json()["number"] for answer in answers) == list(range(1, 11))
    # Each number went to the upload that got it: the stored hash is of that upload's bytes.
    assert len(set(Version.objects.filter(shot=shot).values_list("sha256", flat=True))) == 10
