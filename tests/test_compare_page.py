"""The compare page in headless Chromium, against a live server and the real worker.

Alice rendered SH010 twice: v1 at 24 fps for 4 s, v2 at 16 fps for 3 s. Bob, the mentor, plays
them against each other. Every frame of both clips shows its own number in grey bands, in each
half of the picture (harness/paired_numbers.py), so the tests read off screenshots which frame
each side really shows, and check it is the frame the page names, by the page's rule: B shows
the frame on screen at the start time of A's frame.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import math
import re
import time
from fractions import Fraction

import pytest
from playwright.sync_api import expect

from harness import media, paired_numbers
from reviews.models import Comment
from tests.browser import TIMEOUT_MS, new_page, record_console_errors, screenshot, sign_in
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
A_RATE, B_RATE = Fraction(24), Fraction(16)
A_FRAMES, B_FRAMES = 96, 48
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return (
        paired_numbers.make(folder / "reach_v1.mp4", seconds=4, rate="24"),
        paired_numbers.make(folder / "reach_v2.mp4", seconds=3, rate="16"),
    )


@pytest.fixture
def takes(celery_worker, director, shot, clips):
    client = client_for(director)
    ids = []
    for path in clips:
        version_id = media.upload(client, shot.pk, path)["id"]
        version, _ = media.wait_until_processed(client, version_id, timeout=60)
        assert version["processing"]["state"] == "ready", version["processing"]["error"]
        ids.append(version_id)
    return tuple(ids)


def b_of(a_frame: int) -> int:
    """B's frame on screen when A's frame starts: the page's rule, computed by the server's arithmetic."""
    return min(B_FRAMES - 1, math.floor(a_frame / A_RATE * B_RATE))


def a_of(b_frame: int) -> int:
    return min(A_FRAMES - 1, math.floor(b_frame / B_RATE * A_RATE))


def open_as_bob(browser, live_server, path: str, *, viewport=None, touch=False):
    if touch:
        # A phone: a finger, not a mouse, so pointer events arrive as touches.
        context = browser.new_context(viewport=viewport, device_scale_factor=1, has_touch=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
    else:
        page = new_page(browser)
        if viewport:
            page.set_viewport_size(viewport)
    # What the Content-Security-Policy refuses shows only in the console, not as a page error.
    record_console_errors(page)
    sign_in(page, f"{live_server.url}{path}", "bob", PASSWORD)
    return page


def wait_until_ready(page) -> None:
    expect(page.locator("#compare")).to_have_attribute("data-state", "ready")
    settle(page)


def settle(page) -> None:
    page.wait_for_function(
        "() => ['a', 'b'].every((side) => { const v = document.querySelector(`#video-${side}`);"
        " return v.readyState >= 2 && !v.seeking && v.paused; })"
    )


def named(page) -> tuple[int, int]:
    """The frames the page says A and B show."""
    return int(page.locator("#frame-a").inner_text()), int(page.locator("#frame-b").inner_text())


def picture_box(page, side: str) -> dict[str, float]:
    """Where the picture of a side is on screen: the 2:1 clip fitted into its <video> element."""
    box = page.locator(f"#video-{side}").bounding_box()
    scale = min(box["width"] / paired_numbers.WIDTH, box["height"] / paired_numbers.HEIGHT)
    width, height = paired_numbers.WIDTH * scale, paired_numbers.HEIGHT * scale
    return {
        "x": box["x"] + (box["width"] - width) / 2,
        "y": box["y"] + (box["height"] - height) / 2,
        "width": width,
        "height": height,
    }


def read_picture(page, side: str) -> tuple[int, int]:
    """The numbers the left and the right half of a side's picture show on screen."""
    clip = {key: round(value) for key, value in picture_box(page, side).items()}
    image = paired_numbers.decode_png(page.screenshot(clip=clip))
    return paired_numbers.read_halves(image, (0, 0, image.width, image.height))


def shown(page) -> dict[str, tuple[int, int]]:
    """What each side's picture shows, as the mode lays them out: per side, its left and right half."""
    mode = page.locator("#compare-view").get_attribute("data-mode")
    if mode == "side":
        return {"a": read_picture(page, "a"), "b": read_picture(page, "b")}
    left, right = read_picture(page, "a")  # one box: whichever is on top shows
    if mode == "wipe":
        return {"a": (left,), "b": (right,)}
    return {page.locator("#compare-view").get_attribute("data-shown"): (left, right)}


