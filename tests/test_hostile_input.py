"""Issue 11: numbers, JSON and bodies built to stall or crash the API get a quick 4xx naming the cause.

Every number a client sends is bounded by length and value before it is
converted (reviews/bounded.py), every JSON text by its depth, every request by
Django's limits (a 413 naming the limit), and only the upload endpoint reads files.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from reviews.models import ProcessingState
from tests.conftest import client_for
from tests.factories import VersionFactory, write_outputs

pytestmark = pytest.mark.django_db

# A hostile value must be refused at once, not after a worker's timeout.
QUICK = 2.0


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    assert time.monotonic() - started < QUICK, "the answer took too long"
    return response


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


@pytest.fixture
def probed(version):
    """A version whose clip is known: 48 frames at 24 fps (00:00:00:00 to 00:00:01:23)."""
    type(version).objects.filter(pk=version.pk).update(frame_count=48, fps_numerator=24, fps_denominator=1)
    version.refresh_from_db()
    return version


@pytest.mark.parametrize(
    "fps",
    [
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        "9" * 5000,
        "9" * 5000 + "/1",
        "1/" + "9" * 5000,
        10**4000,
    ],
)
def test_it_refuses_a_huge_frame_rate_at_once_naming_fps(outsider, fps):
    response = timed(client_for(outsider).post, "/api/v1/projects/", {"name": "p", "fps": fps}, format="json")
    assert response.status_code == 400
    assert "frame rate" in response.json()["fps"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timecode", "1" * 5000 + ":00:00:00"),
        ("timecode", "99999999:00:00:00"),
        ("timecode", "00:00:00:" + "1" * 5000),
        ("seconds", "1e999999999"),
        ("seconds", "9" * 5000),
        ("seconds", 1e308),
        ("frame", "9" * 500),
        ("frame", 2**31),
        # Other scripts' digits, which Python's int() would read as 12.
        ("frame", "\u0661\u0662"),
        ("seconds", "\u0661"),
        ("timecode", "\u0660\u0660:00:01:00"),
    ],
)
def test_it_refuses_a_huge_anchor_at_once_naming_the_field(version, mentor, field, value):
    response = timed(
        client_for(mentor).post,
        f"/api/v1/versions/{version.pk}/comments/",
        {"body": "x", field: value},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()[field]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timecode": "99:00:00:00"}, "timecode"),
        ({"seconds": 2}, "seconds"),
        ({"frame": 48}, "frame"),
        ({"frame": 0, "timecode_end": "00:00:02:00"}, "timecode_end"),
        ({"frame": 0, "seconds_end": 3600}, "seconds_end"),
        ({"frame": 0, "frame_end": 48}, "frame_end"),
        ({"timecode": "00:00:01:00", "timecode_end": "00:00:00:12"}, "timecode_end"),
    ],
)
def test_a_moment_past_the_clips_end_is_reported_under_the_field_sent(probed, mentor, payload, field):
    response = client_for(mentor).post(
        f"/api/v1/versions/{probed.pk}/comments/", {"body": "x", **payload}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "past the end" in response.json()[field][0] or "ends before" in response.json()[field][0]


@pytest.mark.parametrize("page", ["9" * 4000, "-1", "0", "1e9", "abc"])
def test_it_refuses_a_page_number_that_is_no_page_naming_it(project, director, page):
    response = timed(client_for(director).get, "/api/v1/projects/", {"page": page})
    assert response.status_code == 400
    assert response.json()["page"]


@pytest.mark.parametrize("size", ["9" * 4000, "-5", "0", "1e3", "ten"])
def test_it_refuses_a_page_size_that_is_no_size_naming_it(project, director, size):
    response = timed(client_for(director).get, "/api/v1/projects/", {"page_size": size})
    assert response.status_code == 400
    assert response.json()["page_size"]


def test_a_large_page_size_is_served_as_the_largest_page(project, director):
    response = client_for(director).get("/api/v1/projects/", {"page_size": "100000"})
    assert response.status_code == 200


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"generation": nested(20_000)})),
        ("application/x-www-form-urlencoded", urlencode({"generation": nested(20_000)})),
        ("application/json", '{"generation": {"a": ' + nested(100) + "}}"),
    ],
    ids=["JSON string in JSON", "JSON string in a form", "JSON past the depth limit"],
)
def test_generation_nested_deep_is_a_400_naming_it(version, director, content_type, body):
    response = timed(
        client_for(director).generic,
        "PATCH",
        f"/api/v1/versions/{version.pk}/",
        body,
        content_type=content_type,
    )
    assert response.status_code == 400
    problem = response.json().get("generation", [response.json().get("detail")])[0]
    assert "nested too deeply" in problem


@pytest.mark.parametrize("number", ["1e999999", "-1e999999", "NaN", "Infinity"])
def test_a_json_number_too_large_to_store_is_a_400(version, director, number):
    response = client_for(director).generic(
        "PATCH",
        f"/api/v1/versions/{version.pk}/",
        '{"generation": {"seed": ' + number + "}}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.fixture
def ready(version, settings):
    """The version processed, with a 4 KiB proxy on disk."""
    outputs = write_outputs(version, settings.MEDIA_ROOT)
    type(version).objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.READY, outputs_dir=outputs
    )
    version.refresh_from_db()
    return version


def proxy_url(version, user) -> str:
    return client_for(user).get(f"/api/v1/versions/{version.pk}/").json()["proxy_url"]


@pytest.mark.parametrize(
    "header", ["bytes=" + "9" * 4000 + "-", "bytes=4096-", "bytes=5000-6000", "bytes=-0"]
)
def test_a_range_past_the_end_is_a_json_416_with_the_files_size(ready, viewer, header):
    response = timed(client_for(None).get, proxy_url(ready, viewer), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Type"] == "application/json"
    assert response["Content-Range"] == "bytes */4096"
    assert "range" in response.json()["detail"]


@pytest.mark.parametrize(
    ("header", "status", "length"),
    [("bytes=-" + "9" * 4000, 206, 4096), ("bytes=100-" + "9" * 4000, 206, 3996), ("bytes=9-1", 200, 4096)],
)
def test_a_long_range_within_the_file_is_served(ready, viewer, header, status, length):
    response = timed(client_for(None).get, proxy_url(ready, viewer), HTTP_RANGE=header)
    assert response.status_code == status
    assert int(response["Content-Length"]) == length


def test_a_json_body_past_the_memory_limit_is_a_413_naming_it(director, settings):
    body = json.dumps({"name": "p", "description": "x" * (3 * 1024 * 1024)})
    response = client_for(director).generic(
        "POST", "/api/v1/projects/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert "2.5 MiB" in response.json()["detail"]


def test_a_form_of_too_many_fields_is_a_413_naming_the_limit(director):
    body = urlencode([(f"f{n}", "x") for n in range(1500)])
    response = client_for(director).generic(
        "POST", "/api/v1/projects/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "1000 fields" in response.json()["detail"]


def test_an_upload_of_too_many_files_is_a_413_naming_the_limit(shot, director, settings):
    files = {f"file{n}": SimpleUploadedFile(f"c{n}.mp4", b"\x00") for n in range(150)}
    response = client_for(director).post(f"/api/v1/shots/{shot.pk}/versions/", files, format="multipart")
    assert response.status_code == 413
    assert "100 files" in response.json()["detail"]
    assert not list(settings.MEDIA_ROOT.rglob("*.mp4"))


@pytest.mark.parametrize("url", ["/api/v1/projects/", "/api/v1/auth/token/", "/api/v1/no-such-endpoint/"])
def test_a_file_sent_to_the_api_anywhere_but_the_upload_is_refused_unread(director, url):
    body = encode_multipart(BOUNDARY, {"name": "p", "file": SimpleUploadedFile("big.mp4", b"\x00" * 1024)})
    response = client_for(director).generic("POST", url, body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 415
    assert "Only a version upload" in response.json()["detail"]
    assert not response.wsgi_request._read_started


def test_a_large_multipart_form_to_a_page_is_a_413_unread(director):
    body = encode_multipart(
        BOUNDARY, {"username": "alice", "file": SimpleUploadedFile("big.mp4", b"\x00" * (3 * 1024 * 1024))}
    )
    response = client_for(None).generic("POST", "/accounts/login/", body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 413
    assert "2.5 MiB" in response.json()["detail"]
    assert not response.wsgi_request._read_started


def test_a_file_in_a_pages_form_is_dropped_unwritten(director):
    form = {
        "username": "alice",
        "password": "correct horse battery staple",
        "file": SimpleUploadedFile("clip.mp4", b"\x00" * 1024),
    }
    response = client_for(None).post("/accounts/login/", form)
    assert response.status_code == 302
    assert not response.wsgi_request.FILES


def test_the_sign_in_page_still_takes_its_form(director):
    response = client_for(None).post(
        "/accounts/login/",
        urlencode({"username": "alice", "password": "correct horse battery staple"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302


def session_client(user):
    """Signed in as a browser is: a session cookie, and the CSRF token in a cookie and a header."""
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


def test_a_signed_in_viewers_upload_is_refused_before_its_body_is_parsed(shot, viewer):
    response = session_client(viewer).post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile("big.mp4", b"\x00" * 1024)},
        format="multipart",
    )
    assert response.status_code == 403
    # Not a byte of the body was read.
    assert not response.wsgi_request._read_started


def test_a_signed_in_director_still_uploads_with_the_csrf_header(shot, director):
    client = session_client(director)
    url = f"/api/v1/shots/{shot.pk}/versions/"
    # An MP4 cut short: the upload's probe takes it, as it takes any file that starts as a video.
    upload = {"file": SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024)}
    assert client.post(url, upload, format="multipart").status_code == 201

    client.credentials()
    refused = client.post(url, {"file": SimpleUploadedFile("clip.mp4", b"\x00")}, format="multipart")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


def test_a_json_integer_of_thousands_of_digits_is_a_400_without_interpreter_words(version, mentor):
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/",
        '{"body": "x", "frame": ' + "9" * 5000 + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "digits" in response.json()["detail"]
    assert "sys." not in response.json()["detail"]


@pytest.mark.parametrize("query", ["?page=\u0661", "?page_size=\u0662", "?after=\u0661"])
def test_other_scripts_digits_in_the_query_are_refused(project, director, query):
    response = client_for(director).get(f"/api/v1/projects/{project.pk}/activity/{query}")
    assert response.status_code == 400


def test_a_versions_note_is_as_long_as_a_comment_may_be(version, director):
    response = client_for(director).patch(
        f"/api/v1/versions/{version.pk}/", {"note": "n" * 10001}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["note"]
