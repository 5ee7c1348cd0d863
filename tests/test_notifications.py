"""Notifications: who is told of what (a table of events and people), never the actor, once per
event, members only, as each person's level allows; and the inbox API with its query counts."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from reviews import services
from reviews.events import event_record, version_payload
from reviews.models import Event, EventKind, Membership, Notification, NotificationSettings, ShotWatch
from reviews.notifications.services import notifications_create
from reviews.notifications.tasks import create_notifications
from reviews.tasks import fan_out_event
from tests.conftest import client_for
from tests.factories import CommentFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(director, mentor, reviewer, viewer):
    """Alice directs and uploaded v1; Bob mentors, Carol reviews, Dave only watches."""
    return {"alice": director, "bob": mentor, "carol": reviewer, "dave": viewer}


@pytest.fixture
def version(shot, people):
    return VersionFactory(shot=shot, number=1, uploaded_by=people["alice"])


def deliver_last_event() -> Event:
    """Fan the newest event out to notifications, as the worker would."""
    event = Event.objects.order_by("-id").first()
    notifications_create(event=event)
    return event


def told(event: Event | None = None) -> dict[str, list[str]]:
    notifications = Notification.objects.select_related("recipient")
    if event is not None:
        notifications = notifications.filter(event=event)
    return {n.recipient.username: n.reasons for n in notifications}


def record(kind: EventKind, version, actor=None, **extra) -> Event:
    with transaction.atomic():
        return event_record(
            kind=kind,
            project=version.shot.project_id,
            actor=actor,
            subject=version,
            payload={**version_payload(version), **extra},
        )


# --- who gets what ----------------------------------------------------------


def test_a_mention_tells_the_mentioned_and_the_uploader_but_never_the_author(people, version):
    services.comment_create(
        version=version, author=people["bob"], body="@carol @bob look at her hand", frame=48
    )

    assert told(deliver_last_event()) == {"carol": ["mentioned"], "alice": ["note_on_your_version"]}


def test_a_reply_tells_everyone_in_the_thread_once_with_every_reason(people, version):
    top = services.comment_create(version=version, author=people["carol"], body="The hand pops", frame=10)
    services.comment_create(version=version, author=people["alice"], body="Agreed", parent=top)
    deliver_last_event()
    services.comment_create(
        version=version, author=people["bob"], body="@carol @alice fixed in v2?", parent=top
    )

    assert told(deliver_last_event()) == {
        "carol": ["mentioned", "reply"],
        "alice": ["mentioned", "reply", "note_on_your_version"],
    }


def test_a_new_version_tells_those_who_commented_on_the_shot_or_watch_it(people, shot, version):
    CommentFactory(version=version, author=people["carol"])
    ShotWatch.objects.create(user=people["dave"], shot=shot)
    v2 = VersionFactory(shot=shot, number=2, uploaded_by=people["alice"])

    event = record(EventKind.VERSION_CREATED, v2, actor=people["alice"])
    notifications_create(event=event)

    assert told(event) == {"carol": ["new_version"], "dave": ["new_version"]}


def test_unwatching_a_shot_ends_the_watch_that_commenting_implied(people, shot, version):
    CommentFactory(version=version, author=people["carol"])
    client_for(people["carol"]).delete(f"/api/v1/shots/{shot.pk}/watch/")
    v2 = VersionFactory(shot=shot, number=2, uploaded_by=people["alice"])

    event = record(EventKind.VERSION_CREATED, v2, actor=people["alice"])
    notifications_create(event=event)

    assert told(event) == {}


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(EventKind.VERSION_READY, "your_version_ready"), (EventKind.VERSION_FAILED, "your_version_failed")],
)
def test_the_pipeline_tells_the_uploader_their_version_is_ready_or_failed(people, version, kind, reason):
    CommentFactory(version=version, author=people["carol"])

    event = record(kind, version, actor=None)
    notifications_create(event=event)

    assert told(event) == {"alice": [reason]}


def test_a_review_status_change_tells_the_shots_watchers_but_not_who_changed_it(people, version):
    CommentFactory(version=version, author=people["carol"])
    CommentFactory(version=version, author=people["bob"])
    services.version_update(version=version, by=people["bob"], review_status="changes_requested")

    assert told(deliver_last_event()) == {
        "alice": ["review_status_changed"],
        "carol": ["review_status_changed"],
    }


def test_a_change_of_the_chosen_take_tells_the_shots_watchers(people, version):
    CommentFactory(version=version, author=people["carol"])

    event = record(EventKind.VERSION_DECISION_CHANGED, version, actor=people["alice"], to="selected")
    notifications_create(event=event)

    assert told(event) == {"carol": ["decision_changed"]}


def test_choosing_a_take_through_the_api_tells_the_watchers_which_take_replaced_which(people, shot, version):
    """``POST /versions/{id}/decision/`` records version.decision_changed; watchers read what it did."""
    from reviews.notifications.email import describe

    CommentFactory(version=version, author=people["carol"])
    services.version_update(version=version, by=people["alice"], decision="selected")
    deliver_last_event()
    second = VersionFactory(shot=shot, number=2, uploaded_by=people["bob"])
    response = client_for(people["alice"]).post(
        f"/api/v1/versions/{second.pk}/decision/", {"decision": "selected"}, format="json"
    )
    assert response.status_code == 200, response.content
    event = deliver_last_event()
    assert event.kind == "version.decision_changed"
    assert told(event) == {"bob": ["decision_changed"], "carol": ["decision_changed"]}
    said = describe(Notification.objects.get(event=event, recipient=people["carol"]))
    assert said["what"] == "Alice chose this take over v1"
    assert said["where"] == "SH010 v2"
    inbox = client_for(people["carol"]).get("/api/v1/notifications/").json()
    assert inbox["results"][0]["summary"] == "chose this take over v1"


def test_a_recommended_take_tells_the_directors_who_choose_and_nobody_twice(people, project, version):
    """A mentor's recommendation is addressed to whoever decides: every director, not the watchers."""
    from reviews.notifications.email import describe

    erin = UserFactory(username="erin")
    Membership.objects.create(project=project, user=erin, role="director")
    CommentFactory(version=version, author=people["carol"])  # a watcher, not told
    mentor = client_for(people["bob"])
    url = f"/api/v1/versions/{version.pk}/recommendation/"

    assert mentor.post(url).status_code == 200
    event = deliver_last_event()
    assert event.kind == "version.recommended"
    assert (event.actor, event.payload["version"]["id"]) == (people["bob"], version.pk)
    assert told(event) == {"alice": ["take_recommended"], "erin": ["take_recommended"]}
    said = describe(Notification.objects.get(event=event, recipient=people["alice"]))
    assert (said["what"], said["where"]) == ("Bob recommends this take", "SH010 v1")

    assert mentor.post(url).status_code == 200, "recommending again changes nothing"
    assert Event.objects.filter(kind="version.recommended").count() == 1

    assert mentor.delete(url).status_code == 200
    withdrawn = deliver_last_event()
    assert withdrawn.kind == "version.recommendation_withdrawn"
    assert told(withdrawn) == {}
    assert mentor.delete(url).status_code == 200, "withdrawing nothing changes nothing"
    assert Event.objects.filter(kind="version.recommendation_withdrawn").count() == 1


