"""Reading the broker's jobs for the reconciling of reviews.media.recovery, on real Celery messages."""

from __future__ import annotations

import json

import pytest
from kombu import Connection

from reviews.media.recovery import versions_in_broker
from reviews.tasks import process_version, render_version


@pytest.fixture
def queues(settings):
    """Two queues on this machine's Redis, as two deployments or test runs sharing it would have."""
    import secrets

    names = [f"recovery-{secrets.token_hex(4)}" for _ in range(2)]
    with Connection(settings.CELERY_BROKER_URL) as broker:
        yield broker, names
        for name in names:
            broker.default_channel.client.delete(name)


def test_it_finds_the_versions_of_waiting_jobs_of_its_own_queue_only(queues):
    broker, (ours, theirs) = queues
    process_version.apply_async((11,), connection=broker, queue=ours)
    render_version.apply_async((12, "a-run"), connection=broker, queue=ours)
    process_version.apply_async((13,), connection=broker, queue=theirs)

    assert versions_in_broker(broker.default_channel, ours) == {11, 12}
    assert versions_in_broker(broker.default_channel, theirs) == {13}


def test_it_ignores_what_is_not_a_job_of_ours(queues):
    broker, (ours, _) = queues
    client = broker.default_channel.client
    client.lpush(ours, b"not json", json.dumps({"headers": {}}))
    process_version.apply_async((21,), connection=broker, queue=ours)

    assert versions_in_broker(broker.default_channel, ours) == {21}
