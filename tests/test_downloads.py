"""Downloading a version's original: the file as uploaded, byte for byte, under its own name.

Alice uploads SH010 v1 as "Szene 1 - Übergang.mov". Every member of The Hesitation may download
it (Bob mentors, Carol reviews, Dave watches); Eve, who is not a member, gets the 404 a missing
version gets. The link each is given checks them again on every request: Carol removed from the
project, or the version deleted, and her copied link is a 404. Gina, a guest, downloads it only
when Alice's review link allows it, and under a name of the shot's, never the uploader's.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from reviews import permissions
from reviews.media import links
from reviews.media.filenames import attachment_header, download_name
from reviews.media.links import original_content_type
from reviews.models import ProcessingState, ReviewLink, Role, Version
from reviews.models.review import original_upload_to
from reviews.permissions import Action
from tests.conftest import client_for
from tests.factories import VersionFactory
from tests.test_review_links import guest_of_link

CLIP = b"\x00\x00\x00\x18ftypqt  " + bytes(range(256)) * 40
NAME = "Szene 1 \u2013 Übergang.mov"


def upload(user, shot, name: str = NAME, data: bytes = CLIP) -> dict:
    response = client_for(user).post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile(name, data, content_type="video/quicktime")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def stored_version(shot, original_filename: str, data: bytes = CLIP, number: int = 1, **fields) -> Version:
    """A version whose original holds `data`, as if uploaded under `original_filename` by a route
    that keeps names as they came (a script, the admin)."""
    return VersionFactory(
        shot=shot,
        number=number,
        file=ContentFile(data, name="upload.mov"),
        original_filename=original_filename,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        **fields,
    )


def fetch(url: str, **headers):
    # A download link needs no credentials: a browser's download manager or curl.
    return Client().get(url, **headers)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def disposition_name(header: str) -> str:
    """The name a current browser saves under: the RFC 8187 ``filename*``."""
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)$", header)
    assert encoded, header
    return unquote(encoded.group(1), errors="strict")


@pytest.fixture
def version(shot, director):
    return Version.objects.get(pk=upload(director, shot)["id"])


# --- members --------------------------------------------------------------------


def test_a_member_downloads_the_upload_byte_for_byte_under_its_own_name(version, director):
    answer = client_for(director).get(f"/api/v1/versions/{version.pk}/original/")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["filename"] == NAME
    assert body["content_type"] == "video/quicktime"
    assert (body["size_bytes"], body["sha256"]) == (len(CLIP), hashlib.sha256(CLIP).hexdigest())
    assert body["url"].startswith("http://testserver/api/v1/media/")
    assert body["url"].endswith("/original.mov")
    file = fetch(body["url"])
    assert file.status_code == 200
    data = body_of(file)
    assert hashlib.sha256(data).hexdigest() == version.sha256 == body["sha256"]
    assert file["Content-Type"] == "video/quicktime"
    assert file["Content-Length"] == str(len(CLIP))
    assert file["Content-Disposition"].startswith("attachment; ")
    assert disposition_name(file["Content-Disposition"]) == NAME
    assert 'filename="Szene 1 Ubergang.mov"' in file["Content-Disposition"]


def test_the_original_serves_byte_ranges(version, director):
    url = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]

    part = fetch(url, HTTP_RANGE="bytes=100-199")
    past_the_end = fetch(url, HTTP_RANGE=f"bytes={len(CLIP)}-")

    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(CLIP)}"
    assert body_of(part) == CLIP[100:200]
    assert part["Content-Disposition"].startswith("attachment; ")
    assert past_the_end.status_code == 416
    assert "detail" in past_the_end.json()


def test_the_link_is_stable_within_its_window_and_says_when_it_ends(version, director, settings):
    client = client_for(director)
    first = client.get(f"/api/v1/versions/{version.pk}/original/").json()
    again = client.get(f"/api/v1/versions/{version.pk}/original/").json()

    assert first["url"] == again["url"]
    ends = timezone.datetime.fromisoformat(first["expires_at"])
    assert timezone.now() < ends <= timezone.now() + timedelta(seconds=settings.MEDIA_URL_MAX_AGE)


@pytest.mark.parametrize("role", ["director", "mentor", "reviewer", "viewer", "staff"])
def test_every_member_and_staff_may_download(request, version, role):
    person = request.getfixturevalue(role)

    answer = client_for(person).get(f"/api/v1/versions/{version.pk}/original/")
    detail = client_for(person).get(f"/api/v1/versions/{version.pk}/").json()

    assert answer.status_code == 200, answer.content
    assert body_of(fetch(answer.json()["url"])) == CLIP
    assert "download_original" in detail["my_actions"]


def test_a_non_member_gets_what_a_missing_version_gets(version, outsider):
    hidden = client_for(outsider).get(f"/api/v1/versions/{version.pk}/original/")
    missing = client_for(outsider).get("/api/v1/versions/987654321/original/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_removed_members_copied_link_stops_at_once(version, project, director, reviewer):
    url = client_for(reviewer).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]
    assert fetch(url).status_code == 200

    client_for(director).delete(f"/api/v1/projects/{project.pk}/members/{reviewer.pk}/")

    gone = fetch(url)
    assert gone.status_code == 404
    assert "no longer a member" in gone.json()["detail"]


def test_a_role_the_matrix_refuses_loses_the_endpoint_and_its_links_at_once(version, viewer, monkeypatch):
    # If a studio takes downloads from viewers, the rule in permissions.py is the only change:
    # the endpoint, my_actions and every link already minted follow it.
    url = client_for(viewer).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]
    monkeypatch.setitem(permissions.MATRIX, Role.VIEWER, frozenset({Action.READ}))

    refused = client_for(viewer).get(f"/api/v1/versions/{version.pk}/original/")

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Only a director or mentor or reviewer can download")
    assert (
        "download_original"
        not in client_for(viewer).get(f"/api/v1/versions/{version.pk}/").json()["my_actions"]
    )
    assert fetch(url).status_code == 404


def test_a_deleted_versions_link_answers_404_json(version, director):
    url = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]

    assert client_for(director).delete(f"/api/v1/versions/{version.pk}/").status_code == 204

    gone = fetch(url)
    assert gone.status_code == 404
    assert gone["Content-Type"] == "application/json"
    assert "deleted" in gone.json()["detail"]
    assert client_for(director).get(f"/api/v1/versions/{version.pk}/original/").status_code == 404


@pytest.mark.parametrize(
    "state", [ProcessingState.QUEUED, ProcessingState.PROCESSING, ProcessingState.FAILED]
)
def test_the_original_downloads_whatever_its_processing_state(shot, director, state):
    # The upload is stored before processing starts; a failed one is what someone needs to look at.
    version = stored_version(shot, "take.mov", processing_state=state, processing_error="no video stream")

    answer = client_for(director).get(f"/api/v1/versions/{version.pk}/original/")

    assert answer.status_code == 200
    assert body_of(fetch(answer.json()["url"])) == CLIP


def test_an_original_gone_from_the_storage_is_a_404_json(shot, director, settings):
    version = stored_version(shot, "take.mov")
    url = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]
    (Path(settings.MEDIA_ROOT) / version.file.name).unlink()

    gone = fetch(url)

    assert gone.status_code == 404
    assert "missing" in gone.json()["detail"]
    # Asked for now, no link is given for a file that is not there: the page says why.
    asked = client_for(director).get(f"/api/v1/versions/{version.pk}/original/")
    assert asked.status_code == 404
    assert "missing" in asked.json()["detail"]


@pytest.mark.parametrize(
    ("uploaded_as", "stored_suffix", "served_as"),
    [
        (".mp4", ".mp4", "video/mp4"),  # a name that is only its type
        ("\u200b\u200b.mp4", ".mp4", "video/mp4"),
        ("take.webm", ".webm", "video/webm"),
        ("take.gif", ".gif", "image/gif"),
        ("take.exe", ".exe", "application/octet-stream"),  # bytes, never a program
        ("take.html", ".html", "application/octet-stream"),
        ("take.mp\u0664", "", "application/octet-stream"),  # a digit that is not ASCII
    ],
)
def test_an_original_is_served_as_a_video_type_or_as_bytes(uploaded_as, stored_suffix, served_as):
    name = original_upload_to(None, uploaded_as)
    assert PurePosixPath(name).suffix == stored_suffix
    assert original_content_type(SimpleNamespace(file=SimpleNamespace(name=name))) == served_as


def test_an_edited_link_is_a_404(version, director):
    url = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]
    proxy_named = url.replace("/original.mov", "/proxy.mp4")
    other_suffix = url.replace("/original.mov", "/original.mp4")

    assert fetch(proxy_named).status_code == 404
    assert fetch(other_suffix).status_code == 404


def test_a_version_row_pointing_outside_the_originals_is_never_served(shot, director, settings):
    # Only storage.open_original opens an original, and only names under originals/.
    version = stored_version(shot, "take.mov")
    secret = Path(settings.MEDIA_ROOT) / "versions" / "secret.mov"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(b"not yours")
    Version.objects.filter(pk=version.pk).update(file="versions/secret.mov")
    version.refresh_from_db()

    # The API gives no link to it, and a link made by hand is refused too.
    assert client_for(director).get(f"/api/v1/versions/{version.pk}/original/").status_code == 404
    url = links.signed_url(version, links.ORIGINAL, user_id=director.pk)
    assert fetch(url).status_code == 404


def test_behind_nginx_the_original_is_handed_over_with_its_headers(version, director, settings):
    # REVIEWSVC_MEDIA_ACCEL_REDIRECT: Django checks the link, nginx sends the bytes and keeps
    # the Content-Type and Content-Disposition given here.
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    url = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()["url"]

    handed = fetch(url)

    assert handed.status_code == 200
    assert handed["X-Accel-Redirect"] == f"/protected-media/{version.file.name}"
    assert handed["Content-Type"] == "video/quicktime"
    assert disposition_name(handed["Content-Disposition"]) == NAME


HOSTILE_NAMES = [
    # (the name as stored, the name it downloads as)
    ('the "final" take.mov', 'the "final" take.mov'),
    ("take\r\nSet-Cookie: session=stolen.mov", "take Set-Cookie: session=stolen.mov"),
    ("../../../etc/passwd", "_.._.._etc_passwd"),
    ("C:\\Users\\ana\\take.mov", "C:_Users_ana_take.mov"),
    ("invoice\u202evom.exe", "invoicevom.exe"),
    ("zero\u200bwidth\ufeff.mov", "zerowidth.mov"),
    ("Übergang 🎬 \u2013 第一幕.mov", "Übergang 🎬 \u2013 第一幕.mov"),
    ("100% done; x=1.mov", "100% done; x=1.mov"),
    ("...", "SH010_v001.mov"),
    ("", "SH010_v001.mov"),
    ("é" * 200 + ".mov", "é" * 125 + ".mov"),
]


@pytest.mark.parametrize(("stored", "expected"), HOSTILE_NAMES)
def test_hostile_names_download_safely_and_round_trip(shot, director, stored, expected):
    version = stored_version(shot, stored)

    answer = client_for(director).get(f"/api/v1/versions/{version.pk}/original/").json()
    header = fetch(answer["url"])["Content-Disposition"]

    assert answer["filename"] == expected
    assert disposition_name(header) == expected
    assert header.isascii()
    assert header.isprintable()
    plain = re.fullmatch(r'attachment; filename="([^"\\%]*)"; filename\*=UTF-8\'\'[^;\s"]+', header)
    assert plain, header
    assert "/" not in plain.group(1)
    assert not plain.group(1).startswith(".")
    assert len(expected.encode()) <= 255


def test_names_are_cleaned_without_the_orm():
    assert download_name("a/b\\c.mov", fallback="x.mov") == "a_b_c.mov"
    assert download_name("\u202e\u200b", fallback="SH010_v001.mov") == "SH010_v001.mov"
    assert download_name("", fallback="") == "download"
    assert (
        attachment_header("🎬.mov")
        == "attachment; filename=\"download.mov\"; filename*=UTF-8''%F0%9F%8E%AC.mov"
    )


# --- guests ---------------------------------------------------------------------


def test_a_guest_downloads_when_the_link_allows_under_the_shots_name(version, project, director):
    gina = guest_of_link(director, project, [version], can_download_original=True)

    answer = gina.get(f"/api/v1/guest/versions/{version.pk}/original/")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["filename"] == "SH010_v001.mov"
    file = fetch(body["url"])
    assert hashlib.sha256(body_of(file)).hexdigest() == version.sha256 == body["sha256"]
    # The uploader's file name is the studio's (it may carry a prompt or a seed).
    assert disposition_name(file["Content-Disposition"]) == "SH010_v001.mov"
    assert "Szene" not in answer.content.decode() + file["Content-Disposition"]
    assert "download_original" in gina.get("/api/v1/guest/").json()["my_actions"]
    assert "download_original" in gina.get(f"/api/v1/guest/versions/{version.pk}/").json()["my_actions"]


def test_a_guest_without_the_flag_gets_a_clear_403(version, project, director):
    gina = guest_of_link(director, project, [version])

    refused = gina.get(f"/api/v1/guest/versions/{version.pk}/original/")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "This review link does not let guests download the original file."}
    assert "download_original" not in gina.get("/api/v1/guest/").json()["my_actions"]


def links_of_gina(version, project, director) -> tuple[Client, str, ReviewLink]:
    gina = guest_of_link(director, project, [version], can_download_original=True)
    url = gina.get(f"/api/v1/guest/versions/{version.pk}/original/").json()["url"]
    assert fetch(url).status_code == 200
    return gina, url, ReviewLink.objects.get()


def test_revoking_the_link_cuts_the_download_at_once(version, project, director):
    gina, url, link = links_of_gina(version, project, director)

    client_for(director).delete(f"/api/v1/projects/{project.pk}/review-links/{link.pk}/")

    assert fetch(url).status_code == 404
    assert "revoked" in fetch(url).json()["detail"]
    assert gina.get(f"/api/v1/guest/versions/{version.pk}/original/").status_code == 403


def test_an_expired_link_cuts_the_download(version, project, director):
    _, url, link = links_of_gina(version, project, director)

    ReviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert fetch(url).status_code == 404


def test_taking_the_flag_away_cuts_links_already_given(version, project, director):
    gina, url, link = links_of_gina(version, project, director)

    changed = client_for(director).patch(
        f"/api/v1/projects/{project.pk}/review-links/{link.pk}/",
        {"can_download_original": False},
        format="json",
    )

    assert changed.status_code == 200
    assert fetch(url).status_code == 404
    assert gina.get(f"/api/v1/guest/versions/{version.pk}/original/").status_code == 403


def test_a_version_taken_out_of_the_link_is_cut(version, project, director, shot):
    _, url, link = links_of_gina(version, project, director)
    other = stored_version(shot, "other.mov", number=2)

    client_for(director).patch(
        f"/api/v1/projects/{project.pk}/review-links/{link.pk}/", {"versions": [other.pk]}, format="json"
    )

    assert fetch(url).status_code == 404
