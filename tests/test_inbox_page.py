"""The inbox page and the bell, in headless Chromium against a live server (no worker: the
notifications are made in the test, as the worker would make them); and the version page's
"new since your last visit" marks.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews import services
from reviews.models import Event, VersionView
from reviews.notifications.services import notifications_create
from tests.browser import chromium, new_page, screenshot, sign_in
from tests.factories import ShotFactory, VersionFactory

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
PHONE = {"width": 390, "height": 844}


def note(version, author, body, **fields):
    comment = services.comment_create(version=version, author=author, body=body, **fields)
    notifications_create(event=Event.objects.order_by("-id").first())
    return comment


def phone_page(browser):
    """A touch screen the size of a phone, reporting errors as tests.browser.new_page does."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.fixture
def inbox_of_carol(shot, director, mentor, reviewer):
    """Carol, the reviewer, has four unread notifications on two versions."""
    touch = VersionFactory(shot=shot, number=2, uploaded_by=director)
    reach = VersionFactory(
        shot=ShotFactory(project=shot.project, code="SH020"), number=1, uploaded_by=director
    )
    top = note(reach, reviewer, "The fingers merge into the glass", frame=30)
    note(reach, mentor, "Agreed, and the light flickers there too", parent=top)
    note(touch, mentor, "@carol her hand should hesitate here", frame=48)
    note(touch, director, "@carol is the door better in this take?", frame=96)
    return touch, reach


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("viewport", "suffix"), [(None, "desktop"), (PHONE, "phone")])
def test_the_inbox_shows_unread_notifications_per_version_and_the_bell_counts_them(
    live_server, reviewer, inbox_of_carol, viewport, suffix
):
    touch, _ = inbox_of_carol
    with chromium() as browser:
        page = phone_page(browser) if viewport else new_page(browser)
        sign_in(page, f"{live_server.url}/review/inbox/", "carol", PASSWORD)

        expect(page.locator("#bell-count")).to_have_text("3")
        groups = page.locator(".inbox-group")
        expect(groups).to_have_count(2)
        expect(groups.first.locator("h2")).to_have_text("SH010 v2")
        expect(groups.first.locator(".inbox-item.unread")).to_have_count(2)
        expect(groups.first).to_contain_text("Alice mentioned you")
        expect(groups.nth(1)).to_contain_text("Bob replied in your thread")
        screenshot(page, f"inbox-{suffix}.png")

        # Keyboard: focus the newest notification, Enter opens it at its frame and thread.
        link = groups.first.locator(".inbox-link").first
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/review/versions/{touch.pk}/?frame=96&comment=*")
        page.goto(f"{live_server.url}/review/inbox/")
        expect(page.locator("#bell-count")).to_have_text("2")

        mark_all = page.get_by_role("button", name="Mark all read")
        if viewport:
            mark_all.tap()
        else:
            mark_all.click()
        expect(page.locator("#bell-count")).to_be_hidden()
        expect(page.locator(".inbox-item.unread")).to_have_count(0)
        assert page.errors == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_version_page_marks_notes_by_others_since_your_last_visit(live_server, reviewer, mentor, shot):
    version = VersionFactory(shot=shot, number=1)
    old = note(version, mentor, "Seen this one", frame=10)
    VersionView.objects.create(version=version, user=reviewer, seen_at=timezone.now())
    note(version, mentor, "A new one since", frame=20)
    note(version, reviewer, "My own is never new", frame=30)
    old.created_at = timezone.now() - timedelta(days=1)
    old.save(update_fields=["created_at"])

    with chromium() as browser:
        page = new_page(browser)
        sign_in(page, f"{live_server.url}/review/versions/{version.pk}/", "carol", PASSWORD)

        expect(page.locator(".comment.top")).to_have_count(3)
        expect(page.locator(".comment.new")).to_have_count(1)
        expect(page.locator(".comment.new")).to_contain_text("A new one since")
        # Once seen, nothing is new on the next visit.
        page.reload()
        expect(page.locator(".comment.top")).to_have_count(3)
        expect(page.locator(".comment.new")).to_have_count(0)
        assert page.errors == []


@pytest.mark.django_db
def test_the_inbox_page_needs_a_sign_in_and_the_bell_is_on_every_page(client, reviewer):
    assert client.get("/review/inbox/")["Location"] == "/accounts/login/?next=/review/inbox/"
    client.force_login(reviewer)
    html = client.get("/review/").content.decode()
    assert 'id="bell"' in html
    assert "reviews/js/bell.js" in html


def _heights(page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all(
        "(nodes) => nodes.map((n) => n.getBoundingClientRect().height)"
    )


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("viewport", "least"), [(None, 32), (PHONE, 44)])
def test_a_group_shows_its_earlier_notifications_on_demand_and_controls_are_big_enough(
    live_server, reviewer, mentor, shot, director, viewport, least
):
    version = VersionFactory(shot=shot, number=3, uploaded_by=director)
    for frame in range(11):
        note(version, mentor, f"@carol look at frame {frame}", frame=frame)
    with chromium() as browser:
        page = phone_page(browser) if viewport else new_page(browser)
        sign_in(page, f"{live_server.url}/review/inbox/", "carol", PASSWORD)
        group = page.locator(".inbox-group").first
        expect(group.locator(".inbox-item")).to_have_count(5)
        more = group.get_by_role("button", name="Show 6 earlier notifications on SH010 v3")
        expect(more).to_have_text("Show 6 earlier")
        assert (
            min(_heights(page, ".inbox-tools .button, .inbox-group-head .button, button.inbox-more-note"))
            >= least
        )
        if viewport:
            assert min(_heights(page, ".inbox-group-head h2 a")) >= 44
            more.tap()
        else:
            more.click()
        expect(group.locator(".inbox-item")).to_have_count(11)
        expect(group.locator(".inbox-item").last).to_contain_text("frame 0")

        page.get_by_role("button", name="Mark all read").click()
        expect(page.locator(".inbox-item.unread")).to_have_count(0)
        page.get_by_role("button", name="Unread", exact=True).click()
        expect(page.locator("#inbox-empty")).to_have_text("No unread notifications.")
        page.get_by_role("button", name="All", exact=True).click()
        expect(page.locator(".inbox-group")).to_have_count(1)
        expect(page.locator("#inbox-empty")).to_be_hidden()
        assert page.errors == []