def test_a_withdrawn_recommendation_leaves_no_unread_notification_and_toggling_piles_none_up(
    people, project, version
):
    mentor = client_for(people["bob"])
    url = f"/api/v1/versions/{version.pk}/recommendation/"
    mentor.post(url)
    first = deliver_last_event()
    Notification.objects.filter(event=first).update(read_at=timezone.now())  # Alice read it
    for _ in range(3):
        mentor.delete(url)
        deliver_last_event()
        mentor.post(url)
        deliver_last_event()

    # The read one stays as history; of the rest, one unread: the recommendation that stands.
    rows = Notification.objects.filter(recipient=people["alice"]).order_by("id")
    assert [(row.event.kind, row.read_at is None) for row in rows] == [
        ("version.recommended", False),
        ("version.recommended", True),
    ]
    mentor.delete(url)
    deliver_last_event()
    assert not Notification.objects.filter(recipient=people["alice"], read_at__isnull=True).exists()


def test_a_removed_mentors_recommendations_leave_the_directors_unread_notifications(people, project, version):
    client_for(people["bob"]).post(f"/api/v1/versions/{version.pk}/recommendation/")
    deliver_last_event()
    assert told() == {"alice": ["take_recommended"]}

    services.member_remove(
        membership=Membership.objects.get(project=project, user=people["bob"]), by=people["alice"]
    )
    removed = deliver_last_event()

    assert removed.kind == "member.removed"
    assert told() == {}


def test_a_recommendation_withdrawn_before_its_fan_out_tells_nobody(people, version):
    mentor = client_for(people["bob"])
    url = f"/api/v1/versions/{version.pk}/recommendation/"
    mentor.post(url)
    recommended = Event.objects.get(kind="version.recommended")
    mentor.delete(url)
    withdrawn = Event.objects.get(kind="version.recommendation_withdrawn")
    # The worker takes them in the other order, or the withdrawal's first.
    notifications_create(event=withdrawn)
    notifications_create(event=recommended)
    assert told() == {}


def test_resolving_a_note_tells_its_author(people, version):
    note = services.comment_create(
        version=version, author=people["carol"], body="Flicker at the door", frame=3
    )
    deliver_last_event()
    services.comment_update(comment=note, by=people["bob"], resolved=True)

    assert told(deliver_last_event()) == {"carol": ["your_note_resolved"]}


