"""Changing your email in headless Chromium, confirmed from the mail received over real SMTP.

Bob asks for a new address on the account page, follows the link in the mail
and presses the button: on a laptop (1440x900, with the keyboard) and on a phone
(390x844, by touch), under the strict Content-Security-Policy.
Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, new_page, sign_in
from tests.test_email_confirmation import CONFIRM_LINK
from tests.test_invitation_pages import PASSWORD, screenshot
from tests.test_invitations import deliver, text_of

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def mailed_link(smtp, to: str) -> str:
    (message, *_) = [m for m in reversed(deliver(smtp)) if m["To"] == to]
    return CONFIRM_LINK.search(text_of(message)).group(0)


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize(("viewport", "suffix"), [({"width": 1440, "height": 900}, "1440"), (PHONE, "390")])
def test_bob_changes_his_email_and_confirms_it_from_the_mail(
    browser,
    live_server,
    mentor,
    smtp,
    settings,
    viewport,
    suffix,
):
    settings.REVIEWSVC_PUBLIC_URL = live_server.url
    mentor.email = "bob@old.example"
    mentor.save()
    touch = viewport == PHONE
    page = new_page(browser, viewport=viewport, has_touch=touch)
    press = (lambda locator: locator.tap()) if touch else (lambda locator: locator.click())
    sign_in(page, f"{live_server.url}/accounts/", "bob", PASSWORD)

    page.locator("#id_email").fill("bob@new.example")
    page.locator("#id_password").fill(PASSWORD)
    if touch:
        press(page.get_by_role("button", name="Save"))
    else:
        page.locator("#id_password").press("Enter")

    expect(page.locator("#pending-email")).to_contain_text("bob@new.example")
    expect(page.locator("#id_email")).to_have_value("bob@old.example")
    assert scroll_width(page) <= viewport["width"]
    screenshot(page, f"email-change-pending-{suffix}.png")

    link = mailed_link(smtp, "bob@new.example")
    page.goto(link)
    expect(page).to_have_url(f"{live_server.url}/accounts/email/confirm/")
    expect(page.locator("#new-email")).to_have_text("bob@new.example")
    assert scroll_width(page) <= viewport["width"]
    screenshot(page, f"email-change-confirm-{suffix}.png")
    mentor.refresh_from_db()
    assert mentor.email == "bob@old.example"

    button = page.get_by_role("button", name="Confirm this address")
    if touch:
        press(button)
    else:
        button.focus()
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/accounts/")
    expect(page.get_by_role("status").first).to_contain_text("Your email is now bob@new.example")
    expect(page.locator("#id_email")).to_have_value("bob@new.example")
    expect(page.locator("#pending-email")).to_have_count(0)
    assert scroll_width(page) <= viewport["width"]
    screenshot(page, f"email-change-done-{suffix}.png")
    mentor.refresh_from_db()
    assert mentor.email == "bob@new.example"
    assert page.errors == []
