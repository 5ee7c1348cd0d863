"""Notification mail through a real SMTP server: mentions and replies batched per version within a
minute, the rest in a digest at each person's hour, one-click unsubscribe, retries, never twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from celery.signals import before_task_publish
from django.test import Client

from reviews import services
from reviews.mail import mail_deliver
from reviews.models import (
    DigestPreferences,
    Event,
    Notification,
    NotificationSettings,
    OutgoingMail,
    ShotWatch,
)
from reviews.notifications import email
from reviews.notifications.services import notifications_create
from reviews.notifications.tasks import SOON_SECONDS
from reviews.tasks import deliver_mail
from tests.factories import VersionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(director, mentor, reviewer, viewer):
    for user in (director, mentor, reviewer):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    # Dave has no address.
    return {"alice": director, "bob": mentor, "carol": reviewer, "dave": viewer}


@pytest.fixture
def version(shot, people):
    return VersionFactory(shot=shot, number=2, uploaded_by=people["alice"])


def note(version, author, body, frame=None, parent=None):
    comment = services.comment_create(version=version, author=author, body=body, frame=frame, parent=parent)
    notifications_create(event=Event.objects.order_by("-id").first())
    return comment


def deliver_all() -> None:
    for mail in OutgoingMail.objects.filter(state="queued"):
        mail_deliver(mail.pk)


@pytest.fixture
def published():
    """The tasks queued while the test runs: (name, args, eta)."""
    seen = []

    def keep(sender=None, body=None, headers=None, **kwargs):
        seen.append((sender, body[0], headers.get("eta")))

    before_task_publish.connect(keep, weak=False)
    yield seen
    before_task_publish.disconnect(keep)


def test_ten_mentions_on_a_version_are_one_mail_with_ten_frame_links(smtp, people, version, published):
    for n in range(10):
        note(version, people["bob"], f"@carol look at frame {n * 12}", frame=n * 12)

    scheduled = [(args, eta) for name, args, eta in published if name.endswith("send_soon")]
    assert scheduled
    assert all(tuple(args) == (people["carol"].pk, version.pk) for args, _ in scheduled)
    for _, eta in scheduled:
        assert 0 < (datetime.fromisoformat(eta) - datetime.now(UTC)).total_seconds() <= SOON_SECONDS
    # The scheduled task runs a minute later; every run after the first finds nothing left to mail.
    assert email.send_soon(user_id=people["carol"].pk, version_id=version.pk) == 10
    assert email.send_soon(user_id=people["carol"].pk, version_id=version.pk) == 0
    deliver_all()

    (message,) = smtp.wait_for(1)
    assert message["To"] == "carol@example.com"
    assert message["Subject"] == "10 new notes for you on SH010 v2"
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r"http://\S+/review/versions/(\d+)/\?frame=(\d+)&comment=(\d+)", text)
    assert len(links) == 10
    assert {int(frame) for _, frame, _ in links} == {n * 12 for n in range(10)}
    assert all(int(v) == version.pk for v, _, _ in links)
    html = message.get_body(("html",)).get_content()
    assert html.count("?frame=") == 10
    assert not Notification.objects.filter(recipient=people["carol"], emailed_at__isnull=True).exists()


def test_a_reply_is_mailed_to_the_thread_never_to_its_author_nor_to_someone_with_no_address(
    smtp, people, version
):
    top = note(version, people["carol"], "The hand pops", frame=5)
    note(version, people["bob"], "@dave agreed, see the hand", parent=top)

    for user in ("carol", "bob", "dave"):
        email.send_soon(user_id=people[user].pk, version_id=version.pk)
    deliver_all()

    assert [m["To"] for m in smtp.wait_for(1)] == ["carol@example.com"]
    daves = Notification.objects.get(recipient=people["dave"])
    assert (daves.reasons, daves.email) == (["mentioned"], "none")
    # Alice hears of notes on her version in her digest, not within the minute.
    assert set(Notification.objects.filter(recipient=people["alice"]).values_list("email", flat=True)) == {
        "digest"
    }


def test_every_mail_has_a_one_click_unsubscribe_that_works_without_signing_in(smtp, people, version):
    note(version, people["bob"], "@carol here", frame=1)
    email.send_soon(user_id=people["carol"].pk, version_id=version.pk)
    deliver_all()
    (message,) = smtp.wait_for(1)

    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"].strip()).group(1)
    assert url.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")
    path = url.removeprefix("http://127.0.0.1:8000")
    browser = Client(enforce_csrf_checks=True)

    # Link scanners fetch links: a GET only asks.
    assert b"Stop these emails" in browser.get(path).content
    assert not NotificationSettings.objects.filter(email_level="none").exists()
    response = browser.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    setting = NotificationSettings.objects.get(user=people["carol"], project=version.shot.project)
    assert (setting.level, setting.email_level) == ("all", "none")
    note(version, people["bob"], "@carol again", frame=2)
    assert email.send_soon(user_id=people["carol"].pk, version_id=version.pk) == 0
    # The inbox still hears of it.
    assert Notification.objects.filter(recipient=people["carol"]).count() == 2


def test_a_forged_or_cut_unsubscribe_link_changes_nothing(people, version):
    token = email.unsubscribe_token(user_id=people["carol"].pk, project_id=version.shot.project_id)

    response = Client().post(f"/notifications/unsubscribe/{token[:-2]}xx/")

    assert response.status_code == 400
    assert not NotificationSettings.objects.exists()


def test_a_refused_mail_is_retried_and_arrives_once(smtp, people, version):
    note(version, people["bob"], "@carol here", frame=1)
    email.send_soon(user_id=people["carol"].pk, version_id=version.pk)
    mail = OutgoingMail.objects.get()
    smtp.refuse(1)

    # Run as the worker runs it: the first attempt is refused (451), the retry is accepted.
    deliver_mail.apply(args=[mail.pk])
    deliver_mail.apply(args=[mail.pk])

    assert len(smtp.wait_for(1)) == 1
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == ("sent", 2)


def test_mentions_wait_for_the_person_who_left_the_project_no_more(smtp, people, version):
    note(version, people["bob"], "@carol here", frame=1)
    version.shot.project.memberships.filter(user=people["carol"]).delete()

    assert email.send_soon(user_id=people["carol"].pk, version_id=version.pk) == 0
    assert not OutgoingMail.objects.exists()


# --- digests -------------------------------------------------------------------


def digests_to_alice(now: datetime) -> int:
    """Run the beat task as at ``now``; how many digests it queued for Alice."""
    before = OutgoingMail.objects.filter(to=["alice@example.com"]).count()
    email.send_digests(now=now)
    return OutgoingMail.objects.filter(to=["alice@example.com"]).count() - before


@pytest.fixture
def digest_for_alice(people, shot, version):
    """Alice (Europe/Paris, daily at 18:00) has two notes on her version and a status change waiting."""
    DigestPreferences.objects.create(user=people["alice"], hour=18, time_zone="Europe/Paris")
    ShotWatch.objects.create(user=people["alice"], shot=shot)
    note(version, people["bob"], "Her hand should hesitate", frame=48)
    note(version, people["carol"], "The door flickers", frame=96)
    services.version_update(version=version, by=people["bob"], review_status="changes_requested")
    notifications_create(event=Event.objects.order_by("-id").first())


def test_the_digest_comes_at_the_hour_each_person_chose_in_their_time_zone(smtp, people, digest_for_alice):
    # 16:30 UTC is 17:30 in Paris in winter: not yet.
    assert digests_to_alice(datetime(2026, 12, 1, 16, 30, tzinfo=UTC)) == 0
    assert digests_to_alice(datetime(2026, 12, 1, 17, 5, tzinfo=UTC)) == 1
    # The next quarter hour's run finds it sent.
    assert digests_to_alice(datetime(2026, 12, 1, 17, 20, tzinfo=UTC)) == 0
    OutgoingMail.objects.exclude(to=["alice@example.com"]).delete()
    deliver_all()

    # The others' digests may have gone already (a session's worker delivers queued mail too).
    (message,) = smtp.wait_for(1, to="alice@example.com")
    assert message["Subject"] == "3 updates on The Hesitation"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "Bob left a note on your version on SH010 v2 at frame 48" in text
    assert "Bob asked for changes to this version on SH010 v2" in text


def test_an_hourly_digest_goes_once_an_hour_and_off_means_never(smtp, people, digest_for_alice):
    DigestPreferences.objects.filter(user=people["alice"]).update(frequency="hourly")
    assert digests_to_alice(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == 1
    note(Notification.objects.first().version, people["bob"], "One more", frame=1)
    assert digests_to_alice(datetime(2026, 12, 1, 3, 30, tzinfo=UTC)) == 0
    assert digests_to_alice(datetime(2026, 12, 1, 4, 0, tzinfo=UTC)) == 1

    DigestPreferences.objects.filter(user=people["alice"]).update(frequency="off")
    note(Notification.objects.first().version, people["carol"], "And another", frame=2)
    assert digests_to_alice(datetime(2026, 12, 2, 18, 0, tzinfo=UTC)) == 0


def test_the_beat_schedule_runs_the_digest_task():
    from django.conf import settings

    from reviewsvc.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["notification-digests"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 15 * 60


@pytest.mark.slow
def test_a_mention_through_the_api_reaches_the_mailbox_through_the_real_worker(
    smtp, people, version, celery_worker, monkeypatch
):
    from reviews.notifications import tasks
    from tests.conftest import client_for

    # Seconds instead of the minute: long enough for the worker to notify of all three notes first.
    monkeypatch.setattr(tasks, "SOON_SECONDS", 5)
    for n in range(3):
        response = client_for(people["bob"]).post(
            f"/api/v1/versions/{version.pk}/comments/",
            {"body": f"@carol frame {n}", "frame": n},
            format="json",
        )
        assert response.status_code == 201

    (message,) = smtp.wait_for(1, timeout=30)
    assert message["To"] == "carol@example.com"
    assert message["Subject"] == "3 new notes for you on SH010 v2"
    assert Notification.objects.filter(recipient=people["carol"], emailed_at__isnull=False).count() == 3


def test_a_guests_reply_is_mailed_in_the_guests_name(smtp, people, version):
    from reviews import review_links

    link, _ = review_links.review_link_create(
        project=version.shot.project, by=people["alice"], versions=[version]
    )
    gina = review_links.guest_join(link=link, name="Gina", email="gina@client.example")
    top = note(version, people["carol"], "The hand pops", frame=5)
    services.comment_create(version=version, author=None, guest=gina, body="I like it", parent=top)
    notifications_create(event=Event.objects.order_by("-id").first())

    email.send_soon(user_id=people["carol"].pk, version_id=version.pk)
    deliver_all()

    (message,) = smtp.wait_for(1)
    assert message["To"] == "carol@example.com"
    assert "guest: Gina replied in a thread you are in" in message.get_body(("plain",)).get_content()
    assert "guest: Gina replied in a thread you are in" in message.get_body(("html",)).get_content()
    assert "gina@client.example" not in message.as_string()
