"""Every operation of the OpenAPI schema, fuzzed with Schemathesis as a director, a mentor and a viewer.

The schema is the one the service serves (drf-spectacular). Each operation gets
generated valid and invalid input (bodies, query strings, headers, multipart
uploads) against real objects, so ids resolve and the requests reach the code
behind the 404. Every answer must be below 500 and match what the schema says:
its status code, its content type and its body.

Requests go through the Django WSGI application in this process, each in a
savepoint rolled back afterwards, so every example starts from the same
project, shot, version, comment and reply. ``REVIEWSVC_FUZZ_EXAMPLES`` sets the
examples per operation and role (``make fuzz`` runs many more); generation is
derandomized, so a run is repeatable.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# Imported now, at collection, not lazily by the first pattern-driven string mid-run: CPython
# 3.11.7's AST builder can leave its recursion count off after a failure elsewhere in the process,
# and a module compiled later then fails with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905, fixed in 3.11.8). It failed one CI rehearsal so.
from hypothesis.strategies._internal import regex as _regex  # noqa: F401
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reviews.media.links import signed_url
from reviews.media.storage import FILE_NAMES
from reviews.models import ProcessingState
from tests.conftest import member
from tests.factories import CommentFactory, ShotFactory, UserFactory, VersionFactory, write_outputs
from tests.reliability import record

# Schemathesis' in-process transport leaves closing the request to the garbage collector, which then
# finds an upload's temporary file already moved into storage.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

EXAMPLES = int(os.getenv("REVIEWSVC_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["director", "mentor", "viewer"]


def _served_schema() -> dict:
    # What /api/v1/schema/?format=json serves, made without a request.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


RAW_SCHEMA = _served_schema()
OPERATIONS = [
    (method.upper(), path)
    for path, methods in RAW_SCHEMA["paths"].items()
    for method in methods
    if method in ("get", "post", "put", "patch", "delete")
]


@pytest.fixture(scope="module")
def api_schema():
    return schemathesis.openapi.from_dict(RAW_SCHEMA)


@pytest.fixture
def in_process_requests():
    """Requests served in this process keep the test's connection, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(project, director, mentor, viewer, settings):
    """A project with a shot, a processed version (its files on disk), a comment with a reply."""
    shot = ShotFactory(project=project, code="SH010")
    ShotFactory(project=project, code="SH020")
    version = VersionFactory(shot=shot, number=1)
    outputs = write_outputs(version, settings.MEDIA_ROOT)
    type(version).objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.READY,
        processing_progress=100,
        outputs_dir=outputs,
        filmstrip={"columns": 10, "rows": 1, "tile_width": 160, "tile_height": 90, "interval": 0.5},
        duration=2.0,
        fps_numerator=24,
        fps_denominator=1,
        variable_frame_rate=False,
        frame_count=48,
        width=320,
        height=180,
        video_codec="h264",
        pixel_format="yuv420p",
        has_audio=True,
    )
    version.refresh_from_db()
    comment = CommentFactory(version=version, author=mentor, frame=12, body="@alice the hand")
    CommentFactory(version=version, author=director, parent=comment, thread=comment, frame=12)
    UserFactory(username="newcomer")
    return {
        "project": project.pk,
        "shot": shot.pk,
        "version": version.pk,
        "comment": comment.pk,
        "member": member(project, "grace", "reviewer").pk,
        "token": signed_url(version, "proxy", user_id=director.pk).split("/")[-2],
        # A real link for each generated file: the token names the kind of file it opens.
        "links": [signed_url(version, kind, user_id=director.pk).split("/")[-2:] for kind in FILE_NAMES],
        "users": {"director": director, "mentor": mentor, "viewer": viewer},
    }


def _path_ids(path: str, world: dict) -> dict[str, object]:
    """Real ids for the path's parameters: what `id` means depends on the resource."""
    resource = path.split("/")[3]
    ids = {
        "project_id": world["project"],
        "shot_id": world["shot"],
        "version_id": world["version"],
        "user_id": world["member"],
        "token": world["token"],
    }
    if "{id}" in path:
        ids["id"] = world[
            {"projects": "project", "shots": "shot", "versions": "version"}.get(resource, "comment")
        ]
    return {name: value for name, value in ids.items() if "{" + name + "}" in path}


