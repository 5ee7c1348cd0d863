"""When digests go out: one a local calendar day at or after the chosen hour (DST-safe), one an hour for
hourly ones; and a digest leaves out what was read on the site or whose note was deleted since."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from reviews import services
from reviews.models import DigestPreferences, Notification, OutgoingMail
from reviews.notifications.email import digest_due
from reviews.notifications.services import notification_read
from tests.test_notification_email import (  # noqa: F401 (fixtures)
    deliver_all,
    digests_to_alice,
    note,
    people,
    version,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (frequency, hour, last sent, now, due?) in Europe/Paris. Winter is UTC+1, summer UTC+2; in 2027
# 02:00 becomes 03:00 on 28 March, in 2026 03:00 becomes 02:00 again on 25 October.
CASES = [
    # Hour 0: one a day, not one every 20 hours.
    ("daily", 0, paris(2026, 12, 1, 0, 0), paris(2026, 12, 1, 20, 15), False),
    ("daily", 0, paris(2026, 12, 1, 0, 0), paris(2026, 12, 1, 23, 45), False),
    ("daily", 0, paris(2026, 12, 1, 0, 0), paris(2026, 12, 2, 0, 0), True),
    ("daily", 0, None, paris(2026, 12, 1, 0, 0), True),
    # Hour 2.
    ("daily", 2, paris(2026, 12, 1, 2, 0), paris(2026, 12, 1, 22, 15), False),
    ("daily", 2, paris(2026, 12, 1, 2, 0), paris(2026, 12, 2, 1, 45), False),
    ("daily", 2, paris(2026, 12, 1, 2, 0), paris(2026, 12, 2, 2, 0), True),
    # Hour 9: never before it; sent late yesterday (nothing pending at 9) does not hold today's.
    ("daily", 9, None, paris(2026, 12, 1, 8, 45), False),
    ("daily", 9, None, paris(2026, 12, 1, 15, 15), True),
    ("daily", 9, paris(2026, 12, 1, 15, 15), paris(2026, 12, 1, 23, 45), False),
    ("daily", 9, paris(2026, 12, 1, 15, 15), paris(2026, 12, 2, 8, 45), False),
    ("daily", 9, paris(2026, 12, 1, 15, 15), paris(2026, 12, 2, 9, 0), True),
    ("daily", 9, paris(2026, 12, 1, 9, 0), paris(2026, 12, 2, 9, 0), True),
    # Hour 23.
    ("daily", 23, None, paris(2026, 12, 1, 22, 45), False),
    ("daily", 23, paris(2026, 12, 1, 23, 0), paris(2026, 12, 2, 22, 45), False),
    ("daily", 23, paris(2026, 12, 1, 23, 0), paris(2026, 12, 2, 23, 0), True),
    ("daily", 23, paris(2026, 12, 1, 23, 50), paris(2026, 12, 2, 23, 0), True),
    # Spring forward: 02:00 does not exist on 28 March 2027; the first beat after it (03:00 CEST) sends.
    ("daily", 2, paris(2027, 3, 27, 2, 0), utc(2027, 3, 28, 0, 45), False),
    ("daily", 2, paris(2027, 3, 27, 2, 0), utc(2027, 3, 28, 1, 0), True),
    ("daily", 9, paris(2027, 3, 27, 9, 0), paris(2027, 3, 28, 9, 0), True),
    # Fall back: 02:00-03:00 comes twice on 25 October 2026, the digest once.
    ("daily", 2, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), False),
    ("daily", 2, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 23, 45), False),
    ("daily", 0, utc(2026, 10, 23, 22, 0), utc(2026, 10, 24, 18, 0), False),
    ("daily", 0, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0), True),
    # Hourly: at most once per clock hour, and the next hour's beat may send at once.
    ("hourly", 9, paris(2026, 12, 1, 3, 0), paris(2026, 12, 1, 3, 58), False),
    ("hourly", 9, paris(2026, 12, 1, 3, 0), paris(2026, 12, 1, 4, 0), True),
    ("hourly", 9, paris(2026, 12, 1, 3, 50), paris(2026, 12, 1, 4, 0), True),
    ("hourly", 9, None, paris(2026, 12, 1, 3, 0), True),
    # The repeated hour of a fall back is two clock hours.
    ("hourly", 9, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 15), True),
    ("off", 9, None, paris(2026, 12, 1, 12, 0), False),
]


@pytest.mark.parametrize(("frequency", "hour", "last", "now", "due"), CASES)
def test_a_digest_is_due_once_a_local_day_from_the_chosen_hour_and_once_a_clock_hour(
    frequency, hour, last, now, due
):
    preferences = DigestPreferences(
        frequency=frequency, hour=hour, time_zone="Europe/Paris", last_sent_at=last
    )
    assert digest_due(preferences, now) is due


@pytest.mark.django_db(transaction=True)
def test_a_digest_sent_late_one_day_does_not_hold_the_next_days_digest(people, version):  # noqa: F811
    """Nothing pending at 09:00; a note at 15:00 goes at 15:15; the next day's goes at 09:00 again."""
    DigestPreferences.objects.create(user=people["alice"], hour=9, time_zone="Europe/Paris")
    assert digests_to_alice(paris(2026, 12, 1, 9, 0)) == 0
    note(version, people["bob"], "The sky is too blue", frame=10)
    assert digests_to_alice(paris(2026, 12, 1, 15, 15)) == 1
    note(version, people["carol"], "The shadow lags", frame=20)
    assert digests_to_alice(paris(2026, 12, 1, 23, 45)) == 0
    assert digests_to_alice(paris(2026, 12, 2, 8, 45)) == 0
    assert digests_to_alice(paris(2026, 12, 2, 9, 0)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_digest_leaves_out_what_was_read_on_the_site_and_notes_deleted_since(smtp, people, version):  # noqa: F811
    DigestPreferences.objects.create(user=people["alice"], hour=9, time_zone="Europe/Paris")
    read = note(version, people["bob"], "Read already", frame=10)
    gone = note(version, people["carol"], "Deleted since", frame=20)
    note(version, people["bob"], "Still news", frame=30)
    notification_read(notification=Notification.objects.get(event__subject_id=read.pk))
    services.comment_delete(comment=gone, by=people["carol"])
    assert digests_to_alice(paris(2026, 12, 1, 9, 0)) == 1
    OutgoingMail.objects.exclude(to=["alice@example.com"]).delete()
    deliver_all()
    (message,) = smtp.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "1 update on The Hesitation"
    assert "Still news" in text
    assert "Read already" not in text
    assert "Deleted since" not in text


@pytest.mark.django_db(transaction=True)
def test_a_digest_with_nothing_left_unread_is_not_sent_and_does_not_use_up_the_day(people, version):  # noqa: F811
    DigestPreferences.objects.create(user=people["alice"], hour=9, time_zone="Europe/Paris")
    note(version, people["bob"], "Read already", frame=10)
    for notification in Notification.objects.filter(recipient=people["alice"]):
        notification_read(notification=notification)
    assert digests_to_alice(paris(2026, 12, 1, 9, 0)) == 0
    assert DigestPreferences.objects.get(user=people["alice"]).last_sent_at is None
    note(version, people["bob"], "News", frame=20)
    assert digests_to_alice(paris(2026, 12, 1, 9, 15)) == 1
