"""The inbox API: the list (flat or grouped per version, with its query counts), the unread
count, read marks, notification settings per project and per person, and watching a shot."""

from __future__ import annotations

import pytest

from reviews import services
from reviews.models import Event, Membership, Notification, NotificationSettings
from reviews.notifications.services import notifications_create
from tests.conftest import client_for
from tests.factories import ShotFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(shot, director, mentor, reviewer):
    """Two versions of Alice's; Bob mentions Carol three times on the first, once on the second."""
    first = VersionFactory(shot=shot, number=1, uploaded_by=director)
    other = ShotFactory(project=shot.project, code="SH020")
    second = VersionFactory(shot=other, number=1, uploaded_by=director)
    for version, count in ((first, 3), (second, 1)):
        for n in range(count):
            services.comment_create(version=version, author=mentor, body=f"@carol note {n}", frame=10 * n)
            notifications_create(event=Event.objects.order_by("-id").first())
    return first, second


def inbox(user, query=""):
    response = client_for(user).get(f"/api/v1/notifications/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_inbox_lists_your_notifications_newest_first_with_the_unread_count(versions, reviewer):
    _, second = versions

    page = inbox(reviewer)

    assert page["count"] == 4
    assert page["unread_count"] == 4
    newest = page["results"][0]
    assert newest["kind"] == "comment.created"
    assert newest["reasons"] == ["mentioned"]
    assert newest["unread"] is True
    assert newest["actor"]["username"] == "bob"
    assert newest["version"] == {
        "id": second.pk,
        "number": 1,
        "shot": {"id": second.shot_id, "code": "SH020"},
    }
    assert newest["comment"]["excerpt"] == "@carol note 0"
    assert newest["link"] == f"/review/versions/{second.pk}/?frame=0&comment={newest['comment']['id']}"
    assert [n["id"] for n in page["results"]] == sorted((n["id"] for n in page["results"]), reverse=True)


def test_the_inbox_groups_per_version_the_newest_activity_first(versions, reviewer):
    first, second = versions

    page = inbox(reviewer, "?group=version")

    assert [(g["version"]["id"], g["count"], g["unread_count"]) for g in page["results"]] == [
        (second.pk, 1, 1),
        (first.pk, 3, 3),
    ]
    assert [n["comment"]["excerpt"] for n in page["results"][1]["notifications"]] == [
        "@carol note 2",
        "@carol note 1",
        "@carol note 0",
    ]


@pytest.mark.parametrize("query", ["", "?group=version", "?unread=true"])
def test_the_inbox_costs_the_same_queries_for_four_notifications_or_twenty(
    versions, reviewer, mentor, django_assert_num_queries, query
):
    client = client_for(reviewer)
    client.get(f"/api/v1/notifications/{query}")  # warm the token and content types
    # The token, the count of the page, the page, (the previews of its groups,) the unread count.
    with django_assert_num_queries(5 if "group" in query else 4) as few:
        client.get(f"/api/v1/notifications/{query}")
    first, _ = versions
    for n in range(16):
        services.comment_create(version=first, author=mentor, body=f"@carol more {n}", frame=n)
        notifications_create(event=Event.objects.order_by("-id").first())

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(f"/api/v1/notifications/{query}")
    assert response.json()["unread_count"] == 20


def test_unread_filters_and_reading_one_lowers_the_count(versions, reviewer):
    page = inbox(reviewer)
    newest = page["results"][0]["id"]

    response = client_for(reviewer).post(f"/api/v1/notifications/{newest}/read/")

    assert response.status_code == 200
    assert response.json()["unread"] is False
    assert client_for(reviewer).get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    assert newest not in [n["id"] for n in inbox(reviewer, "?unread=true")["results"]]
    assert [n["id"] for n in inbox(reviewer, "?unread=false")["results"]] == [newest]


def test_read_all_marks_everything_or_one_version(versions, reviewer):
    first, _ = versions

    response = client_for(reviewer).post(
        "/api/v1/notifications/read-all/", {"version": first.pk}, format="json"
    )
    assert response.json() == {"marked": 3, "unread": 1}

    response = client_for(reviewer).post("/api/v1/notifications/read-all/", {}, format="json")
    assert response.json() == {"marked": 1, "unread": 0}


def test_nobody_reads_or_marks_anothers_notifications(versions, reviewer, director, outsider):
    carols = Notification.objects.filter(recipient=reviewer).first()

    assert client_for(director).post(f"/api/v1/notifications/{carols.pk}/read/").status_code == 404
    assert client_for(outsider).post(f"/api/v1/notifications/{carols.pk}/read/").status_code == 404
    assert inbox(outsider)["count"] == 0
    carols.refresh_from_db()
    assert carols.read_at is None


def test_someone_who_left_the_project_no_longer_sees_its_notifications(versions, reviewer):
    Membership.objects.filter(user=reviewer).delete()

    assert inbox(reviewer)["count"] == 0
    assert client_for(reviewer).get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [("?unread=maybe", "unread"), ("?group=shot", "group"), ("?project=0", "project"), ("?page=x", "page")],
)
def test_the_inbox_refuses_a_query_it_cannot_apply(reviewer, query, field):
    response = client_for(reviewer).get(f"/api/v1/notifications/{query}")

    assert response.status_code == 400
    assert field in response.json()


