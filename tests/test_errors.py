"""Bad input gets a clear JSON error, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.factories import VersionFactory


def test_malformed_json_is_a_400_with_a_reason(project, director):
    response = client_for(director).generic(
        "POST", f"/api/v1/projects/{project.pk}/shots/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": ["a list"]},
        {"name": "ok", "fps": "fast"},
        {"name": "ok", "fps": 0},
        {"name": "ok", "fps": True},
        {"name": "ok", "fps": {"num": 24}},
        {"name": "x" * 500},
        [],
        "just a string",
    ],
)
def test_wrong_types_are_a_400_never_a_500(director, payload):
    response = client_for(director).post("/api/v1/projects/", payload, format="json")
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/999999/",
        "/api/v1/shots/999999/versions/",
        "/api/v1/versions/999999/comments/",
        "/api/v1/comments/abc/",
        "/api/v1/no-such-thing/",
        "/api/v1/media/forged-token/proxy.mp4",
    ],
)
def test_unknown_things_are_a_json_404(director, url):
    response = client_for(director).get(url)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_unknown_ids_in_a_body_are_a_400(project, shot, director):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot, number=1)
    response = client_for(director).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "x", "parent": 999999}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["parent"]


def test_a_missing_token_is_a_401_that_says_how_to_sign_in(project):
    response = client_for(None).get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_wrong_password_is_refused_plainly(director):
    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code in (400, 401)
    assert "wrong" in response.json()["detail"]


def test_an_unsupported_method_is_a_json_405(project, director):
    response = client_for(director).put(f"/api/v1/projects/{project.pk}/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"body": "x", "annotation": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
    ids=["whole body", "one field"],
)
def test_json_nested_past_the_parsers_depth_is_a_400(shot, mentor, body):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    response = client_for(mentor).generic(
        "POST", f"/api/v1/versions/{version.pk}/comments/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("generation", {"model": "kling\x002"}),
        ("generation", {"mo\x00del": "kling-2"}),
        ("generation", {"steps": [{"prompt": "\x00"}]}),
    ],
)
def test_a_null_character_in_generation_metadata_is_a_400(shot, director, field, value):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    response = client_for(director).patch(f"/api/v1/versions/{version.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert "Null characters" in response.json()[field][0]


def test_a_null_character_in_an_annotation_is_a_400_and_stores_nothing(shot, mentor):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    annotation = {"shapes": [{"type": "stroke", "color": "#ff0\x00", "points": [[0.1, 0.2]]}]}
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "here", "annotation": annotation}, format="json"
    )
    assert response.status_code == 400
    assert "Null characters" in response.json()["annotation"][0]
    assert not version.comments.exists()


def test_the_schema_takes_the_429_and_413_from_the_views(client):
    from rest_framework.throttling import ScopedRateThrottle

    from reviews.views.projects import ShotListView

    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def answering(code: str) -> set[tuple[str, str]]:
        return {
            (method, path)
            for path, operations in schema["paths"].items()
            for method, operation in operations.items()
            if code in operation["responses"]
        }

    upload = ("post", "/api/v1/shots/{shot_id}/versions/")
    # Throttled (token, upload, a guest's notes and edits), or locking out after too many wrong
    # secrets (password, member add, an email already taken).
    assert answering("429") == {
        ("post", "/api/v1/auth/token/"),
        upload,
        ("post", "/api/v1/me/password/"),
        ("patch", "/api/v1/me/"),
        ("post", "/api/v1/projects/{project_id}/members/"),
        ("post", "/api/v1/projects/{project_id}/webhooks/{id}/test/"),
        ("post", "/api/v1/projects/{project_id}/webhooks/{id}/deliveries/{delivery_id}/redeliver/"),
        ("post", "/api/v1/guest/versions/{id}/comments/"),
        ("patch", "/api/v1/guest/comments/{id}/"),
    }
    # Django's own limits (a 2.5 MiB body, 1000 fields) are a 413 wherever there is a body or a query.
    assert {upload, ("post", "/api/v1/projects/"), ("get", "/api/v1/projects/")} <= answering("413")
    assert ("get", "/api/v1/me/") not in answering("413")
    # A view that starts throttling is documented so without a list to update.
    ShotListView.throttle_classes = [ScopedRateThrottle]
    ShotListView.throttle_scope = "upload"
    try:
        schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    finally:
        del ShotListView.throttle_classes, ShotListView.throttle_scope
    assert ("post", "/api/v1/projects/{project_id}/shots/") in answering("429")


def test_a_refused_value_is_not_echoed_whole(shot, director):
    version = VersionFactory(shot=shot)
    answer = client_for(director).post(
        f"/api/v1/versions/{version.pk}/decision/", {"decision": "x" * 2_000_000}, format="json"
    )
    assert answer.status_code == 400
    assert len(answer.content) < 2000
    assert answer.json()["decision"][0].startswith('"xxx')
