"""The invitation pages after a tester tried long names, wrong submits and the director's list.

Alice directs, with a very long unbroken display name; Frank is invited under a
very long address. Headless Chromium at 1440x900 and 390x844, strict CSP.
Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reviews.models import Invitation
from tests.browser import new_page, sign_in
from tests.test_invitation_pages import PASSWORD, mailed_link, phone_page, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LONG_NAME = "A" + "l" * 149
LONG_EMAIL = "f" * 64 + "@" + "r" * 60 + ".example"


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_accept_page_wraps_long_names_shows_the_time_zone_and_focuses_the_bad_field(
    browser,
    live_server,
    director,
    project,
    smtp,
    settings,
):
    settings.REVIEWSVC_PUBLIC_URL = live_server.url
    director.first_name = LONG_NAME
    director.save()
    link = mailed_link(director, project, smtp, email=LONG_EMAIL, role="reviewer")
    page = phone_page(browser)
    page.goto(link)

    expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
    assert scroll_width(page) <= 390
    expect(page.locator("time")).to_contain_text("UTC")
    page.locator("#id_display_name").tap()
    page.locator("#id_display_name").fill("Frank")
    page.get_by_role("button", name="Create account and join").tap()

    expect(page.locator("#id_username")).to_be_focused()
    page.locator("#id_username").fill("frank")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password_again").fill(PASSWORD + "!")
    page.get_by_role("button", name="Create account and join").tap()
    expect(page.locator("#id_password_again")).to_be_focused()
    assert scroll_width(page) <= 390
    screenshot(page, "invitations-long-390.png")
    assert page.errors == []


def test_the_account_page_top_bar_fits_a_long_name_on_a_desktop(browser, live_server, mentor):
    mentor.first_name = LONG_NAME
    mentor.save()
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/accounts/", "bob", PASSWORD)
    page.goto(f"{live_server.url}/accounts/")

    assert scroll_width(page) <= 1440
    topbar = page.evaluate(
        "(() => { const bar = document.querySelector('.topbar'); return [bar.scrollWidth, bar.clientWidth]; })()"
    )
    assert topbar[0] <= topbar[1]
    screenshot(page, "account-long-name-1440.png")
    assert page.errors == []


def test_a_director_invites_resends_with_the_keyboard_and_revokes_by_touch(
    browser,
    live_server,
    director,
    project,
    smtp,
):
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/projects/{project.pk}/", "alice", PASSWORD)
    page.goto(f"{live_server.url}/review/projects/{project.pk}/")
    summary = page.locator("#invitations summary")
    summary.focus()
    page.keyboard.press("Enter")
    page.locator("#invite-email").focus()
    page.keyboard.type("frank@example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # reviewer → viewer
    page.locator("#invite-email").press("Enter")

    expect(page.locator("#invitation-list")).to_contain_text("frank@example.com")
    invitation = Invitation.objects.get()
    assert invitation.role == "viewer"
    page.get_by_role("button", name="Resend the invitation to frank@example.com").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("mailed again")
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    screenshot(page, "invitations-director-1440.png")
    assert page.errors == []

    phone = phone_page(browser)
    sign_in(phone, f"{live_server.url}/review/projects/{project.pk}/", "alice", PASSWORD)
    phone.goto(f"{live_server.url}/review/projects/{project.pk}/")
    phone.locator("#invitations summary").tap()
    assert scroll_width(phone) <= 390
    screenshot(phone, "invitations-director-390.png")
    phone.get_by_role("button", name="Revoke the invitation to frank@example.com").tap()
    expect(phone.locator("#invitation-list")).to_contain_text("No open invitations.")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert phone.errors == []