def _cases(operation, path_ids: dict[str, object], links: list[list[str]]):
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode, path_parameters=path_ids) for mode in modes]
    if "filename" in operation.path:
        # Mostly real links (each token with its own file name), some with made-up parts.
        real = st.sampled_from(links).flatmap(
            lambda link: operation.as_strategy(path_parameters={"token": link[0], "filename": link[1]})
        )
        strategies = [real, real, real, *(operation.as_strategy(mode) for mode in modes)]
    return st.one_of(strategies)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_to_its_schema_under_fuzzing(
    api_schema, in_process_requests, fuzz_world, role, method, path
):
    from rest_framework.authtoken.models import Token

    operation = api_schema[path][method]
    token, _ = Token.objects.get_or_create(user=fuzz_world["users"][role])
    auth = {"Authorization": f"Token {token.key}"}
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, _path_ids(path, fuzz_world), fuzz_world["links"]))
    def request_and_check(case):
        cache.clear()  # throttle counts: every example gets a fresh allowance
        with transaction.atomic():
            response = case.call(app=in_process_requests, headers=auth)
            transaction.set_rollback(True)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except Exception as error:
            failures.append(str(error)[:2000])
            raise

    try:
        request_and_check()
    finally:
        record(
            "fuzz",
            operation=f"{method} {path}",
            role=role,
            requests=sum(statuses.values()),
            statuses={str(code): count for code, count in sorted(statuses.items())},
            server_errors=sum(count for code, count in statuses.items() if code >= 500),
            failures=len(failures),
        )
    assert not failures
    assert statuses, "no request was made"


# What fuzzing found, kept as plain examples.


@pytest.mark.django_db
@pytest.mark.parametrize("fps", [2.780242970301541e-22, "1/99999999999", "4000000000/4000000001"])
def test_a_frame_rate_too_fine_to_store_is_refused_not_a_server_error(director, api, fps):
    response = api(director).post("/api/v1/projects/", {"name": "Fine", "fps": fps}, format="json")
    assert response.status_code == 400, response.content
    assert "frame rate" in response.json()["fps"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fps", "stored"), [(24000 / 1001, "24000/1001"), (0.16507006922777004, "155/939"), (12.5, "25/2")]
)
def test_a_float_frame_rate_is_read_as_the_ratio_it_spells(director, api, fps, stored):
    response = api(director).post("/api/v1/projects/", {"name": "Float", "fps": fps}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["fps_rational"] == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "anchor",
    [
        {"frame": 2**40},
        {"timecode": "99999999:00:00:00"},
        {"seconds": 1e15},
        {"frame": 0, "frame_end": 2**33},
    ],
)
def test_a_frame_past_any_clip_is_refused_before_the_clip_is_probed(shot, reviewer, api, anchor):
    version = VersionFactory(shot=shot, number=1)  # not probed: its length is unknown
    response = api(reviewer).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "late", **anchor}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "past the end" in json.dumps(response.json())


@pytest.mark.django_db
def test_a_backwards_byte_range_gets_the_whole_file(fuzz_world):
    from tests.conftest import client_for

    url = f"/api/v1/media/{fuzz_world['token']}/proxy.mp4"
    response = client_for(None).get(url, HTTP_RANGE="bytes=500-100")
    assert response.status_code == 200
    assert response["Content-Length"] == "4096"


@pytest.mark.django_db
def test_a_nul_in_the_author_filter_is_refused_not_a_server_error(shot, reviewer, api):
    version = VersionFactory(shot=shot, number=1)
    response = api(reviewer).get(f"/api/v1/versions/{version.pk}/comments/", {"author": "al\x00ice"})
    assert response.status_code == 400, response.content
    assert response.json()["author"] == ["Null characters are not allowed."]