def test_an_edit_that_mentions_someone_new_tells_only_them(people, version):
    note = services.comment_create(version=version, author=people["bob"], body="@carol the hand", frame=3)
    deliver_last_event()
    services.comment_update(comment=note, by=people["bob"], body="@carol @alice the hand")
    first_edit = deliver_last_event()
    services.comment_update(comment=note, by=people["bob"], body="@carol @alice the hand, again")

    assert told(first_edit) == {"alice": ["mentioned"]}
    assert told(deliver_last_event()) == {}


def test_a_mention_added_by_an_edit_before_the_fan_out_is_told_with_the_edits_words(people, version):
    """The worker was busy (a render): the note's creation and its edit are fanned out late."""
    note = services.comment_create(version=version, author=people["bob"], body="no mention yet", frame=3)
    created = Event.objects.order_by("-id").first()
    services.comment_update(comment=note, by=people["bob"], body="now @carol, the hand")
    edited = Event.objects.order_by("-id").first()

    notifications_create(event=created)
    notifications_create(event=edited)

    assert told(created) == {"alice": ["note_on_your_version"]}  # she uploaded the take
    assert told(edited) == {"carol": ["mentioned"]}
    assert edited.payload["comment"]["excerpt"] == "now @carol, the hand"


@pytest.mark.parametrize("kind", ["comment.updated", "comment.reopened", "comment.deleted", "member.added"])
def test_other_events_tell_nobody(people, version, kind):
    note = services.comment_create(version=version, author=people["carol"], body="@bob hand", frame=3)
    deliver_last_event()
    if kind == "comment.updated":
        services.comment_update(comment=note, by=people["carol"], body="@bob the hand")
    elif kind == "comment.reopened":
        services.comment_update(comment=note, by=people["bob"], resolved=True)
        services.comment_update(comment=note, by=people["bob"], resolved=False)
    elif kind == "comment.deleted":
        services.comment_delete(comment=note, by=people["carol"])
    else:
        services.member_add(
            project=version.shot.project, user=UserFactory(username="fay"), role="viewer", by=people["alice"]
        )
    event = deliver_last_event()

    assert event.kind == kind
    assert told(event) == {}


def test_someone_removed_from_the_project_is_told_nothing(people, version):
    services.comment_create(version=version, author=people["bob"], body="@carol hand", frame=48)
    Membership.objects.filter(user=people["carol"]).delete()

    assert told(deliver_last_event()) == {"alice": ["note_on_your_version"]}


def test_a_note_deleted_before_its_fan_out_tells_nobody(people, version):
    note = services.comment_create(version=version, author=people["bob"], body="@carol hand", frame=48)
    event = Event.objects.get(kind="comment.created")
    services.comment_delete(comment=note, by=people["bob"])

    notifications_create(event=event)

    assert told(event) == {}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("all", {"carol": ["mentioned"], "alice": ["note_on_your_version"]}),
        ("mentions", {"carol": ["mentioned"]}),
        ("none", {}),
    ],
)
def test_each_persons_level_decides_what_they_hear(people, version, level, expected):
    for name in ("alice", "carol"):
        NotificationSettings.objects.create(user=people[name], project=version.shot.project, level=level)
    services.comment_create(version=version, author=people["bob"], body="@carol hand", frame=48)

    assert told(deliver_last_event()) == expected


def test_a_fan_out_delivered_twice_tells_each_person_once(people, version):
    services.comment_create(version=version, author=people["bob"], body="@carol hand", frame=48)
    event = deliver_last_event()

    assert notifications_create(event=event) == []
    assert Notification.objects.filter(event=event).count() == 2


def test_the_fan_out_task_creates_the_notifications(people, version):
    services.comment_create(version=version, author=people["bob"], body="@carol hand", frame=48)
    event = Event.objects.get(kind="comment.created")

    # The consumer queues create_notifications; both run here in-process, as the worker runs them.
    fan_out_event.apply(args=[event.pk])
    create_notifications.apply(args=[event.pk])

    assert told(event) == {"carol": ["mentioned"], "alice": ["note_on_your_version"]}


def test_a_guests_reply_names_the_guest_in_the_inbox(people, version):
    from reviews import review_links

    link, _ = review_links.review_link_create(
        project=version.shot.project, by=people["alice"], versions=[version]
    )
    gina = review_links.guest_join(link=link, name="Gina", email="gina@client.example")
    top = services.comment_create(version=version, author=people["carol"], body="The hand pops", frame=10)
    deliver_last_event()
    services.comment_create(version=version, author=None, guest=gina, body="I like it", parent=top)
    deliver_last_event()

    (carols,) = client_for(people["carol"]).get("/api/v1/notifications/").json()["results"]

    assert carols["actor"] == {
        "id": None,
        "username": None,
        "display_name": "guest: Gina",
        "guest": {"id": gina.pk, "name": "Gina"},
    }
    assert "gina@client.example" not in str(carols)
