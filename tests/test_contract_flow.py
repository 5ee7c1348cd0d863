"""A client that knows only shared/API.md runs a review from start to finish."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import UserFactory


def _signed_in(username: str, password: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_a_director_sets_up_a_review_and_a_mentor_comments_at_a_timecode(db):
    UserFactory(username="sam", is_staff=True, password="staff password 1")
    admin = _signed_in("sam", "staff password 1")
    for username in ("alice", "bob"):
        created = admin.post(
            "/api/v1/users/", {"username": username, "password": f"{username} secret 42"}, format="json"
        )
        assert created.status_code == 201, created.content

    alice = _signed_in("alice", "alice secret 42")
    assert alice.get("/api/v1/me/").json()["username"] == "alice"
    project = alice.post("/api/v1/projects/", {"name": "The Hesitation", "fps": 24}, format="json").json()
    assert project["my_role"] == "director"
    assert (
        alice.post(
            f"/api/v1/projects/{project['id']}/members/", {"username": "bob", "role": "mentor"}, format="json"
        ).status_code
        == 201
    )
    shot = alice.post(
        f"/api/v1/projects/{project['id']}/shots/", {"code": "SH010", "title": "The touch"}, format="json"
    ).json()
    upload = alice.post(
        f"/api/v1/shots/{shot['id']}/versions/",
        {"file": SimpleUploadedFile("touch_v1.mp4", b"\x00\x00\x00\x18ftypmp42 clip bytes")},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    version = upload.json()

    bob = _signed_in("bob", "bob secret 42")
    posted = bob.post(
        f"/api/v1/versions/{version['id']}/comments/",
        {"body": "At 00:02 her hand should hesitate before the touch", "timecode": "00:00:02:00"},
        format="json",
    )
    assert posted.status_code == 201, posted.content

    [comment] = bob.get(f"/api/v1/versions/{version['id']}/comments/").json()["results"]
    assert comment["frame"] == 48
    assert comment["timecode"] == "00:00:02:00"
    assert comment["author"]["role"] == "mentor"


def test_logout_revokes_the_token(director):
    director.set_password("alice secret 42")
    director.save()
    client = _signed_in("alice", "alice secret 42")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/versions/{version_id}/comments/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
