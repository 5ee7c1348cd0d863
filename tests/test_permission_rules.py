"""The rules of reviews.permissions asked directly with a principal, and the sentences of their 403s."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from reviews import permissions
from reviews.models import Membership, Role
from reviews.permissions import Action, Principal
from tests.conftest import client_for
from tests.factories import CommentFactory, VersionFactory


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


def test_a_guest_without_an_account_may_do_nothing_yet(version, reviewer):
    guest = Principal(user=None, role=None)
    note = CommentFactory(version=version, author=reviewer)
    assert permissions.my_actions(guest) == []
    assert permissions.comment_actions(guest, note) == []
    assert not permissions.can_remove_member(guest, Membership(user=reviewer, role=Role.REVIEWER))


def test_a_guest_is_never_the_author_of_an_anonymous_comment(version):
    # A comment whose author left has author_id None; a guest's user id is None too.
    note = CommentFactory(version=version, author=None)
    guest = Principal(user=None, role=Role.REVIEWER)
    assert not permissions.can_edit_comment(guest, note)
    assert not permissions.can_delete_comment(guest, note)


def test_anyone_may_remove_themselves_but_only_a_director_removes_others(project, viewer, reviewer):
    own = Membership.objects.get(project=project, user=viewer)
    others = Membership.objects.get(project=project, user=reviewer)
    as_viewer = Principal.of(viewer, "viewer")
    assert permissions.can_remove_member(as_viewer, own)
    assert not permissions.can_remove_member(as_viewer, others)
    assert permissions.can_remove_member(Principal(user=None, role=Role.DIRECTOR), others)


@pytest.mark.parametrize(
    ("role", "fields", "allowed"),
    [
        ("mentor", ["review_status"], True),
        ("mentor", ["note"], False),
        ("mentor", ["review_status", "note"], False),
        ("director", ["review_status", "generation", "note"], True),
        ("reviewer", ["review_status"], False),
        ("viewer", [], True),
    ],
)
def test_version_fields_need_their_own_actions(director, role, fields, allowed):
    principal = Principal.of(director, role)
    assert permissions.can_patch_version_fields(principal, fields) is allowed


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "sentence"),
    [
        (
            "reviewer",
            "patch",
            "comment",
            {"resolved": True},
            "Only a director or mentor can resolve comments here; you are a reviewer.",
        ),
        (
            "mentor",
            "patch",
            "comment",
            {"body": "mine now"},
            "Only its author can edit a comment's text, drawing or type (category, severity).",
        ),
        (
            "mentor",
            "delete",
            "comment",
            None,
            "Only a director can delete other people's comments here; you are a mentor.",
        ),
        (
            "mentor",
            "patch",
            "version",
            {"note": "v2"},
            "Only a director can upload versions or change shots here; you are a mentor.",
        ),
        (
            "reviewer",
            "patch",
            "version",
            {"review_status": "approved"},
            "Only a director or mentor can set the review status here; you are a reviewer.",
        ),
        (
            "viewer",
            "delete",
            "member",
            None,
            "Only a director can manage the project and its members here; you are a viewer.",
        ),
    ],
)
def test_a_refusal_says_who_may(
    project, version, director, mentor, reviewer, viewer, who, method, path, body, sentence
):
    people = {"mentor": mentor, "reviewer": reviewer, "viewer": viewer}
    note = CommentFactory(version=version, author=reviewer)
    url = {
        "comment": f"/api/v1/comments/{note.pk}/",
        "version": f"/api/v1/versions/{version.pk}/",
        "member": f"/api/v1/projects/{project.pk}/members/{director.pk}/",
    }[path]
    response = getattr(client_for(people[who]), method)(url, body, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": sentence}


def test_a_service_refusal_keeps_its_field(project, director, mentor):
    response = client_for(director).post(
        f"/api/v1/projects/{project.pk}/members/", {"username": "bob", "role": "viewer"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"user": ["bob is already a member of this project."]}


def test_a_service_refusal_without_a_field_is_a_sentence(project, director):
    response = client_for(director).delete(f"/api/v1/projects/{project.pk}/members/{director.pk}/")
    assert response.status_code == 400
    assert response.json() == {"detail": "A project needs a director: make someone else director first."}


# --- layers -----------------------------------------------------------------

REVIEWS = Path(__file__).resolve().parent.parent / "reviews"
# The HTTP layer and its OpenAPI schema: these speak DRF. Everything else (services, selectors,
# permissions, tasks, commands, the media pipeline) must run without it.
WEB_LAYER = {
    "views",
    "serializers",
    "errors.py",
    "parsers.py",
    "pagination.py",
    "uploads.py",
    "schema.py",
    "authentication.py",
    "renderers.py",
}


def _imports_drf(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name == "rest_framework" or name.startswith("rest_framework.") for name in names):
            return True
    return False


def test_only_the_web_layer_imports_rest_framework():
    checked = [
        path
        for path in REVIEWS.rglob("*.py")
        if path.relative_to(REVIEWS).parts[0] not in WEB_LAYER | {"migrations"}
    ]
    assert {"services.py", "tasks.py", "reprocess.py", "permissions.py"} <= {path.name for path in checked}
    assert [str(path.relative_to(REVIEWS)) for path in checked if _imports_drf(path)] == []


def test_the_page_no_longer_copies_the_role_matrix():
    # Pages ask the server's my_actions ("manage_members" in project.my_actions); they never
    # map a role to what it may do, as roles.js's MATRIX did.
    role_to_actions = re.compile(r"\b(director|mentor|reviewer|viewer)\s*:\s*\[")
    scripts = REVIEWS / "static" / "reviews" / "js"
    for script in scripts.glob("*.js"):
        text = script.read_text()
        assert not role_to_actions.search(text), script.name
        assert "roles.js" not in text, script.name
        for action in re.findall(r"\"(manage_members|manage_shots|moderate|set_review_status)\"", text):
            assert f'my_actions.includes("{action}")' in text, (script.name, action)


def test_actions_are_named_the_same_in_the_matrix_and_the_api():
    assert [action.value for action in Action] == [
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
