"""The project page's search box: a director asks "which seed made the wide sky shot?" and opens it.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import TIMEOUT_MS, new_page, screenshot, sign_in
from tests.factories import CommentFactory, ShotFactory, VersionFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
PHONE = {"width": 390, "height": 844}
HOSTILE = '<img src=x id="injected">'


@pytest.fixture
def takes(project, director, mentor):
    opening = ShotFactory(project=project, code="SH010", title="Opening")
    touch = ShotFactory(project=project, code="SH020", title="The touch")
    made = {
        "night": VersionFactory(
            shot=opening,
            number=1,
            generation={"model": "veo-3", "seed": 7, "prompt": "a city street at night"},
        ),
        "sky": VersionFactory(
            shot=opening,
            number=2,
            generation={"model": "kling-2.1", "seed": 42, "prompt": "open on a wide sky shot"},
        ),
        "sky_again": VersionFactory(
            shot=opening,
            number=3,
            generation={"model": f"veo-3 {HOSTILE}", "seed": 9, "prompt": "wide sky, dusk"},
        ),
        "hands": VersionFactory(
            shot=touch, number=1, generation={"model": "kling-2.1", "seed": 5, "prompt": "her hand reaches"}
        ),
    }
    CommentFactory(version=made["hands"], author=mentor, body="The hands must move more delicately")
    return made


def test_a_director_finds_the_seed_of_the_wide_sky_take_and_opens_it(browser, live_server, project, takes):
    page = new_page(browser)
    url = f"{live_server.url}/review/projects/{project.pk}/"
    sign_in(page, url, "alice", PASSWORD)
    expect(page.locator("#shots .shot-card")).to_have_count(2)  # the page's script is running

    # "/" goes to the box; Enter searches; the best match first, with its model and seed.
    page.keyboard.press("/")
    box = page.locator("#search-q")
    expect(box).to_be_focused()
    box.fill("wide sky")
    box.press("Enter")
    hits = page.locator("#search-results .search-hit")
    expect(hits).to_have_count(2)
    expect(page.locator("#search-status")).to_have_text("2 takes match.")
    sky = hits.filter(has_text="SH010 · v2")
    expect(sky).to_contain_text("Model kling-2.1 · seed 42")
    expect(sky.locator("mark").first).to_have_text(re.compile("^(wide|sky)$", re.I))
    # What a take's metadata says is text on the page, never markup.
    expect(hits.filter(has_text="SH010 · v3")).to_contain_text(f"Model veo-3 {HOSTILE} · seed 9")
    expect(page.locator("#injected")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"\?q=wide\+sky$"))
    screenshot(page, "project-search-desktop.png")

    # The seed filter narrows it to one; the address reopens the same search.
    page.locator(".search-filters summary").click()
    page.locator("#search-seed").fill("42")
    page.locator("#search-seed").press("Enter")
    expect(hits).to_have_count(1)
    expect(page.locator("#search-status")).to_have_text("1 take matches.")
    page.reload()
    expect(page.locator("#search-results .search-hit")).to_have_count(1)
    expect(page.locator("#search-seed")).to_have_value("42")
    expect(page.locator("#search-q")).to_have_value("wide sky")

    # Notes are searched too; nothing found says so; Escape clears.
    page.locator("#search-seed").fill("")
    box.fill("delicately")
    box.press("Enter")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("SH020 · v1")
    box.fill("underwater")
    box.press("Enter")
    expect(page.locator("#search-status")).to_contain_text("No take matches")
    expect(page.locator("#search-results")).to_be_hidden()
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page).to_have_url(url)

    # A question typed as a sentence: no take has every word, so those with some of them.
    box.fill("which seed made the wide sky shot?")
    box.press("Enter")
    expect(page.locator("#search-status")).to_contain_text(
        "No take has all of these words; 2 takes have some"
    )
    expect(hits.first).to_contain_text("SH010 · v2")

    # The hit opens its take.
    box.fill("wide sky")
    box.press("Enter")
    page.locator("#search-results .search-hit-link").filter(has_text="SH010 · v2").click()
    expect(page).to_have_url(f"{live_server.url}/review/versions/{takes['sky'].pk}/")
    assert page.errors == []


def test_on_a_phone_the_search_is_reached_by_touch(browser, live_server, project, takes):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    sign_in(page, f"{live_server.url}/review/projects/{project.pk}/?q=hand", "alice", PASSWORD)
    hits = page.locator("#search-results .search-hit")
    expect(hits).to_have_count(1)  # its prompt and the note on it: one take
    expect(hits.first).to_contain_text("SH020 · v1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for control in [
        page.locator("#search-q"),
        page.locator("#project-search button[type=submit]"),
        page.locator(".search-filters summary"),
        hits.first.locator(".search-hit-link"),
    ]:
        box = control.bounding_box()
        assert box["height"] >= 44, control
    # The words' field is as tall as its label and box, not a column's worth of empty space.
    assert page.locator(".search-words").bounding_box()["height"] < 90
    screenshot(page, "project-search-phone.png")
    page.locator("#project-search button[type=reset]").tap()
    expect(page.locator("#search-results")).to_be_hidden()
    page.locator(".search-filters summary").tap()
    page.locator("#search-model").fill("kling-2.1")
    page.locator("#search-q").fill("wide sky")
    page.locator("#project-search button[type=submit]").tap()
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("SH010 · v2")
    hits.first.locator(".search-hit-link").tap()
    expect(page).to_have_url(re.compile(rf"/review/versions/{takes['sky'].pk}/$"))
    assert page.errors == []
    context.close()
