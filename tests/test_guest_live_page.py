"""A guest's review page follows the version live, in Chromium against the real ASGI server.

Alice (a member, one browser context) and Gina (a guest of Alice's review link, another) have
the same version open. Alice's note reaches Gina's page within two seconds without a reload;
Bob's internal note never does; Alice's resolution, a note she makes internal (it leaves) and
her status change follow; when Alice
revokes the link, Gina's stream ends and her page says why. (The stream itself:
tests/test_guest_live.py.)
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from reviews.models import ProcessingState
from tests.browser import new_page, screenshot, thread_of
from tests.factories import VersionFactory
from tests.test_live_pages import open_as, token_for, wait_live
from tests.test_review_links import create_link

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(asgi_server):
    return asgi_server


def post_note(server, user, version, **body):
    response = requests.post(
        f"{server.url}/api/v1/versions/{version.pk}/comments/", json=body, headers=token_for(user), timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_guests_page_shows_a_members_note_within_two_seconds_but_never_an_internal_one(
    browser, server, project, shot, director, mentor
):
    # Its render has started, so the page shows its progress rather than a player.
    version = VersionFactory(
        shot=shot, processing_state=ProcessingState.PROCESSING, processing_progress=30, processing_attempts=1
    )
    link = create_link(director, project, versions=[version.pk], label="For Gina")

    gina = new_page(browser)
    gina.goto(f"{server.url}/r/{link['token']}")
    gina.get_by_label("Your name").fill("Gina")
    gina.get_by_label("Your name").press("Enter")
    expect(gina).to_have_url(f"{server.url}/guest/")
    gina.goto(f"{server.url}/guest/versions/{version.pk}/")
    wait_live(gina)
    expect(gina.locator(".guest-badge")).to_have_text("guest: Gina")

    # Alice writes on her own page, in her own browser context.
    alice = open_as(browser, director, f"{server.url}/review/versions/{version.pk}/")
    wait_live(alice)
    body = alice.locator("#comment-body")
    body.click()
    body.fill("Let her hand hesitate before the touch")
    body.press("Control+Enter")
    expect(thread_of(alice, "hesitate before the touch")).to_be_visible()
    expect(thread_of(gina, "hesitate before the touch")).to_be_visible(timeout=2000)

    # Bob's internal note, then a public one: when the public one shows, the internal one has not.
    post_note(server, mentor, version, body="The client will hate the ending", internal=True)
    public = post_note(server, mentor, version, body="Or a breath, then the touch")
    expect(thread_of(gina, "a breath, then the touch")).to_be_visible(timeout=2000)
    expect(gina.locator(".comment-body", has_text="hate the ending")).to_have_count(0)

    # A resolution and a status change follow without a reload too.
    resolved = requests.patch(
        f"{server.url}/api/v1/comments/{public['id']}/",
        json={"resolved": True},
        headers=token_for(director),
        timeout=10,
    )
    assert resolved.status_code == 200, resolved.text
    expect(thread_of(gina, "a breath, then the touch").locator(".resolved-badge")).to_be_visible(timeout=2000)
    # Alice makes Bob's note internal: it leaves Gina's page.
    made_internal = requests.patch(
        f"{server.url}/api/v1/comments/{public['id']}/",
        json={"internal": True},
        headers=token_for(director),
        timeout=10,
    )
    assert made_internal.status_code == 200, made_internal.text
    expect(gina.locator(".comment-body", has_text="a breath, then the touch")).to_have_count(0, timeout=2000)
    approved = requests.patch(
        f"{server.url}/api/v1/versions/{version.pk}/",
        json={"review_status": "approved"},
        headers=token_for(director),
        timeout=10,
    )
    assert approved.status_code == 200, approved.text
    expect(gina.locator("#status-control .pill")).to_have_text("Approved", timeout=2000)
    screenshot(gina, "guest-live-1440.png")
    gina.set_viewport_size(PHONE)
    assert gina.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(gina, "guest-live-390.png")

    # Alice revokes the link: Gina's stream ends within seconds and her page says why.
    revoked = requests.delete(
        f"{server.url}/api/v1/projects/{project.pk}/review-links/{link['id']}/",
        headers=token_for(director),
        timeout=10,
    )
    assert revoked.status_code == 204, revoked.text
    expect(gina.locator("html")).to_have_attribute("data-live", "off", timeout=4000)
    expect(gina.get_by_text("This review link has expired or was revoked")).to_be_visible()
    assert alice.errors == []
    assert gina.errors == []