# --- settings ----------------------------------------------------------------


def test_a_member_reads_and_changes_their_notification_settings(project, viewer):
    url = f"/api/v1/projects/{project.pk}/notification-settings/"

    assert client_for(viewer).get(url).json() == {
        "project": project.pk,
        "level": "all",
        "email_level": "all",
        "email_effective_level": "all",
    }
    response = client_for(viewer).patch(url, {"level": "mentions", "email_level": "none"}, format="json")

    assert response.json() == {
        "project": project.pk,
        "level": "mentions",
        "email_level": "none",
        "email_effective_level": "none",
    }
    assert NotificationSettings.objects.get(user=viewer, project=project).level == "mentions"


def test_notification_settings_refuse_a_bad_level_and_hide_the_project_from_outsiders(
    project, viewer, outsider
):
    url = f"/api/v1/projects/{project.pk}/notification-settings/"

    response = client_for(viewer).patch(url, {"level": "loud"}, format="json")
    assert response.status_code == 400
    assert "level" in response.json()
    assert client_for(outsider).get(url).status_code == 404
    assert not NotificationSettings.objects.exists()


def test_staff_outside_the_project_get_no_notification_settings(project, staff):
    response = client_for(staff).get(f"/api/v1/projects/{project.pk}/notification-settings/")

    assert response.status_code == 403
    assert "member" in response.json()["detail"]


def test_a_person_chooses_when_their_digest_comes(viewer):
    url = "/api/v1/me/notification-settings/"
    assert client_for(viewer).get(url).json() == {
        "frequency": "daily",
        "hour": 9,
        "time_zone": "UTC",
        "last_sent_at": None,
    }

    response = client_for(viewer).patch(url, {"hour": 18, "time_zone": "Europe/Paris"}, format="json")

    assert response.json()["hour"] == 18
    assert response.json()["time_zone"] == "Europe/Paris"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hour": 24}, "hour"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": "Factory"}, "time_zone"),
        ({"frequency": "weekly"}, "frequency"),
    ],
)
def test_digest_settings_refuse_what_they_cannot_keep(viewer, body, field):
    response = client_for(viewer).patch("/api/v1/me/notification-settings/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_the_settings_say_that_no_inbox_means_no_mail_either(project, viewer):
    url = f"/api/v1/projects/{project.pk}/notification-settings/"
    response = client_for(viewer).patch(url, {"level": "none", "email_level": "all"}, format="json")

    assert response.json()["email_effective_level"] == "none"
    response = client_for(viewer).patch(url, {"level": "mentions"}, format="json")
    assert response.json()["email_effective_level"] == "mentions"


# --- watching ------------------------------------------------------------------


def test_a_member_watches_and_unwatches_a_shot(shot, viewer, reviewer, director):
    VersionFactory(shot=shot, number=1, uploaded_by=director)
    url = f"/api/v1/shots/{shot.pk}/watch/"
    client = client_for(viewer)

    assert client.get(url).json() == {"shot": shot.pk, "watching": False, "explicit": False}
    assert client.post(url).json() == {"shot": shot.pk, "watching": True, "explicit": True}
    assert client.post(url).json()["watching"] is True
    assert client.delete(url).json() == {"shot": shot.pk, "watching": False, "explicit": True}
    # Uploading watches a shot without asking.
    assert client_for(director).get(url).json() == {"shot": shot.pk, "watching": True, "explicit": False}


def test_an_outsider_cannot_watch_a_shot(shot, outsider):
    assert client_for(outsider).post(f"/api/v1/shots/{shot.pk}/watch/").status_code == 404
