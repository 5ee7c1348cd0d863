"""Projects are sealed from each other: no one reaches another project's rows by id or by URL.

Alice, Bob, Carol and Dave hold each role of the contract's table in "The
Hesitation"; Oscar directs "Night Swim", which none of them belongs to, and Eve
belongs to no project. Every operation on a Night Swim object, tried by each of
them, must answer exactly as
the same operation on an id that does not exist (status and body), and change
nothing. The roles come from the table copied in tests/test_permissions.py,
itself checked against shared/API.md below when that file is at hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signing import dumps, loads

from reviews.invitations import invitation_create
from reviews.media import links
from reviews.models import (
    Comment,
    Invitation,
    Membership,
    ProcessingState,
    Project,
    Recommendation,
    Shot,
    Version,
    Webhook,
    WebhookDelivery,
)
from tests.conftest import client_for, member
from tests.factories import CommentFactory, ProjectFactory, ShotFactory, UserFactory, VersionFactory
from tests.reliability import record
from tests.test_permissions import CONTRACT

# Every role of the contract, in another project, and Eve, who belongs to no project at all.
ROLES = [*CONTRACT, "outsider"]
MISSING = 987654321
# The contract lives in shared/, beside the repository's folder, as `make test` and CI both lay it out.
CONTRACT_FILE = Path(__file__).resolve().parents[2] / "shared" / "API.md"


@pytest.fixture
def night_swim(db):
    """Another project, directed by Oscar, with a shot, a version, a comment and a second member."""
    project = ProjectFactory(name="Night Swim")
    oscar = member(project, "oscar", "director")
    mona = member(project, "mona", "viewer")
    shot = ShotFactory(project=project, code="NS010", title="The dive")
    version = VersionFactory(shot=shot, number=1)
    Version.objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.READY, outputs_dir=f"versions/{version.pk}/run1"
    )
    comment = CommentFactory(version=version, author=oscar, frame=5, body="Slower dive")
    webhook = Webhook.objects.create(
        project=project,
        url="https://93.184.215.14/night",
        event_types=["comment.created"],
        secret="whsec_oscar",
    )
    delivery = WebhookDelivery.objects.create(webhook=webhook, event_type="webhook.test", body="{}")
    invitation = invitation_create(project=project, email="nina@example.com", role="viewer", by=oscar)
    return {
        "project": project,
        "shot": shot,
        "version": version,
        "comment": comment,
        "member": mona,
        "webhook": webhook,
        "delivery": delivery,
        "invitation": invitation,
    }


@pytest.fixture
def hesitation(project, director, mentor, reviewer, viewer, outsider):
    shot = ShotFactory(project=project, code="SH010")
    version = VersionFactory(shot=shot, number=1)
    comment = CommentFactory(version=version, author=mentor, frame=3)
    return {
        "project": project,
        "shot": shot,
        "version": version,
        "comment": comment,
        "users": {
            "director": director,
            "mentor": mentor,
            "reviewer": reviewer,
            "viewer": viewer,
            "outsider": outsider,
        },
    }


def _upload() -> dict:
    return {"file": SimpleUploadedFile("take.mp4", b"\x00\x00\x00\x18ftypmp42 never decoded")}


# Every operation that names a project's object, as (method, URL template, body); {project},
# {shot}, {version}, {comment} and {member} are replaced by Night Swim's ids or by MISSING.
OPERATIONS = {
    "read project": ("get", "/api/v1/projects/{project}/", None),
    "edit project": ("patch", "/api/v1/projects/{project}/", {"name": "Mine now"}),
    "delete project": ("delete", "/api/v1/projects/{project}/", None),
    "list members": ("get", "/api/v1/projects/{project}/members/", None),
    "add a member": ("post", "/api/v1/projects/{project}/members/", {"username": "eve", "role": "director"}),
    "read a member": ("get", "/api/v1/projects/{project}/members/{member}/", None),
    "promote a member": ("patch", "/api/v1/projects/{project}/members/{member}/", {"role": "director"}),
    "remove a member": ("delete", "/api/v1/projects/{project}/members/{member}/", None),
    "list shots": ("get", "/api/v1/projects/{project}/shots/", None),
    "create a shot": ("post", "/api/v1/projects/{project}/shots/", {"code": "X1"}),
    "read shot": ("get", "/api/v1/shots/{shot}/", None),
    "edit shot": ("patch", "/api/v1/shots/{shot}/", {"title": "Mine"}),
    "delete shot": ("delete", "/api/v1/shots/{shot}/", None),
    "list versions": ("get", "/api/v1/shots/{shot}/versions/", None),
    "upload a version": ("upload", "/api/v1/shots/{shot}/versions/", None),
    "read version": ("get", "/api/v1/versions/{version}/", None),
    "approve version": ("patch", "/api/v1/versions/{version}/", {"review_status": "approved"}),
    "delete version": ("delete", "/api/v1/versions/{version}/", None),
    "reprocess version": ("post", "/api/v1/versions/{version}/reprocess/", None),
    "list comments": ("get", "/api/v1/versions/{version}/comments/", None),
    "comment": ("post", "/api/v1/versions/{version}/comments/", {"body": "hello"}),
    "read comment": ("get", "/api/v1/comments/{comment}/", None),
    "resolve comment": ("patch", "/api/v1/comments/{comment}/", {"resolved": True}),
    "delete comment": ("delete", "/api/v1/comments/{comment}/", None),
    "select a take": ("post", "/api/v1/versions/{version}/decision/", {"decision": "selected"}),
    "select a take by patching": ("patch", "/api/v1/versions/{version}/", {"decision": "selected"}),
    "recommend a take": ("post", "/api/v1/versions/{version}/recommendation/", None),
    "withdraw a recommendation": ("delete", "/api/v1/versions/{version}/recommendation/", None),
    "read the lineage": ("get", "/api/v1/shots/{shot}/versions/tree/", None),
    "search a project": ("get", "/api/v1/projects/{project}/search/?q=dive", None),
    "list webhooks": ("get", "/api/v1/projects/{project}/webhooks/", None),
    "add a webhook": (
        "post",
        "/api/v1/projects/{project}/webhooks/",
        {"url": "https://93.184.215.14/mine", "event_types": ["comment.created"]},
    ),
    "read a webhook": ("get", "/api/v1/projects/{project}/webhooks/{webhook}/", None),
    "repoint a webhook": (
        "patch",
        "/api/v1/projects/{project}/webhooks/{webhook}/",
        {"url": "https://93.184.215.15/"},
    ),
    "delete a webhook": ("delete", "/api/v1/projects/{project}/webhooks/{webhook}/", None),
    "test a webhook": ("post", "/api/v1/projects/{project}/webhooks/{webhook}/test/", None),
    "rotate a webhook's secret": (
        "post",
        "/api/v1/projects/{project}/webhooks/{webhook}/rotate-secret/",
        None,
    ),
    "read deliveries": ("get", "/api/v1/projects/{project}/webhooks/{webhook}/deliveries/", None),
    "redeliver": (
        "post",
        "/api/v1/projects/{project}/webhooks/{webhook}/deliveries/{delivery}/redeliver/",
        None,
    ),
    "list invitations": ("get", "/api/v1/projects/{project}/invitations/", None),
    "invite": (
        "post",
        "/api/v1/projects/{project}/invitations/",
        {"email": "eve@example.com", "role": "director"},
    ),
    "resend an invitation": ("post", "/api/v1/projects/{project}/invitations/{invitation}/resend/", None),
    "revoke an invitation": ("delete", "/api/v1/projects/{project}/invitations/{invitation}/", None),
}


def _send(client, method: str, url: str, body):
    if method == "upload":
        return client.post(url, _upload(), format="multipart")
    return getattr(client, method)(url, body, format="json")


def _snapshot(world: dict) -> tuple:
    """Everything an operation above could change in Night Swim."""
    project = world["project"]
    return (
        Project.objects.filter(pk=project.pk).values_list("name").first(),
        sorted(Membership.objects.filter(project=project).values_list("user__username", "role")),
        sorted(Shot.objects.filter(project=project).values_list("code", "title")),
        sorted(
            Version.objects.filter(shot__project=project).values_list(
                "number", "review_status", "processing_state", "decision", "parent_version"
            )
        ),
        sorted(Comment.objects.filter(version__shot__project=project).values_list("body", "resolved")),
        sorted(Webhook.objects.filter(project=project).values_list("url", "secret", "active")),
        WebhookDelivery.objects.filter(webhook__project=project).count(),
        sorted(
            Invitation.objects.filter(project=project).values_list(
                "email", "role", "token_hash", "revoked_at"
            )
        ),
        Recommendation.objects.filter(version__shot__project=project).count(),
    )


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_a_member_of_another_project_gets_what_a_missing_id_gets(hesitation, night_swim, role, operation):
    method, template, body = OPERATIONS[operation]
    names = ("project", "shot", "version", "comment", "member", "webhook", "delivery", "invitation")
    ids = {name: night_swim[name].pk for name in names}
    client = client_for(hesitation["users"][role])
    before = _snapshot(night_swim)

    hidden = _send(client, method, template.format(**ids), body)
    # The same address with the one id that differs made up: for a member, the project is
    # real and the member id is missing, so both parts of the URL are tried.
    missing = [
        _send(client, method, template.format(**{**ids, name: MISSING}), body)
        for name in ids
        if "{" + name + "}" in template
    ]

    record("isolation", role=role, operation=operation, status=hidden.status_code)
    assert hidden.status_code == 404, hidden.content
    assert all(other.status_code == 404 for other in missing)
    assert all(hidden.json() == other.json() for other in missing), "the answer must not tell them apart"
    assert _snapshot(night_swim) == before


def test_the_copied_role_table_matches_the_contract():
    contract = CONTRACT_FILE
    if not contract.exists():
        # CI lays shared/ beside its clone, so there a missing contract is a broken checkout, not a skip.
        if os.getenv("CI") == "true":
            pytest.fail(f"The contract {contract} is missing: CI must lay shared/ beside the repository.")
        pytest.skip(f"The contract {contract} is not beside this checkout")
    columns = {
        "read": "read",
        "comment, reply": "comment",
        "resolve comments": "resolve",
        "upload versions, manage shots": "manage_shots",
        "set review status": "set_review_status",
        "manage members": "manage_members",
    }
    lines = [line for line in contract.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in ("director", "mentor", "reviewer", "viewer"):
            table[cells[0]] = {
                columns[name] for name, cell in zip(header[1:], cells[1:], strict=True) if cell == "yes"
            }
    assert table == CONTRACT


def test_a_reply_cannot_hang_on_another_projects_comment(hesitation, night_swim):
    client = client_for(hesitation["users"]["reviewer"])
    url = f"/api/v1/versions/{hesitation['version'].pk}/comments/"

    hidden = client.post(url, {"body": "sneaky", "parent": night_swim["comment"].pk}, format="json")
    missing = client.post(url, {"body": "sneaky", "parent": MISSING}, format="json")

    assert hidden.status_code == missing.status_code == 400
    # The message names the id sent; with that replaced, the two answers are the same.
    assert hidden.json()["parent"][0].replace(str(night_swim["comment"].pk), "N") == missing.json()["parent"][
        0
    ].replace(str(MISSING), "N")
    assert not Comment.objects.filter(body="sneaky").exists()


def test_a_comment_cannot_be_moved_to_another_projects_version(hesitation, night_swim):
    comment = hesitation["comment"]
    client = client_for(hesitation["users"]["mentor"])

    response = client.patch(
        f"/api/v1/comments/{comment.pk}/",
        {"version": night_swim["version"].pk, "parent": night_swim["comment"].pk, "body": "moved?"},
        format="json",
    )

    assert response.status_code in (200, 400, 403)
    comment.refresh_from_db()
    assert (comment.version_id, comment.parent_id) == (hesitation["version"].pk, None)


def test_a_comment_posted_with_another_version_in_its_body_stays_where_it_was_posted(hesitation, night_swim):
    client = client_for(hesitation["users"]["reviewer"])
    response = client.post(
        f"/api/v1/versions/{hesitation['version'].pk}/comments/",
        {"body": "where am I", "version": night_swim["version"].pk},
        format="json",
    )
    assert response.status_code == 201
    assert Comment.objects.get(pk=response.json()["id"]).version_id == hesitation["version"].pk


def test_a_shot_or_version_cannot_be_moved_into_another_project(hesitation, night_swim):
    client = client_for(hesitation["users"]["director"])
    client.patch(
        f"/api/v1/shots/{hesitation['shot'].pk}/", {"project": night_swim["project"].pk}, format="json"
    )
    client.patch(
        f"/api/v1/versions/{hesitation['version'].pk}/", {"shot": night_swim["shot"].pk}, format="json"
    )
    assert Shot.objects.get(pk=hesitation["shot"].pk).project_id == hesitation["project"].pk
    assert Version.objects.get(pk=hesitation["version"].pk).shot_id == hesitation["shot"].pk


def test_a_take_cannot_name_another_projects_version_as_its_parent(hesitation, night_swim):
    client = client_for(hesitation["users"]["director"])
    url = f"/api/v1/versions/{hesitation['version'].pk}/"
    theirs = client.patch(url, {"parent_version": night_swim["version"].pk}, format="json")
    made_up = client.patch(url, {"parent_version": MISSING}, format="json")
    assert theirs.status_code == made_up.status_code == 400
    assert theirs.json()["parent_version"][0].replace(str(night_swim["version"].pk), "N") == made_up.json()[
        "parent_version"
    ][0].replace(str(MISSING), "N"), "the answer must not tell them apart"
    assert Version.objects.get(pk=hesitation["version"].pk).parent_version is None


def test_a_director_cannot_manage_the_members_of_a_project_they_do_not_direct(hesitation, night_swim):
    # Bob mentors Night Swim too: he sees it, but adding someone is a director's call.
    Membership.objects.create(
        project=night_swim["project"], user=hesitation["users"]["mentor"], role="mentor"
    )
    eve = UserFactory(username="eve")
    url = f"/api/v1/projects/{night_swim['project'].pk}/members/"

    as_mentor = client_for(hesitation["users"]["mentor"]).post(
        url, {"user": eve.pk, "role": "director"}, format="json"
    )
    as_stranger = client_for(hesitation["users"]["director"]).post(
        url, {"user": eve.pk, "role": "director"}, format="json"
    )

    assert (as_mentor.status_code, as_stranger.status_code) == (403, 404)
    assert not Membership.objects.filter(user=eve).exists()


def test_a_member_of_one_project_cannot_be_managed_through_another(hesitation, night_swim):
    # Mona belongs to Night Swim only; Alice directs The Hesitation.
    client = client_for(hesitation["users"]["director"])
    url = f"/api/v1/projects/{hesitation['project'].pk}/members/{night_swim['member'].pk}/"
    response = client.patch(url, {"role": "director"}, format="json")
    missing = client.patch(
        f"/api/v1/projects/{hesitation['project'].pk}/members/{MISSING}/", {"role": "director"}, format="json"
    )
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert Membership.objects.get(user=night_swim["member"]).role == "viewer"


def test_lists_hold_nothing_from_another_project(hesitation, night_swim):
    client = client_for(hesitation["users"]["director"])
    projects = client.get("/api/v1/projects/").json()["results"]
    assert [project["name"] for project in projects] == ["The Hesitation"]
    filtered = client.get(
        f"/api/v1/versions/{hesitation['version'].pk}/comments/", {"author": "oscar"}
    ).json()["results"]
    assert filtered == []


def test_a_media_link_cannot_be_bent_to_another_projects_files(hesitation, night_swim):
    version = night_swim["version"]
    version.refresh_from_db()
    own = hesitation["version"]
    Version.objects.filter(pk=own.pk).update(
        processing_state=ProcessingState.READY, outputs_dir=f"versions/{own.pk}/run1"
    )
    own.refresh_from_db()
    link = links.signed_url(own, "proxy", user_id=hesitation["users"]["mentor"].pk)
    token = link.split("/")[-2]
    claim = loads(token, salt="reviewsvc.media")

    # The payload is readable (it is signed, not encrypted), but editing it breaks the signature,
    # and signing it needs the server's key: a forged link fails like a garbage one.
    forged_payload = dumps({**claim, "v": version.pk, "d": version.outputs_dir}, salt="not-the-salt")
    anonymous = client_for(None)
    answers = [
        anonymous.get(link.replace(token, forged_payload)),
        anonymous.get(link.replace(token, re.sub(r"[A-Za-z]", "x", token))),
        anonymous.get(link.replace("proxy.mp4", "../../../etc/passwd")),
        anonymous.get(link.replace(token, token + "x")),
    ]
    garbage = anonymous.get("/api/v1/media/garbage/proxy.mp4")
    assert all(answer.status_code == 404 for answer in [*answers, garbage])
    assert {answer.json()["detail"] for answer in [answers[0], answers[1], answers[3], garbage]} == {
        garbage.json()["detail"]
    }


def test_a_non_member_cannot_list_or_search_another_projects_users_comments(hesitation, night_swim, outsider):
    client = client_for(outsider)
    hidden = client.get(f"/api/v1/versions/{night_swim['version'].pk}/comments/", {"author": "oscar"})
    missing = client.get(f"/api/v1/versions/{MISSING}/comments/", {"author": "oscar"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
