"""A media link belongs to the member it was minted for: it stops working when they leave.

Carol, a reviewer, copies the proxy link of a version. Once Alice removes her
from the project (or her account is deactivated) the copied link answers 404
at once, not hours later; Alice's own links keep working.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.signing import dumps

from reviews.media.links import signed_url
from reviews.models import ProcessingState
from tests.conftest import client_for
from tests.factories import VersionFactory

PROXY = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8


@pytest.fixture
def version(shot, settings):
    version = VersionFactory(
        shot=shot,
        number=1,
        processing_state=ProcessingState.READY,
        outputs_dir="versions/1/run1",
        duration=2.0,
        filmstrip={"tile_width": 160, "tile_height": 90, "columns": 4, "rows": 1, "interval": 0.5},
    )
    outputs = Path(settings.MEDIA_ROOT) / version.outputs_dir
    outputs.mkdir(parents=True)
    (outputs / "proxy.mp4").write_bytes(PROXY)
    (outputs / "filmstrip.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return version


def links(user, version) -> dict:
    response = client_for(user).get(f"/api/v1/versions/{version.pk}/")
    assert response.status_code == 200
    body = response.json()
    return {"proxy": body["proxy_url"], "thumbnails": body["filmstrip"]["thumbnails_url"]}


def fetch(url: str, **headers):
    # Media links need no credentials: a <video> element or a copied link in another browser.
    return client_for(None).get(url, **headers)


def test_a_removed_members_copied_link_stops_working_at_once(version, project, director, reviewer):
    carols = links(reviewer, version)["proxy"]
    alices = links(director, version)["proxy"]
    assert fetch(carols, HTTP_RANGE="bytes=0-99").status_code == 206

    removed = client_for(director).delete(f"/api/v1/projects/{project.pk}/members/{reviewer.pk}/")

    assert removed.status_code == 204
    assert fetch(carols).status_code == 404
    assert fetch(carols, HTTP_RANGE="bytes=0-99").status_code == 404
    assert fetch(alices, HTTP_RANGE="bytes=0-99").status_code == 206


def test_a_member_who_leaves_loses_her_links_and_the_sprites_inside_them(
    version, project, reviewer, director
):
    thumbnails = fetch(links(reviewer, version)["thumbnails"])
    assert thumbnails.status_code == 200
    sprite = next(line for line in thumbnails.content.decode().splitlines() if "filmstrip.jpg" in line)
    sprite_url = sprite.split("#")[0]
    assert fetch(sprite_url).status_code == 200

    client_for(reviewer).delete(f"/api/v1/projects/{project.pk}/members/{reviewer.pk}/")

    assert fetch(sprite_url).status_code == 404


def test_a_deactivated_accounts_links_stop_working(version, reviewer):
    link = links(reviewer, version)["proxy"]
    reviewer.is_active = False
    reviewer.save()

    assert fetch(link).status_code == 404


def test_a_link_without_a_member_is_refused(version, reviewer):
    """The links minted before this change named no one; even correctly signed, they no longer open."""
    token = dumps(
        {"v": version.pk, "k": "proxy", "d": version.outputs_dir}, salt="reviewsvc.media", compress=True
    )

    assert fetch(f"/api/v1/media/{token}/proxy.mp4").status_code == 404
    assert fetch(signed_url(version, "proxy", user_id=reviewer.pk)).status_code == 200


def test_staff_links_work_without_membership(version, staff):
    assert fetch(links(staff, version)["proxy"]).status_code == 200


def test_links_minted_moments_apart_are_the_same_so_the_browser_cache_serves_them(version, director):
    # The project page refreshes every few seconds; a new URL each time refetched every poster.
    first, again = links(director, version), links(director, version)
    assert first == again
    assert fetch(first["proxy"]).status_code == 200


def test_a_link_older_than_its_lifetime_is_refused_though_its_time_is_rounded(version, director, settings):
    settings.MEDIA_URL_MAX_AGE = 1
    url = signed_url(version, "proxy", user_id=director.pk)
    time.sleep(2.1)
    assert fetch(url).status_code == 404
