"""A guest reviews through a review link, end to end in headless Chromium with the real worker.

Alice uploads SH010 and, on the project page, shares its chosen take behind a
passphrase; the link's address is shown once. Gina, a client with no account,
opens it in a clean browser, gives her name and the passphrase, picks the clip
from the playlist, steps to a frame, draws and writes a note, and replies to
Alice's note. Alice's internal note never shows. Past the guest's rate of notes, the
composer says so. When Alice revokes the link,
Gina's next request is refused.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from rest_framework.throttling import SimpleRateThrottle

from harness import clips
from reviews.models import Comment, ReviewLinkGuest
from tests.browser import drag, new_page, position, sign_in, thread_of, wait_for_player
from tests.conftest import client_for
from tests.test_review_page import PASSWORD, RATE, screenshot, upload, wait_until_ready

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.make_video(tmp_path_factory.mktemp("clips") / "touch_v1.mp4", seconds=4, rate="24")


@pytest.mark.django_db(transaction=True)
def test_a_guest_reviews_a_clip_through_a_link_with_a_note_a_drawing_and_a_reply(
    browser, live_server, celery_worker, director, mentor, shot, clip, monkeypatch
):
    version_id = upload(director, shot, clip, note="First pass")
    wait_until_ready(director, version_id)
    versions_url = f"/api/v1/versions/{version_id}/comments/"
    client_for(director).post(versions_url, {"body": "Is the light warm enough?", "frame": 24}, format="json")
    client_for(mentor).post(
        versions_url, {"body": "Budget is tight", "frame": 12, "internal": True}, format="json"
    )

    # Alice shares the shot from the project page; the address is shown once.
    alice = new_page(browser)
    sign_in(alice, f"{live_server.url}/review/projects/{shot.project_id}/", "alice", PASSWORD)
    alice.locator("#review-links > summary").click()
    alice.get_by_label(f"{shot.code} {shot.title}").check()
    alice.get_by_label("Label").fill("For Gina")
    alice.get_by_label("Passphrase (optional)").fill("velvet-owl")
    alice.locator("#create-review-link").click()
    address = alice.locator("#review-link-url")
    expect(address).to_be_visible()
    expect(alice.locator(".review-link .label")).to_have_text("For Gina")
    screenshot(alice, "guest-director-links.png")
    path = urlsplit(address.input_value()).path
    assert path.startswith("/r/")

    # Gina, in a clean browser, with the keyboard only.
    gina = new_page(browser)
    gina.goto(f"{live_server.url}{path}")
    gina.get_by_label("Your name").fill("Gina")
    gina.get_by_label("Passphrase").fill("velvet-owl")
    screenshot(gina, "guest-gate.png")
    gina.get_by_label("Passphrase").press("Enter")
    expect(gina).to_have_url(f"{live_server.url}/guest/")
    item = gina.locator(f".playlist-link[data-version-id='{version_id}']")
    expect(item).to_be_visible()
    screenshot(gina, "guest-playlist.png")
    item.focus()
    gina.keyboard.press("Enter")
    expect(gina).to_have_url(f"{live_server.url}/guest/versions/{version_id}/")
    wait_for_player(gina)
    expect(gina.locator(".guest-badge")).to_have_text("guest: Gina")
    expect(thread_of(gina, "Is the light warm")).to_be_visible()
    expect(gina.locator(".comment-body", has_text="Budget")).to_have_count(0)

    for key in ("Shift+ArrowRight", "Shift+ArrowRight"):
        gina.keyboard.press(key)
    assert position(gina, RATE).shown == 48
    gina.locator("#tool-pen").click()
    drag(gina, "#sketch", [(0.30, 0.40), (0.40, 0.35), (0.50, 0.42)])
    body = gina.locator("#comment-body")
    # Guests mention no one, so the composer does not offer it.
    expect(body).to_have_attribute("placeholder", re.compile(r"^Leave a note at .*…$"))
    body.click()
    body.fill("Her hand could linger here")
    body.press("Control+Enter")
    note = thread_of(gina, "Her hand could linger")
    expect(note).to_be_visible()
    expect(note.locator(".author").first).to_have_text("guest: Gina")

    light = thread_of(gina, "Is the light warm")
    light.locator("[data-action='reply']").first.click()
    light.locator(".inline-form textarea").fill("Warm enough for me")
    light.locator(".inline-form [type='submit']").click()
    expect(light.locator(".replies .comment-body")).to_have_text("Warm enough for me")
    screenshot(gina, "guest-review.png")

    guest = ReviewLinkGuest.objects.get()
    written = Comment.objects.get(body="Her hand could linger here")
    assert (written.author, written.guest, written.frame) == (None, guest, 48)
    assert [shape["type"] for shape in written.annotation["shapes"]] == ["stroke"]
    assert Comment.objects.get(body="Warm enough for me").guest == guest

    # Past the guest's rate of writes (2 a minute here: the note and the reply), the composer says
    # what the server's 429 said and keeps the words.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "guest-write", "2/min")
    body.click()
    body.fill("And one more")
    body.press("Control+Enter")
    expect(gina.locator("#composer-error")).to_contain_text("Too many notes and edits in a short time")
    expect(body).to_have_value("And one more")
    assert not Comment.objects.filter(body="And one more").exists()

    # On a phone the guest's page fits its width.
    gina.set_viewport_size({"width": 390, "height": 844})
    assert gina.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(gina, "guest-review-phone.png")
    gina.goto(f"{live_server.url}/guest/")
    expect(gina.locator(".playlist-link")).to_have_count(1)
    assert gina.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(gina, "guest-playlist-phone.png")

    # Alice sees who opened the link and Gina's notes, each a link to its frame.
    alice.reload()
    alice.locator("#review-links > summary").click()
    alice.locator(".review-link-activity summary").click()
    expect(alice.locator(".review-link-opens li")).to_have_text(re.compile(r"^Gina"))
    note_links = alice.locator(".review-link-notes a")
    expect(note_links).to_have_count(2)
    expect(note_links.first).to_have_text(f"{shot.code} v1 · frame 24")
    expect(note_links.nth(1)).to_have_attribute(
        "href", re.compile(rf"/review/versions/{version_id}/\?frame=48&comment=")
    )
    screenshot(alice, "review-links-activity.png")
    alice.set_viewport_size({"width": 390, "height": 844})
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(alice, "review-links-activity-phone.png")
    alice.set_viewport_size({"width": 1440, "height": 900})

    # Revoking asks first: Escape takes it back; then Alice confirms with the keyboard.
    alice.locator(".review-link [data-action='revoke']").click()
    expect(alice.locator("[data-action='confirm-revoke']")).to_be_focused()
    screenshot(alice, "review-links-confirm-revoke.png")
    alice.keyboard.press("Escape")
    expect(alice.locator("[data-action='confirm-revoke']")).to_have_count(0)
    expect(alice.locator(".review-link.revoked")).to_have_count(0)
    alice.locator(".review-link [data-action='revoke']").click()
    alice.keyboard.press("Enter")
    expect(alice.locator(".review-link.revoked")).to_have_count(1)
    gina.reload()
    expect(gina.get_by_role("heading")).to_have_text("This review link is no longer active")
    assert alice.errors == []
    assert gina.errors == []
