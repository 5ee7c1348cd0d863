""" "Download original" on the version page, end to end in headless Chromium with the real worker.

Alice uploads SH010 as "Szene 1 - Übergang.mp4" and, on her laptop, downloads it back from the
version page, with the mouse and with the keyboard: the same bytes, under the same name. Gina,
on her phone, holds a review link that allows downloads and taps the control: the same bytes,
named after the shot. Hal's link does not allow it, and his page has no such control.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness import clips
from reviews.models import Version
from tests.browser import PHONE, new_page, screenshot, sign_in, wait_for_player
from tests.test_review_links import create_link
from tests.test_review_page import PASSWORD, upload, wait_until_ready

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NAME = "Szene 1 \u2013 Übergang.mp4"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.make_video(tmp_path_factory.mktemp("clips") / NAME, seconds=2, rate="24")


def sha256_of(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def open_as_guest(page: Page, base: str, token: str, name: str, version_id: int) -> None:
    page.goto(f"{base}/r/{token}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your name").press("Enter")
    expect(page).to_have_url(f"{base}/guest/")
    page.goto(f"{base}/guest/versions/{version_id}/")
    wait_for_player(page)


@pytest.mark.django_db(transaction=True)
def test_members_and_allowed_guests_download_the_original_from_the_version_page(
    browser, live_server, celery_worker, director, project, shot, clip
):
    version_id = upload(director, shot, clip)
    wait_until_ready(director, version_id)
    uploaded = Version.objects.get(pk=version_id).sha256
    assert uploaded == sha256_of(clip)

    # Alice, on her laptop, with the mouse and then the keyboard.
    alice = new_page(browser)
    sign_in(alice, f"{live_server.url}/review/versions/{version_id}/", "alice", PASSWORD)
    wait_for_player(alice)
    button = alice.get_by_role("button", name="Download original")
    expect(button).to_be_visible()
    screenshot(alice, "download-original.png")
    with alice.expect_download() as clicked:
        button.click()
    assert clicked.value.suggested_filename == NAME
    assert sha256_of(clicked.value.path()) == uploaded
    button.focus()
    with alice.expect_download() as pressed:
        alice.keyboard.press("Enter")
    assert sha256_of(pressed.value.path()) == uploaded
    alice.set_viewport_size(PHONE)
    expect(button).to_be_visible()
    assert alice.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button.scroll_into_view_if_needed()
    screenshot(alice, "download-original-phone.png")

    # Gina, on her phone, with a link that allows downloads: a tap.
    allowed = create_link(director, project, versions=[version_id], can_download_original=True)
    gina = new_page(browser, viewport=PHONE, has_touch=True)
    open_as_guest(gina, live_server.url, allowed["token"], "Gina", version_id)
    button = gina.get_by_role("button", name="Download original")
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    assert gina.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(gina, "download-original-guest-phone.png")
    with gina.expect_download() as tapped:
        button.tap()
    assert tapped.value.suggested_filename == f"{shot.code}_v001.mp4"
    assert sha256_of(tapped.value.path()) == uploaded

    # Hal's link does not allow it: no control on his page.
    refused = create_link(director, project, versions=[version_id])
    hal = new_page(browser)
    open_as_guest(hal, live_server.url, refused["token"], "Hal", version_id)
    expect(hal.locator(".info-line")).to_be_visible()
    expect(hal.locator("#download-original")).to_have_count(0)

    assert alice.errors == []
    assert gina.errors == []
    assert hal.errors == []
