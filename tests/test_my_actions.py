"""``my_actions``: the API tells each person what they may do, so pages need not copy the rules.

The expected lists are written out from shared/API.md's role table, not derived from the code.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for, member
from tests.factories import CommentFactory, MembershipFactory, ProjectFactory, VersionFactory

EVERYTHING = [
    "read",
    "comment",
    "resolve",
    "manage_shots",
    "set_review_status",
    "manage_members",
    "moderate",
    "decide",
    "recommend",
    "download_original",
]
BY_ROLE = {
    "director": EVERYTHING,
    "mentor": ["read", "comment", "resolve", "set_review_status", "recommend", "download_original"],
    "reviewer": ["read", "comment", "download_original"],
    "viewer": ["read", "download_original"],
}


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


@pytest.fixture
def people(director, mentor, reviewer, viewer, staff):
    return {"director": director, "mentor": mentor, "reviewer": reviewer, "viewer": viewer, "staff": staff}


@pytest.mark.parametrize("role", ["director", "mentor", "reviewer", "viewer"])
def test_it_lists_what_each_role_may_do_on_the_project_and_the_version(project, version, people, role):
    client = client_for(people[role])
    assert client.get(f"/api/v1/projects/{project.pk}/").json()["my_actions"] == BY_ROLE[role]
    assert client.get("/api/v1/projects/").json()["results"][0]["my_actions"] == BY_ROLE[role]
    assert client.get(f"/api/v1/versions/{version.pk}/").json()["my_actions"] == BY_ROLE[role]
    listed = client.get(f"/api/v1/shots/{version.shot_id}/versions/").json()["results"]
    assert listed[0]["my_actions"] == BY_ROLE[role]


def test_it_gives_staff_every_action_in_a_project_they_are_not_in(project, version, staff):
    client = client_for(staff)
    project_json = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert (project_json["my_role"], project_json["my_actions"]) == (None, EVERYTHING)
    assert client.get(f"/api/v1/versions/{version.pk}/").json()["my_actions"] == EVERYTHING


def test_it_follows_a_role_change(project, version, director, mentor):
    url = f"/api/v1/versions/{version.pk}/"
    assert "set_review_status" in client_for(mentor).get(url).json()["my_actions"]
    response = client_for(director).patch(
        f"/api/v1/projects/{project.pk}/members/{mentor.pk}/", {"role": "viewer"}, format="json"
    )
    assert response.status_code == 200
    assert client_for(mentor).get(url).json()["my_actions"] == ["read", "download_original"]


def test_it_answers_a_new_project_and_a_changed_one_with_my_actions(director):
    client = client_for(director)
    created = client.post("/api/v1/projects/", {"name": "Night Swim"}, format="json").json()
    assert created["my_actions"] == EVERYTHING
    renamed = client.patch(f"/api/v1/projects/{created['id']}/", {"name": "Night Swim II"}, format="json")
    assert renamed.json()["my_actions"] == EVERYTHING


def test_it_costs_no_query_per_project(director):
    client = client_for(director)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/projects/").status_code == 200
        return len(queries)

    MembershipFactory(project=ProjectFactory(), user=director, role="mentor")
    one = queries_for_the_list()
    for role in ("viewer", "reviewer", "director"):
        MembershipFactory(project=ProjectFactory(), user=director, role=role)
    assert queries_for_the_list() == one


# --- comments ---------------------------------------------------------------


@pytest.fixture
def carols_note(version, reviewer):
    note = CommentFactory(version=version, author=reviewer, frame=12)
    CommentFactory(version=version, author=reviewer, parent=note, thread=note)
    return note


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("reviewer", ["reply", "edit", "delete"]),  # Carol wrote it
        ("mentor", ["reply", "resolve"]),
        ("director", ["reply", "resolve", "delete"]),
        ("viewer", []),
        # Staff moderate, but a comment's words stay its author's.
        ("staff", ["reply", "resolve", "delete"]),
    ],
)
def test_it_lists_what_each_person_may_do_to_a_comment(version, people, carols_note, who, expected):
    client = client_for(people[who])
    listed = client.get(f"/api/v1/versions/{version.pk}/comments/").json()["results"]
    assert listed[0]["my_actions"] == expected
    assert listed[0]["replies"][0]["my_actions"] == expected
    assert client.get(f"/api/v1/comments/{carols_note.pk}/").json()["my_actions"] == expected


def test_it_answers_a_new_comment_with_what_its_author_may_do(version, mentor):
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "hold"}, format="json"
    )
    assert response.json()["my_actions"] == ["reply", "resolve", "edit", "delete"]


def test_a_member_who_is_not_the_author_gets_no_edit_even_as_director(project, version, director):
    frank = member(project, "frank", "reviewer")
    note = CommentFactory(version=version, author=frank)
    actions = client_for(director).get(f"/api/v1/comments/{note.pk}/").json()["my_actions"]
    assert "edit" not in actions
    assert "delete" in actions
