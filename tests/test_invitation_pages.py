"""The invitation and account pages in headless Chromium, from a mail received over real SMTP.

Alice invites Frank, who has no account: he follows the link in the mail on a laptop,
creates his account with the keyboard and lands on the project. Eve, who has an
account under another address, accepts hers on a phone by touch. Both pages run
under the strict Content-Security-Policy.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from reviews.models import Membership
from tests.browser import TIMEOUT_MS, new_page, sign_in
from tests.conftest import client_for
from tests.test_invitations import LINK, deliver, text_of

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"
SCREENSHOT_DIR = os.getenv("REVIEWSVC_SCREENSHOT_DIR")
PHONE = {"width": 390, "height": 844}


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / name), full_page=True)


def phone_page(browser: Browser) -> Page:
    """A signed-out phone tab that is touched, not clicked; CSP violations fail the test as in new_page."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            page.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def mailed_link(director, project, smtp, *, email: str, role: str) -> str:
    response = client_for(director).post(
        f"/api/v1/projects/{project.pk}/invitations/", {"email": email, "role": role}, format="json"
    )
    assert response.status_code == 201, response.json()
    message = deliver(smtp)[-1]
    return LINK.search(text_of(message)).group(0)


def test_a_new_person_follows_the_mailed_link_and_joins_with_the_keyboard(
    browser, live_server, director, project, smtp, settings
):
    settings.REVIEWSVC_PUBLIC_URL = live_server.url
    link = mailed_link(director, project, smtp, email="frank@example.com", role="reviewer")
    assert link.startswith(live_server.url)
    page = new_page(browser)

    page.goto(link)

    expect(page).to_have_url(f"{live_server.url}/invitations/accept/")
    expect(page.get_by_role("heading", name="Join The Hesitation")).to_be_visible()
    expect(page.get_by_text("Alice invites you")).to_be_visible()
    screenshot(page, "invitations-accept-1440.png")
    page.locator("#id_username").focus()
    page.keyboard.type("frank")
    page.keyboard.press("Tab")
    page.keyboard.type("Frank Ocean")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/review/projects/{project.pk}/")
    expect(page.get_by_text("The Hesitation").first).to_be_visible()
    assert Membership.objects.get(project=project, user__username="frank").role == "reviewer"
    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation has been used")).to_be_visible()
    screenshot(page, "invitations-used-1440.png")
    assert page.errors == []


def test_someone_with_an_account_accepts_on_a_phone_by_touch(
    browser, live_server, director, project, smtp, settings, outsider
):
    settings.REVIEWSVC_PUBLIC_URL = live_server.url
    outsider.email = "eve@home.example"
    outsider.save()
    link = mailed_link(director, project, smtp, email="eve@studio.example", role="viewer")
    page = phone_page(browser)
    page.goto(link)
    page.get_by_role("link", name="Sign in to accept").tap()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/invitations/accept/"))
    page.locator("#id_username").fill("eve")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()

    expect(page).to_have_url(f"{live_server.url}/invitations/accept/")
    expect(page.get_by_text("not as eve@studio.example")).to_be_visible()
    screenshot(page, "invitations-accept-390.png")
    page.get_by_role("button", name="Join as eve").tap()

    expect(page).to_have_url(f"{live_server.url}/review/projects/{project.pk}/")
    assert Membership.objects.get(project=project, user=outsider).role == "viewer"
    assert page.errors == []


@pytest.mark.parametrize(("viewport", "suffix"), [(None, "1440"), (PHONE, "390")])
def test_the_account_page_saves_a_name_at_either_size(browser, live_server, mentor, viewport, suffix):
    page = phone_page(browser) if viewport else new_page(browser)
    sign_in(page, f"{live_server.url}/review/", "bob", PASSWORD)
    # The name (on a phone, the avatar) in the top bar leads to the account page.
    account_link = page.locator(".topbar a[href='/accounts/']")
    if viewport:
        account_link.tap()
    else:
        account_link.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    screenshot(page, f"account-{suffix}.png")

    page.locator("#id_display_name").fill("Bob the Mentor")
    if viewport:
        page.get_by_role("button", name="Save").tap()
    else:
        page.locator("#id_display_name").press("Enter")

    expect(page.get_by_text("Your name and email are saved.")).to_be_visible()
    mentor.refresh_from_db()
    assert mentor.get_full_name() == "Bob the Mentor"
    assert page.errors == []
