"""Typed notes: a thread's category (what it is about) and severity (must fix or a suggestion)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.models import Event, EventKind
from tests.conftest import client_for
from tests.factories import VersionFactory


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


def _post(client, version, **data):
    return client.post(f"/api/v1/versions/{version.pk}/comments/", data, format="json")


def _list(client, version, query=""):
    response = client.get(f"/api/v1/versions/{version.pk}/comments/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_note_is_created_with_its_category_and_severity(version, reviewer):
    response = _post(
        client_for(reviewer),
        version,
        body="six fingers",
        frame=12,
        category="hands_and_body",
        severity="must_fix",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["category"], body["severity"]) == ("hands_and_body", "must_fix")
    assert _list(client_for(reviewer), version)[0]["category"] == "hands_and_body"


def test_a_note_that_does_not_say_has_empty_category_and_severity(version, reviewer):
    body = _post(client_for(reviewer), version, body="lovely").json()
    assert (body["category"], body["severity"]) == ("", "")


@pytest.mark.parametrize(
    ("field", "value"), [("category", "hands"), ("severity", "urgent"), ("category", None)]
)
def test_it_refuses_a_type_that_is_not_documented(version, reviewer, field, value):
    response = _post(client_for(reviewer), version, body="x", **{field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not version.comments.exists()


@pytest.mark.parametrize("field", ["category", "severity"])
def test_it_refuses_a_type_on_a_reply_which_takes_its_threads(version, mentor, reviewer, field):
    root = services.comment_create(version=version, author=mentor, body="hand", category="camera")
    value = {"category": "camera", "severity": "must_fix"}[field]

    response = _post(client_for(reviewer), version, body="agreed", parent=root.pk, **{field: value})

    assert response.status_code == 400
    assert "thread" in response.json()[field][0]
    assert version.comments.count() == 1


def test_the_author_retypes_a_note_and_an_event_says_so(version, reviewer):
    note = services.comment_create(version=version, author=reviewer, body="flicker", category="camera")

    response = client_for(reviewer).patch(
        f"/api/v1/comments/{note.pk}/",
        {"category": "morphing_and_flicker", "severity": "suggestion"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["category"], response.json()["severity"]) == (
        "morphing_and_flicker",
        "suggestion",
    )
    event = Event.objects.filter(kind=EventKind.COMMENT_UPDATED).get()
    assert event.payload["changed"] == ["category", "severity"]


def test_the_author_clears_a_type_with_an_empty_value(version, reviewer):
    note = services.comment_create(version=version, author=reviewer, body="x", severity="must_fix")
    response = client_for(reviewer).patch(f"/api/v1/comments/{note.pk}/", {"severity": ""}, format="json")
    assert response.json()["severity"] == ""


def test_someone_else_may_not_retype_a_note(version, director, reviewer):
    note = services.comment_create(version=version, author=reviewer, body="x", category="camera")

    response = client_for(director).patch(
        f"/api/v1/comments/{note.pk}/", {"category": "audio"}, format="json"
    )

    assert response.status_code == 403
    assert "type" in response.json()["detail"]
    note.refresh_from_db()
    assert note.category == "camera"


def test_a_reply_cannot_be_retyped(version, mentor, reviewer):
    root = services.comment_create(version=version, author=mentor, body="hand")
    reply = services.comment_create(version=version, author=reviewer, body="yes", parent=root)

    response = client_for(reviewer).patch(
        f"/api/v1/comments/{reply.pk}/", {"severity": "must_fix"}, format="json"
    )

    assert response.status_code == 400
    assert "thread" in response.json()["severity"][0]


def test_the_list_filters_by_category_and_severity(version, mentor):
    for body, category, severity in [
        ("six fingers", "hands_and_body", "must_fix"),
        ("hand drifts", "hands_and_body", "suggestion"),
        ("pan too fast", "camera", "must_fix"),
        ("untyped", "", ""),
    ]:
        services.comment_create(
            version=version, author=mentor, body=body, category=category, severity=severity
        )
    client = client_for(mentor)

    hands = _list(client, version, "?category=hands_and_body")
    must_fix = _list(client, version, "?severity=must_fix")
    both = _list(client, version, "?category=hands_and_body&severity=must_fix")

    assert sorted(c["body"] for c in hands) == ["hand drifts", "six fingers"]
    assert sorted(c["body"] for c in must_fix) == ["pan too fast", "six fingers"]
    assert [c["body"] for c in both] == ["six fingers"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?category=hands_and_body&category=camera", ["pan too fast", "six fingers", "hand drifts"]),
        ("?category=hands_and_body,camera", ["pan too fast", "six fingers", "hand drifts"]),
        ("?category=none", ["untyped"]),
        ("?category=camera,none", ["untyped", "pan too fast"]),
        ("?severity=none", ["untyped"]),
        ("?severity=must_fix&category=none,hands_and_body", ["six fingers"]),
    ],
)
def test_the_list_filters_by_several_types_or_by_none_said(version, mentor, query, expected):
    for body, category, severity, frame in [
        ("six fingers", "hands_and_body", "must_fix", 10),
        ("hand drifts", "hands_and_body", "suggestion", 20),
        ("pan too fast", "camera", "must_fix", 5),
        ("untyped", "", "", None),
    ]:
        services.comment_create(
            version=version, author=mentor, body=body, category=category, severity=severity, frame=frame
        )
    assert [c["body"] for c in _list(client_for(mentor), version, query)] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?category=hands", "category"),
        ("?severity=MUST_FIX", "severity"),
        ("?category=camera&category=hands", "category"),
        ("?category=camera,hands", "category"),
    ],
)
def test_it_refuses_a_filter_value_that_is_not_documented(version, mentor, query, field):
    response = client_for(mentor).get(f"/api/v1/versions/{version.pk}/comments/{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("where", ["filter", "create", "update"])
def test_a_refused_type_is_echoed_cut_short(version, mentor, where):
    value = "x" * 5000
    client = client_for(mentor)
    if where == "filter":
        response = client.get(f"/api/v1/versions/{version.pk}/comments/?category={value}")
    elif where == "create":
        response = _post(client, version, body="x", category=value)
    else:
        note = services.comment_create(version=version, author=mentor, body="x")
        response = client.patch(f"/api/v1/comments/{note.pk}/", {"category": value}, format="json")

    assert response.status_code == 400
    [message] = response.json()["category"]
    assert "x" * 80 in message
    assert len(message) < 300


def test_clients_read_the_documented_categories_and_severities(viewer):
    body = client_for(viewer).get("/api/v1/note-categories/").json()

    assert {"value": "hands_and_body", "label": "Hands and body"} in body["categories"]
    assert body["categories"][-1] == {"value": "other", "label": "Other"}
    assert body["severities"] == [
        {"value": "must_fix", "label": "Must fix"},
        {"value": "suggestion", "label": "Suggestion"},
    ]


def test_the_categories_need_a_signed_in_client(db):
    assert client_for().get("/api/v1/note-categories/").status_code in (401, 403)


def test_the_schema_lists_the_values_of_the_filters_and_fields(mentor):
    schema = client_for(mentor).get("/api/v1/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/versions/{version_id}/comments/"]["get"]["parameters"]
    schemas = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
    enums = {name: schema.get("items", schema).get("enum") for name, schema in schemas.items()}
    assert "hands_and_body" in enums["category"]
    assert "none" in enums["category"]
    assert enums["severity"] == ["must_fix", "none", "suggestion"]


def test_the_typed_list_runs_a_constant_number_of_queries(version, mentor, reviewer):
    def seed(count):
        for index in range(count):
            root = services.comment_create(
                version=version,
                author=mentor,
                body=f"n{index}",
                frame=index,
                category="camera",
                severity="must_fix",
            )
            services.comment_create(version=version, author=reviewer, body="yes", parent=root)

    client = client_for(mentor)
    seed(2)
    with CaptureQueriesContext(connection) as few:
        assert len(_list(client, version, "?category=camera")) == 2
    seed(20)
    with CaptureQueriesContext(connection) as many:
        assert len(_list(client, version, "?category=camera")) == 22
    assert len(many) == len(few)
