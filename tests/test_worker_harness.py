"""The test worker's own hygiene: what one test leaves to the worker never runs in the next."""

from __future__ import annotations

import time

import pytest
from celery import signals
from celery.worker import state

from tests.conftest import _revoke_the_scheduled_jobs

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_job_left_for_later_is_dropped_when_its_time_comes(celery_worker):
    from reviews.tasks import fan_out_event

    ran, dropped = [], []

    def on_prerun(task_id=None, **kwargs):
        ran.append(task_id)

    def on_revoked(request=None, **kwargs):
        dropped.append(request.id)

    signals.task_prerun.connect(on_prerun, weak=False)
    signals.task_revoked.connect(on_revoked, weak=False)
    try:
        job = fan_out_event.apply_async((0,), countdown=1)
        deadline = time.monotonic() + 10
        while job.id not in {request.id for request in state.scheduled_requests}:
            assert time.monotonic() < deadline, "the worker never held the job for later"
            time.sleep(0.02)

        _revoke_the_scheduled_jobs()

        deadline = time.monotonic() + 10
        while job.id not in dropped:
            assert time.monotonic() < deadline, "the job's time came and went without a word"
            time.sleep(0.05)
        assert job.id not in ran
    finally:
        signals.task_prerun.disconnect(on_prerun)
        signals.task_revoked.disconnect(on_revoked)