def assert_pictures_match(page, expected: tuple[int, int]) -> None:
    """Each side on screen shows the frame the page names, and those are the expected frames."""
    # A tap's click arrives a moment after the touch: wait for the page to name the frames.
    for side, frame in zip("ab", expected, strict=True):
        expect(page.locator(f"#frame-{side}")).to_have_text(str(frame))
    settle(page)
    assert named(page) == expected
    frames = dict(zip("ab", expected, strict=True))
    deadline = time.monotonic() + 5
    while True:
        seen = shown(page)
        wanted = {side: tuple(frames[side] for _ in halves) for side, halves in seen.items()}
        if seen == wanted or time.monotonic() > deadline:
            break
        page.wait_for_timeout(50)
    assert seen == wanted


@pytest.mark.django_db(transaction=True)
def test_both_sides_show_the_frames_they_name_when_stepping_seeking_flipping_and_wiping(
    browser, live_server, mentor, takes
):
    first, second = takes
    Comment.objects.create(version_id=first, author=mentor, body="the hand is too quick", frame=12)
    Comment.objects.create(version_id=second, author=mentor, body="better: she hesitates", frame=40)
    Comment.objects.create(version_id=second, author=mentor, body="fixed", frame=20, resolved=True)
    page = open_as_bob(browser, live_server, f"/review/compare/?a={first}&b={second}&frame=30")
    wait_until_ready(page)
    # A resolved note is on the timeline, dimmed and saying so.
    done = page.locator("#timeline-b .marker.resolved")
    expect(done).to_have_count(1)
    assert float(done.evaluate("(node) => getComputedStyle(node).opacity")) < 0.6
    assert "(resolved)" in done.get_attribute("title")
    expect(page.locator("#rate-a")).to_have_text("24 fps")
    expect(page.locator("#rate-b")).to_have_text("16 fps")
    expect(page.locator("#total-b")).to_have_text(" / 47")
    assert_pictures_match(page, (30, b_of(30)))

    # Stepping moves both to the same time; B steps only when a frame of its own starts.
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert_pictures_match(page, (33, b_of(33)))
    page.keyboard.press("Shift+ArrowRight")
    assert_pictures_match(page, (57, b_of(57)))
    expect(page).to_have_url(re.compile(rf"/review/compare/\?a={first}&b={second}&frame=57$"))

    # Each side's notes are on its timeline; B's note seeks both, B leading on its own frame.
    expect(page.locator("#timeline-a .marker")).to_have_count(1)
    page.locator("#timeline-b .marker:not(.resolved)").click()
    assert_pictures_match(page, (a_of(40), 40))
    expect(page.locator("#readout-b")).to_have_class(re.compile(r"\blead\b"))
    expect(page).to_have_url(re.compile(r"frame=40&lead=b"))
    page.locator("#timeline-a .marker").click()
    assert_pictures_match(page, (12, b_of(12)))
    screenshot(page, "compare-side-by-side.png")

    # Seeking on A's timeline: a click at three quarters of its track.
    track = page.locator("#timeline-a .timeline-track").bounding_box()
    page.mouse.click(track["x"] + 0.75 * track["width"], track["y"] + track["height"] / 2)
    assert_pictures_match(page, (72, b_of(72)))
    # Past B's end B holds its last frame.
    page.keyboard.press("End")
    assert_pictures_match(page, (95, 47))
    page.keyboard.press("Home")
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    assert_pictures_match(page, (20, b_of(20)))

    # Wipe: A left of the line, B right of it, in one box.
    page.keyboard.press("w")
    expect(page.locator("#compare-view")).to_have_attribute("data-mode", "wipe")
    assert_pictures_match(page, (20, b_of(20)))
    page.keyboard.press("ArrowLeft")
    assert_pictures_match(page, (19, b_of(19)))
    screenshot(page, "compare-wipe.png")
    # The handle takes the arrows while it has the focus; [ and ] move it from anywhere.
    handle = page.locator("#wipe-handle")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    expect(handle).to_have_attribute("aria-valuenow", "45")
    page.keyboard.press("End")
    expect(handle).to_have_attribute("aria-valuenow", "100")
    assert named(page) == (19, b_of(19))
    assert read_picture(page, "a") == (19, 19)  # all A
    page.keyboard.press("Home")
    assert read_picture(page, "a") == (b_of(19), b_of(19))  # all B
    handle.blur()
    page.keyboard.press("]")
    expect(handle).to_have_attribute("aria-valuenow", "5")
    # Dragging with the mouse anywhere on the picture moves the line.
    view = page.locator("#compare-view").bounding_box()
    page.mouse.move(view["x"] + 0.2 * view["width"], view["y"] + view["height"] / 2)
    page.mouse.down()
    page.mouse.move(view["x"] + 0.5 * view["width"], view["y"] + view["height"] / 2, steps=5)
    page.mouse.up()
    expect(handle).to_have_attribute("aria-valuenow", "50")
    assert_pictures_match(page, (19, b_of(19)))

    # A/B: one key shows the other version at the same moment, and it leads while shown.
    page.keyboard.press("x")
    expect(page.locator("#compare-view")).to_have_attribute("data-mode", "ab")
    expect(page.locator("#compare-view")).to_have_attribute("data-shown", "b")
    assert_pictures_match(page, (19, b_of(19)))
    page.keyboard.press("ArrowRight")
    assert_pictures_match(page, (a_of(b_of(19) + 1), b_of(19) + 1))
    # Flipping back shows A where it was: a flip changes which picture is shown, not the frames.
    page.locator("#flip").click()
    expect(page.locator("#compare-view")).to_have_attribute("data-shown", "a")
    expect(page.locator("#readout-a")).to_have_class(re.compile(r"\blead\b"))
    assert_pictures_match(page, (a_of(b_of(19) + 1), b_of(19) + 1))
    # The copied address reopens exactly that: B's frame (where the frames were chosen), A shown.
    settle(page)
    link = page.url
    assert re.search(rf"frame={b_of(19) + 1}&lead=b&mode=ab&shown=a$", link), link
    again = page.context.new_page()
    again.errors = []
    again.goto(link)
    wait_until_ready(again)
    expect(again.locator("#compare-view")).to_have_attribute("data-shown", "a")
    assert_pictures_match(again, (a_of(b_of(19) + 1), b_of(19) + 1))
    # and the arrows then step the side shown.
    again.keyboard.press("ArrowRight")
    assert_pictures_match(again, (a_of(b_of(19) + 1) + 1, b_of(a_of(b_of(19) + 1) + 1)))
    again.close()
    page.keyboard.press("s")
    assert_pictures_match(page, (a_of(b_of(19) + 1), b_of(19) + 1))

    # Playing keeps them together; a pause snaps both exactly onto the rule.
    page.keyboard.press("Space")
    page.wait_for_function("() => Number(document.querySelector('#frame-a').textContent) >= 40")
    page.keyboard.press("Space")
    settle(page)
    a_frame, b_frame = named(page)
    assert b_frame == b_of(a_frame)
    assert_pictures_match(page, (a_frame, b_frame))

    # The address follows: reopening it shows the same frames, the same way.
    page.keyboard.press("w")
    page.keyboard.press("ArrowRight")
    settle(page)
    link = page.url
    assert f"frame={a_frame + 1}" in link
    assert "mode=wipe" in link
    page.goto(link)
    wait_until_ready(page)
    expect(page.locator("#compare-view")).to_have_attribute("data-mode", "wipe")
    assert_pictures_match(page, (a_frame + 1, b_of(a_frame + 1)))
    assert page.errors == []


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_sides_stack_and_a_finger_drags_the_wipe(browser, live_server, mentor, takes):
    first, second = takes
    page = open_as_bob(
        browser, live_server, f"/review/compare/?a={first}&b={second}&frame=24", viewport=PHONE, touch=True
    )
    wait_until_ready(page)
    a_box, b_box = (page.locator(f"#side-{side}").bounding_box() for side in "ab")
    assert b_box["y"] >= a_box["y"] + a_box["height"] - 1  # one above the other
    assert a_box["width"] > PHONE["width"] - 20
    assert_pictures_match(page, (24, b_of(24)))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate(
        """() => [...document.querySelectorAll('.topbar a, .topbar button, #compare button, #compare a, [role=slider]')]
            .filter((node) => node.offsetParent !== null && !node.closest('dialog'))
            .map((node) => ({node: node.id || node.dataset.action || node.dataset.mode || node.className, box: node.getBoundingClientRect()}))
            .filter(({box}) => box.width < 44 || box.height < 44)
            .map(({node, box}) => `${node}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == []
    shot_crumb = page.locator("#crumb-shot").bounding_box()
    assert shot_crumb["width"] >= 44
    assert shot_crumb["height"] >= 44
    for crumb in page.locator(".topbar .crumb").all():
        if crumb.is_visible():
            assert crumb.bounding_box()["height"] >= 44, crumb.inner_text()
    # Each stacked side's label is above its picture, not over it.
    for side in "ab":
        label = page.locator(f"#side-{side} .side-label").bounding_box()
        assert label["y"] + label["height"] <= picture_box(page, side)["y"] + 1, side
    screenshot(page, "compare-phone.png")

    # Wipe with a finger: a real touch drag, through Chromium's input pipeline.
    page.locator("#mode-switch [data-mode='wipe']").tap()
    view = page.locator("#compare-view").bounding_box()
    middle = view["y"] + view["height"] / 2
    touch = page.context.new_cdp_session(page)
    touch.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": view["x"] + 40, "y": middle}]},
    )
    for fraction in (0.3, 0.4, 0.5):
        point = {"x": view["x"] + fraction * view["width"], "y": middle}
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    # The finger rests on the place it chose before lifting. Lifted while still moving it flings,
    # and Chromium swallows the next tap as the one that stops the fling (as a phone does), so a
    # tap right after would be lost whenever the machine is quick enough to make it one.
    page.wait_for_timeout(150)
    touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    page.wait_for_timeout(150)
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(page.locator("#wipe-handle")).to_have_attribute("aria-valuenow", "50")
    page.locator("#transport [data-action='forward']").tap()
    assert_pictures_match(page, (25, b_of(25)))
    page.locator("#flip").tap()
    expect(page.locator("#compare-view")).to_have_attribute("data-shown", "b")
    # "Showing B" is said on the picture, clear of both readouts.
    notice = page.locator("#flip-notice")
    expect(notice).to_have_text(re.compile(r"^Showing B: v\d+$"))
    box = notice.bounding_box()
    for side in "ab":
        readout = page.locator(f"#readout-{side}").bounding_box()
        assert box["y"] + box["height"] <= readout["y"] or box["y"] >= readout["y"] + readout["height"], side
    expect(page.locator("#toast")).to_be_hidden()
    screenshot(page, "compare-phone-ab.png")
    assert_pictures_match(page, (25, b_of(25)))
    assert page.errors == []


@pytest.mark.django_db(transaction=True)
def test_the_version_page_and_the_project_page_lead_to_the_comparison(
    browser, live_server, mentor, takes, shot
):
    first, second = takes
    page = open_as_bob(browser, live_server, f"/review/versions/{second}/?frame=10")
    expect(page.locator("#review")).to_have_attribute("data-state", "ready")
    page.wait_for_function("() => Number(document.querySelector('#frame-number').textContent) === 10")
    page.locator("#compare-select").select_option(str(first))
    expect(page).to_have_url(re.compile(rf"/review/compare/\?a={second}&b={first}&frame=10$"))
    wait_until_ready(page)
    # A is v2 at 16 fps now: its frame 10 starts at 0.625 s, when v1 (24 fps) shows frame 15.
    assert_pictures_match(page, (10, 15))

    page.goto(f"{live_server.url}/review/projects/{shot.project_id}/")
    link = page.locator(f".version-row[data-version-id='{first}'] .compare-link")
    expect(link).to_have_text("⇄ v2")
    link.click()
    expect(page).to_have_url(re.compile(rf"/review/compare/\?a={first}&b={second}"))
    wait_until_ready(page)
    assert_pictures_match(page, (0, 0))
    assert page.errors == []


def test_the_page_maps_frames_between_rates_as_the_server_counts_them(browser, live_server):
    rates = [
        Fraction(24),
        Fraction(16),
        Fraction(24000, 1001),
        Fraction(30000, 1001),
        Fraction(25),
        Fraction(12),
    ]
    cases = [
        (frame, source, target)
        for source in rates
        for target in rates
        for frame in (0, 1, 2, 3, 15, 16, 23, 24, 47, 48, 1001, 1439, 86399)
    ]
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    in_the_page = page.evaluate(
        """async (cases) => {
            const { frameAtStartOf } = await import("/static/reviews/js/comparesync.js");
            const rate = ([numerator, denominator]) => ({ numerator, denominator, fps: numerator / denominator });
            return cases.map(([frame, from, to]) => frameAtStartOf(frame, rate(from), rate(to)));
        }""",
        [
            [frame, [source.numerator, source.denominator], [target.numerator, target.denominator]]
            for frame, source, target in cases
        ],
    )
    assert in_the_page == [math.floor(frame / source * target) for frame, source, target in cases]
