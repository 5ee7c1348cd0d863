"""The role matrix of shared/API.md, every role against every action.

Each operation names the permission it needs; the expected answer is derived
from the contract's table written out below (not from the code under test).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import client_for, member
from tests.factories import CommentFactory, UserFactory, VersionFactory

# The contract's table, copied by hand: role -> what it may do.
CONTRACT = {
    "director": {"read", "comment", "resolve", "manage_shots", "set_review_status", "manage_members"},
    "mentor": {"read", "comment", "resolve", "set_review_status"},
    "reviewer": {"read", "comment"},
    "viewer": {"read"},
}


def _operations(world):
    project, shot, version, comment = world["project"], world["shot"], world["version"], world["comment"]
    newcomer = world["newcomer"]
    return {
        "read project": ("read", "get", f"/api/v1/projects/{project.pk}/", None),
        "list members": ("read", "get", f"/api/v1/projects/{project.pk}/members/", None),
        "list shots": ("read", "get", f"/api/v1/projects/{project.pk}/shots/", None),
        "read shot": ("read", "get", f"/api/v1/shots/{shot.pk}/", None),
        "list versions": ("read", "get", f"/api/v1/shots/{shot.pk}/versions/", None),
        "read version": ("read", "get", f"/api/v1/versions/{version.pk}/", None),
        "list comments": ("read", "get", f"/api/v1/versions/{version.pk}/comments/", None),
        "read comment": ("read", "get", f"/api/v1/comments/{comment.pk}/", None),
        "comment": (
            "comment",
            "post",
            f"/api/v1/versions/{version.pk}/comments/",
            {"body": "Hold the look", "frame": 3},
        ),
        "reply": (
            "comment",
            "post",
            f"/api/v1/versions/{version.pk}/comments/",
            {"body": "Agreed", "parent": comment.pk},
        ),
        "resolve": ("resolve", "patch", f"/api/v1/comments/{comment.pk}/", {"resolved": True}),
        "create shot": ("manage_shots", "post", f"/api/v1/projects/{project.pk}/shots/", {"code": "SH999"}),
        "edit shot": ("manage_shots", "patch", f"/api/v1/shots/{shot.pk}/", {"title": "New title"}),
        "upload version": ("manage_shots", "upload", f"/api/v1/shots/{shot.pk}/versions/", None),
        "edit version note": (
            "manage_shots",
            "patch",
            f"/api/v1/versions/{version.pk}/",
            {"note": "v2 fixes the hand"},
        ),
        "reprocess version": ("manage_shots", "post", f"/api/v1/versions/{version.pk}/reprocess/", None),
        "delete version": ("manage_shots", "delete", f"/api/v1/versions/{version.pk}/", None),
        "delete shot": ("manage_shots", "delete", f"/api/v1/shots/{shot.pk}/", None),
        "set review status": (
            "set_review_status",
            "patch",
            f"/api/v1/versions/{version.pk}/",
            {"review_status": "approved"},
        ),
        "edit project": ("manage_members", "patch", f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}),
        "add member": (
            "manage_members",
            "post",
            f"/api/v1/projects/{project.pk}/members/",
            {"username": newcomer.username, "role": "viewer"},
        ),
        "change member": (
            "manage_members",
            "patch",
            f"/api/v1/projects/{project.pk}/members/{world['viewer'].pk}/",
            {"role": "reviewer"},
        ),
        "remove member": (
            "manage_members",
            "delete",
            f"/api/v1/projects/{project.pk}/members/{world['leaver'].pk}/",
            None,
        ),
        "delete others' comment": (
            "moderate",
            "delete",
            f"/api/v1/comments/{world['others_comment'].pk}/",
            None,
        ),
        "delete project": ("manage_members", "delete", f"/api/v1/projects/{project.pk}/", None),
    }


OPERATIONS = [
    "read project",
    "list members",
    "list shots",
    "read shot",
    "list versions",
    "read version",
    "list comments",
    "read comment",
    "comment",
    "reply",
    "resolve",
    "create shot",
    "edit shot",
    "upload version",
    "edit version note",
    "reprocess version",
    "delete version",
    "delete shot",
    "set review status",
    "edit project",
    "add member",
    "change member",
    "remove member",
    "delete others' comment",
    "delete project",
]
ACTORS = ["director", "mentor", "reviewer", "viewer", "outsider", "anonymous", "staff"]


@pytest.fixture
def world(project, shot, director, mentor, reviewer, viewer, outsider, staff):
    version = VersionFactory(shot=shot, number=1)
    # The comment under test belongs to someone other than every actor, so
    # "delete others' comment" is never the actor's own.
    author = member(project, "frank", "reviewer")
    return {
        "project": project,
        "shot": shot,
        "version": version,
        "comment": CommentFactory(version=version, author=author, frame=12),
        "others_comment": CommentFactory(version=version, author=author, frame=20),
        "newcomer": UserFactory(username="newcomer"),
        "leaver": member(project, "grace", "viewer"),
        "director": director,
        "mentor": mentor,
        "reviewer": reviewer,
        "viewer": viewer,
        "outsider": outsider,
        "staff": staff,
    }


def _expected(actor: str, needs: str) -> set[int]:
    if actor == "anonymous":
        return {401}
    if actor == "outsider":
        return {404}
    if actor == "staff":
        return {200, 201, 202, 204}
    allowed = needs in CONTRACT[actor] or (needs == "moderate" and actor == "director")
    return {200, 201, 202, 204} if allowed else {403}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_role_matrix_holds(world, actor, operation, django_capture_on_commit_callbacks):
    needs, method, url, body = _operations(world)[operation]
    client = client_for(None if actor == "anonymous" else world[actor])
    if method == "upload":
        clip = SimpleUploadedFile("take2.mp4", b"\x00\x00\x00\x18ftypmp42 not decoded here")
        response = client.post(url, {"file": clip}, format="multipart")
    else:
        response = getattr(client, method)(url, body, format="json")
    assert response.status_code in _expected(actor, needs), (actor, operation, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


def test_a_non_member_cannot_tell_a_missing_project_from_a_hidden_one(world, outsider):
    client = client_for(outsider)
    hidden = client.get(f"/api/v1/projects/{world['project'].pk}/")
    missing = client.get("/api/v1/projects/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_an_author_may_edit_and_delete_their_own_comment(world):
    reviewer = world["reviewer"]
    client = client_for(reviewer)
    created = client.post(
        f"/api/v1/versions/{world['version'].pk}/comments/", {"body": "first"}, format="json"
    )
    url = f"/api/v1/comments/{created.json()['id']}/"
    assert client.patch(url, {"body": "second thoughts"}, format="json").json()["body"] == "second thoughts"
    assert client_for(world["mentor"]).patch(url, {"body": "not yours"}, format="json").status_code == 403
    assert client.delete(url).status_code == 204


def test_a_project_keeps_at_least_one_director(world):
    director = world["director"]
    response = client_for(director).patch(
        f"/api/v1/projects/{world['project'].pk}/members/{director.pk}/", {"role": "viewer"}, format="json"
    )
    assert response.status_code == 400
    assert "director" in response.json()["detail"]


def test_a_member_may_leave_a_project(world):
    viewer = world["viewer"]
    url = f"/api/v1/projects/{world['project'].pk}/members/{viewer.pk}/"
    assert client_for(viewer).delete(url).status_code == 204
    assert client_for(viewer).get(f"/api/v1/projects/{world['project'].pk}/").status_code == 404
