"""A guest holding review link A reaches nothing else: not link B's versions or notes, not the
project's other versions or internal notes, not another project, not the members' API.

Alice shares SH010 v1 of "The Hesitation" with Gina (link A) and SH020 v1 with Hal
(link B); SH010 v2 is shared with no one, and Oscar's "Night Swim" is another
project. Every guest route, tried by Gina with the id of something she may not see,
answers exactly as the same route with an id that does not exist, and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.test import Client
from django.utils import timezone

from reviews.models import Comment, ReviewLink
from tests.conftest import client_for, member
from tests.factories import CommentFactory, ProjectFactory, ShotFactory
from tests.test_isolation import OPERATIONS as MEMBER_OPERATIONS
from tests.test_isolation import _upload
from tests.test_review_links import create_link, join, ready_version

MISSING = 987654321


@pytest.fixture
def world(project, director, mentor, shot, settings):
    root = settings.MEDIA_ROOT
    shared = ready_version(shot, 1, root)
    unshared = ready_version(shot, 2, root)
    other_shot = ShotFactory(project=project, code="SH020")
    bs = ready_version(other_shot, 1, root)
    night_swim = ProjectFactory(name="Night Swim")
    oscar = member(night_swim, "oscar", "director")
    ns_shot = ShotFactory(project=night_swim, code="NS010")
    ns_version = ready_version(ns_shot, 1, root)
    # Both links let guests download originals, so only the link's scope can refuse them.
    link_a = create_link(director, project, versions=[shared.pk], can_download_original=True)
    link_b = create_link(director, project, versions=[bs.pk], can_download_original=True)
    gina, _ = join(link_a["token"], "Gina")
    hal, _ = join(link_b["token"], "Hal")
    return {
        "gina": gina,
        "hal": hal,
        "link_a": link_a,
        "link_b": link_b,
        "shared": shared,
        "shared_comment": CommentFactory(version=shared, author=director, body="Public", frame=1),
        "targets": {
            "link B's version": {"version": bs, "shot": other_shot},
            "link B's note": {
                "comment": CommentFactory(version=bs, author=director, body="For Hal", frame=1)
            },
            "link B guest's note": {
                "comment": Comment.objects.get(
                    pk=hal.post(
                        f"/api/v1/guest/versions/{bs.pk}/comments/", {"body": "Hal's"}, "application/json"
                    ).json()["id"]
                )
            },
            "an unshared version": {"version": unshared},
            "a note on an unshared version": {
                "comment": CommentFactory(version=unshared, author=mentor, body="Not for guests", frame=1)
            },
            "an internal note": {
                "comment": CommentFactory(
                    version=shared, author=mentor, body="Between us", frame=2, internal=True
                )
            },
            "another project": {
                "project": night_swim,
                "shot": ns_shot,
                "version": ns_version,
                "comment": CommentFactory(version=ns_version, author=oscar, body="Night", frame=1),
            },
        },
        "project": project,
    }


# Every guest route naming an object: (method, URL template, body). The {own} version is Gina's.
GUEST_OPERATIONS = {
    "read version": ("get", "/api/v1/guest/versions/{version}/", None),
    "download original": ("get", "/api/v1/guest/versions/{version}/original/", None),
    "list comments": ("get", "/api/v1/guest/versions/{version}/comments/", None),
    "comment": ("post", "/api/v1/guest/versions/{version}/comments/", {"body": "hello"}),
    "read comment": ("get", "/api/v1/guest/comments/{comment}/", None),
    "edit comment": ("patch", "/api/v1/guest/comments/{comment}/", {"body": "mine now"}),
    "delete comment": ("delete", "/api/v1/guest/comments/{comment}/", None),
    "reply": ("post", "/api/v1/guest/versions/{own}/comments/", {"body": "sneaky", "parent": "{comment}"}),
    "read shot": ("get", "/api/v1/guest/shots/{shot}/", None),
    "list shot versions": ("get", "/api/v1/guest/shots/{shot}/versions/", None),
    "read project": ("get", "/api/v1/guest/projects/{project}/", None),
    "list members": ("get", "/api/v1/guest/projects/{project}/members/", None),
    "open the page": ("get", "/guest/versions/{version}/", None),
    # The live stream (reviews/views/guest_live.py): authorised before the test client's WSGI 503.
    "stream events": ("get", "/api/v1/guest/versions/{version}/events/", None),
}


# What each target of the world fixture holds.
TARGETS = {
    "link B's version": {"version", "shot"},
    "link B's note": {"comment"},
    "link B guest's note": {"comment"},
    "an unshared version": {"version"},
    "a note on an unshared version": {"comment"},
    "an internal note": {"comment"},
    "another project": {"project", "shot", "version", "comment"},
}


def _operations_on(target: str):
    """The guest operations that name only objects ``target`` holds, each with the names it uses."""
    for operation, (_, template, body) in GUEST_OPERATIONS.items():
        names = {name for name in ("version", "comment", "shot", "project") if "{" + name + "}" in template}
        if body and body.get("parent") == "{comment}":
            names.add("comment")
        if names <= TARGETS[target]:
            yield operation, sorted(names)


def _send(client: Client, method: str, template: str, body, ids: dict):
    url = template.format(**ids)
    if body is not None:
        body = {key: (int(ids["comment"]) if value == "{comment}" else value) for key, value in body.items()}
        return getattr(client, method)(url, body, "application/json")
    return getattr(client, method)(url)


def _snapshot() -> tuple:
    return (
        sorted(Comment.objects.values_list("pk", "body", "resolved", "internal")),
        sorted(ReviewLink.objects.values_list("pk", "revoked_at")),
    )


@pytest.mark.parametrize("target", list(TARGETS))
def test_a_guest_of_link_a_gets_what_a_missing_id_gets(world, target):
    # One world per target, every operation tried in it: the matrix stays in the fast lane.
    objects = world["targets"][target]
    ids = {
        name: getattr(objects.get(name), "pk", MISSING) for name in ("version", "comment", "shot", "project")
    }
    ids["own"] = world["shared"].pk
    before = _snapshot()
    tried = []
    for operation, names in _operations_on(target):
        method, template, body = GUEST_OPERATIONS[operation]
        hidden = _send(world["gina"], method, template, body, ids)
        missing = [_send(world["gina"], method, template, body, {**ids, name: MISSING}) for name in names]

        expected = 400 if operation == "reply" else 404
        assert hidden.status_code == expected, (operation, hidden.content)
        assert all(other.status_code == expected for other in missing), operation
        if template.startswith("/api/"):
            answer = hidden.content.decode().replace(str(ids["comment"]), "N")
            assert all(answer == other.content.decode().replace(str(MISSING), "N") for other in missing), (
                operation
            )
        tried.append(operation)
    assert tried
    assert _snapshot() == before


def test_a_guest_reaches_what_link_a_shows(world):
    gina, shared = world["gina"], world["shared"]
    assert gina.get(f"/api/v1/guest/versions/{shared.pk}/").status_code == 200
    assert gina.get(f"/api/v1/guest/versions/{shared.pk}/original/").status_code == 200
    assert gina.get(f"/api/v1/guest/comments/{world['shared_comment'].pk}/").status_code == 200
    assert gina.get(f"/api/v1/guest/shots/{shared.shot_id}/").status_code == 200
    assert gina.get(f"/api/v1/guest/projects/{world['project'].pk}/").status_code == 200
    assert gina.get(f"/guest/versions/{shared.pk}/").status_code == 200
    # Hers: past authorisation, to the test client's WSGI refusal (tests/test_guest_live.py streams it).
    assert gina.get(f"/api/v1/guest/versions/{shared.pk}/events/").status_code == 503


def test_a_guest_session_opens_no_member_endpoint(world):
    project = world["project"]
    ids = {
        "project": project.pk,
        "shot": world["shared"].shot_id,
        "version": world["shared"].pk,
        "comment": world["shared_comment"].pk,
        "member": project.memberships.first().user_id,
    }
    before = _snapshot()
    client = world["gina"]
    # Objects of other features in the member matrix (webhooks, …) are refused before any lookup.
    ids = defaultdict(lambda: MISSING, ids)
    for operation, (method, template, body) in MEMBER_OPERATIONS.items():
        url = template.format_map(ids)
        if method == "upload":
            response = client.post(url, _upload())
        else:
            response = getattr(client, method)(url, body, "application/json")
        assert response.status_code in (401, 403), (operation, response.content)
    assert _snapshot() == before


DIRECTOR_AND_ACCOUNT_ENDPOINTS = [
    ("get", "/api/v1/projects/{project}/review-links/"),
    ("post", "/api/v1/projects/{project}/review-links/"),
    ("get", "/api/v1/projects/{project}/review-links/{link}/"),
    ("patch", "/api/v1/projects/{project}/review-links/{link}/"),
    ("delete", "/api/v1/projects/{project}/review-links/{link}/"),
    ("get", "/api/v1/projects/{project}/review-links/{link}/opens/"),
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/projects/"),
    ("get", "/api/v1/users/"),
    ("get", "/api/v1/projects/{project}/activity/"),
    ("post", "/api/v1/versions/{version}/seen/"),
]


def test_a_guest_session_opens_no_director_or_account_endpoint(world):
    before = _snapshot()
    for method, path in DIRECTOR_AND_ACCOUNT_ENDPOINTS:
        url = path.format(project=world["project"].pk, link=world["link_a"]["id"], version=world["shared"].pk)
        response = getattr(world["gina"], method)(url, {"versions": [world["shared"].pk]}, "application/json")
        assert response.status_code in (401, 403), (url, response.content)
    assert _snapshot() == before


def test_a_guests_media_links_end_with_their_own_link_only(world, director):
    gina_version = world["gina"].get(f"/api/v1/guest/versions/{world['shared'].pk}/").json()
    bs = world["targets"]["link B's version"]["version"]
    hal_version = world["hal"].get(f"/api/v1/guest/versions/{bs.pk}/").json()
    assert Client().get(hal_version["proxy_url"], HTTP_RANGE="bytes=0-9").status_code == 206
    hal_original = world["hal"].get(f"/api/v1/guest/versions/{bs.pk}/original/").json()["url"]
    gina_original = world["gina"].get(f"/api/v1/guest/versions/{world['shared'].pk}/original/").json()["url"]
    assert Client().get(hal_original).status_code == 200

    client_for(director).patch(
        f"/api/v1/projects/{world['project'].pk}/review-links/{world['link_b']['id']}/",
        {"revoked_at": timezone.now().isoformat()},
        format="json",
    )

    assert Client().get(hal_version["proxy_url"], HTTP_RANGE="bytes=0-9").status_code == 404
    assert Client().get(gina_version["proxy_url"], HTTP_RANGE="bytes=0-9").status_code == 206
    assert Client().get(hal_original).status_code == 404
    assert Client().get(gina_original).status_code == 200
    # An edited media link is a 404, whoever holds it.
    edited = gina_version["proxy_url"].replace("/proxy.mp4", "/poster.jpg")
    assert Client().get(edited).status_code == 404
