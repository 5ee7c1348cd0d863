"""A delete never fails because a worker wrote a row naming what is being deleted.

The worker's write is placed where it used to break the delete: after Django's collector has
cleared the notifications naming the version, before it deletes the version's row (the
``post_delete`` of the version's note, deleted first), committed on its own connection. PostgreSQL
only: the race is its deferred checks.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection
from django.db.models.signals import post_delete

from reviews.models import Comment, Event, Notification, Project, Version
from tests.conftest import client_for, member
from tests.factories import CommentFactory, ProjectFactory, VersionFactory

pytestmark = pytest.mark.django_db(transaction=True)

# How long the delete lets the worker's commit run before it goes on: long enough for a commit,
# short enough that a worker made to wait (the fix) does not slow the test.
WORKER_GRACE_SECONDS = 2.0


def _worker_writes_notification(version: Version, recipient_id: int, outcome: dict) -> None:
    """Insert and commit a notification naming ``version``, on a connection of its own."""
    settings = connection.settings_dict
    event = Event.objects.filter(project_id=version.shot.project_id).order_by("-id").first()
    try:
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            password=settings["PASSWORD"] or None,
        ) as other:
            other.execute(
                "INSERT INTO reviews_notification (recipient_id, event_id, project_id, version_id,"
                " reasons, email, created_at) VALUES (%s, %s, %s, %s, '[]', 'none', now())",
                (recipient_id, event.pk, version.shot.project_id, version.pk),
            )
            other.commit()
        outcome["committed"] = True
    except psycopg.Error as error:
        outcome["error"] = error


def _during_the_delete(recipient_id: int, outcome: dict):
    def receiver(sender, instance, **kwargs):
        # Once: a delete tried again must not meet a second write.
        if sender is Comment and "thread" not in outcome:
            worker = threading.Thread(
                target=_worker_writes_notification,
                args=(instance.version, recipient_id, outcome),
                daemon=True,
            )
            worker.start()
            worker.join(WORKER_GRACE_SECONDS)
            outcome["thread"] = worker

    return receiver


@pytest.fixture
def ready_version(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    project = ProjectFactory(name="Races")
    alice = member(project, "alice", "director")
    version = VersionFactory(shot__project=project, uploaded_by=alice)
    CommentFactory(version=version, author=alice)
    Event.objects.create(
        project=project, kind="version.created", subject_type="version", subject_id=version.pk
    )
    return version, alice


@pytest.mark.parametrize("what", ["version", "shot", "project"])
def test_a_notification_written_while_a_version_is_deleted_does_not_fail_the_delete(ready_version, what):
    if connection.vendor != "postgresql":
        pytest.skip("deferred foreign key checks are PostgreSQL's")
    version, alice = ready_version
    outcome: dict = {}
    receiver = _during_the_delete(alice.pk, outcome)
    post_delete.connect(receiver, weak=False)
    try:
        target = {
            "version": f"/api/v1/versions/{version.pk}/",
            "shot": f"/api/v1/shots/{version.shot_id}/",
            "project": f"/api/v1/projects/{version.shot.project_id}/",
        }[what]
        response = client_for(alice).delete(target)
    finally:
        post_delete.disconnect(receiver)
    outcome["thread"].join(30)

    assert response.status_code == 204, response.content
    assert not Version.objects.filter(pk=version.pk).exists()
    # Either the worker waited for the delete and its write was refused (a deadlock's loser
    # included), or it committed first and the delete, tried again, cleared what it wrote.
    assert not Notification.objects.filter(version_id=version.pk).exists()
    assert "committed" in outcome or isinstance(
        outcome.get("error"), (psycopg.errors.ForeignKeyViolation, psycopg.errors.DeadlockDetected)
    ), outcome
    if what == "project":
        assert not Project.objects.filter(pk=version.shot.project_id).exists()
