"""The version page's player, in headless Chromium against a live server and the real worker.

Bob, the mentor, reviews Alice's takes: he starts a note while the clip plays, follows a
link to a frame, switches between takes at different rates, loops a range at half speed,
zooms on a hand, and does it all again on his phone. Each test here failed on the page
before its fault (issue 13: 1, 3, 4, 5, 9 and the player list) was fixed.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the phone screenshot as PNG.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from harness import clips, media
from reviews.models import Comment, ProcessingState, Version
from reviews.timecode import frame_to_timecode, seconds_to_frame, timecode_to_frame
from tests.browser import (
    CHROMIUM_ARGS,
    assert_canvas_covers_picture,
    drag,
    new_page,
    position,
    record_console_errors,
    sign_in,
    thread_of,
    wait_for_player,
)
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
RATE = Fraction(24)
PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = os.getenv("REVIEWSVC_SCREENSHOT_DIR")
assert "--autoplay-policy=no-user-gesture-required" in CHROMIUM_ARGS  # playing needs no click


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.make_video(tmp_path_factory.mktemp("clips") / "touch_v1.mp4", seconds=4, rate="24")


@pytest.fixture(scope="module")
def portrait_clip_2997(tmp_path_factory):
    return clips.make_video(
        tmp_path_factory.mktemp("clips") / "touch_v2.mp4", seconds=4, width=180, height=320, rate="30000/1001"
    )


def ready_version(director, shot, path: Path, **fields) -> int:
    client = client_for(director)
    version_id = media.upload(client, shot.pk, path, **fields)["id"]
    version, _ = media.wait_until_processed(client, version_id, timeout=60)
    assert version["processing"]["state"] == "ready", version["processing"]["error"]
    return version_id


def open_as_bob(browser, live_server, path: str, **context):
    page = new_page(browser)
    # What the Content-Security-Policy refuses shows only in the console, not as a page error.
    record_console_errors(page)
    if context:
        page.set_viewport_size(context["viewport"])
    sign_in(page, f"{live_server.url}{path}", "bob", PASSWORD)
    return page


def shown_frame(page) -> int:
    return int(page.locator("#frame-number").inner_text())


def is_playing(page) -> bool:
    return not page.evaluate("document.querySelector('#video').paused")


# --- fault 1: a note started while the clip plays ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_anchors_a_note_to_the_frame_it_was_started_on_while_playing(
    browser, live_server, celery_worker, director, mentor, shot, clip
):
    version_id = ready_version(director, shot, clip)
    page = open_as_bob(browser, live_server, f"/review/versions/{version_id}/")
    wait_for_player(page)

    # C while playing: the player stops, the chip shows that frame, and typing for a while
    # (the clip would have played on to its end) changes nothing.
    page.keyboard.press("l")
    page.wait_for_function("() => Number(document.querySelector('#frame-number').textContent) >= 12")
    page.keyboard.press("c")
    started = position(page, RATE)
    assert not is_playing(page)
    assert started.shown == started.video == started.picture
    expect(page.locator("#anchor")).to_have_text(frame_to_timecode(started.shown, RATE))
    body = page.locator("#comment-body")
    expect(body).to_be_focused()
    body.press_sequentially("her hand hesitates too late", delay=40)
    page.wait_for_timeout(1500)
    assert shown_frame(page) == started.shown
    body.press("Control+Enter")
    expect(thread_of(page, "hesitates too late")).to_be_visible()
    assert Comment.objects.get(body="her hand hesitates too late").frame == started.shown

    # A click into the box does the same.
    page.keyboard.press("l")
    page.wait_for_function(
        f"() => Number(document.querySelector('#frame-number').textContent) >= {started.shown + 12}"
    )
    body.click()
    clicked = position(page, RATE)
    assert not is_playing(page)
    expect(page.locator("#anchor")).to_have_text(frame_to_timecode(clicked.shown, RATE))
    body.fill("the glass flares here")
    # Looking elsewhere while the note is open does not move it.
    page.locator("#timeline-track").click(position={"x": 5, "y": 5})
    expect(page.locator("#anchor")).to_have_text(frame_to_timecode(clicked.shown, RATE))
    page.locator("#post-comment").click()
    expect(thread_of(page, "the glass flares")).to_be_visible()
    assert Comment.objects.get(body="the glass flares here").frame == clicked.shown
    # The box is empty again: it follows the player once more.
    page.keyboard.press("End")
    expect(page.locator("#anchor")).to_have_text(frame_to_timecode(95, RATE))
    assert page.errors == []


# --- fault 3: generation metadata of any shape ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_shows_generation_metadata_of_any_shape_as_readable_text(browser, live_server, mentor, shot):
    from tests.factories import VersionFactory

    prompt = "her hand reaches out, hesitates, then touches the glass; " * 12
    generation = {
        "model": "kling-2.1",
        "prompt": prompt,
        "seed": 42,
        "negative_prompt": "blurry, <b>extra fingers</b>",
        "cfg": 7.5,
        "steps": 30,
        "tiling": False,
        "scheduler": None,
        "loras": [{"name": "hands-v2", "weight": 0.8}, {"name": "glass", "weight": 0.4}],
        "tags": ["close-up", "hands"],
        "extra": {"sampler": {"name": "dpm++", "eta": 0}, "note": "ünïcödé 🎬 — 手"},
        "a_very_long_key_without_any_space_to_break_it_anywhere_at_all": "x" * 300,
    }
    version = VersionFactory(shot=shot, generation=generation, processing_state=ProcessingState.PROCESSING)
    page = open_as_bob(browser, live_server, f"/review/versions/{version.pk}/")
    info = page.locator("#version-info")
    expect(info).to_contain_text("negative_prompt")
    text = info.inner_text()
    assert "[object" not in text
    for shown in (
        "blurry, <b>extra fingers</b>",
        "7.5",
        "30",
        "false",
        "hands-v2",
        "0.8",
        "close-up, hands",
        "dpm++",
    ):
        assert shown in text
    assert "ünïcödé 🎬 — 手" in text
    # Markup in a value is text, never an element.
    expect(info.locator("b")).to_have_count(0)
    # Nothing pushes the page sideways, and the prompt is read whole, not behind an inner scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    assert page.evaluate(
        "(() => { const box = document.querySelector('#version-info'); return box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1; })()"
    )
    expect(info.locator(".prompt")).to_have_text(prompt)
    assert page.errors == []


# --- fault 4 and the newer-version banner: links to frames, switching takes ------------------


@pytest.mark.django_db(transaction=True)
def test_links_open_a_frame_and_switching_versions_keeps_the_moment(
    browser, live_server, celery_worker, director, mentor, shot, clip, portrait_clip_2997
):
    first = ready_version(director, shot, clip)
    second = ready_version(director, shot, portrait_clip_2997)
    note = Comment.objects.create(
        version_id=first, author=mentor, body="the fingers bend too early", frame=30
    )
    other = Comment.objects.create(version_id=first, author=mentor, body="general", frame=None)

    page = open_as_bob(browser, live_server, f"/review/versions/{first}/?frame=50")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    wait_for_player(page)
    assert position(page, RATE) == (50, "00:00:02:02", 50, 50)
    for query, frame in (
        ("t=2", 48),
        ("tc=00:00:01:12", 36),
        ("t=1.99", 47),
        ("frame=9999", 95),
        ("tc=nonsense", 0),
    ):
        page.goto(f"{live_server.url}/review/versions/{first}/?{query}")
        wait_for_player(page)
        assert position(page, RATE).shown == frame, query

    # A comment's link opens its frame with its thread selected.
    page.goto(f"{live_server.url}/review/versions/{first}/?comment={note.pk}")
    wait_for_player(page)
    assert position(page, RATE).shown == 30
    expect(thread_of(page, "fingers bend")).to_have_class(re.compile(r"\bselected\b"))
    thread_of(page, "fingers bend").locator("[data-action='link']").click()
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{live_server.url}/review/versions/{first}/?comment={note.pk}"
    )
    assert other.pk != note.pk

    # "Copy link to this frame" gives a link that opens there.
    for key in ("ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    page.locator("#copy-link").click()
    expect(page.locator("#toast")).to_contain_text("Link to 00:00:01:08 copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{live_server.url}/review/versions/{first}/?frame=32"

    # v1 says a newer take exists; switching keeps the moment, by time, at the new rate.
    banner = page.locator("#newer-version")
    expect(banner).to_contain_text("A newer version exists: v2")
    page.keyboard.press("Shift+ArrowRight")  # frame 56, 2.354 s into the take
    page.locator("#version-select").select_option(str(second))
    expect(page).to_have_url(re.compile(rf"/review/versions/{second}/\?t="))
    wait_for_player(page)
    ntsc = Fraction(30000, 1001)
    assert position(page, ntsc).shown == seconds_to_frame(Fraction(56 * 2 + 1, 48), ntsc) == 70
    expect(page.locator("#newer-version")).to_be_hidden()
    # And back with the menu: frame 70 at 29.97 fps is frame 56 at 24.
    page.locator("#version-select").select_option(str(first))
    wait_for_player(page)
    assert position(page, RATE).shown == 56
    page.locator("#newer-version a").click()
    expect(page).to_have_url(re.compile(rf"/review/versions/{second}/\?t="))
    wait_for_player(page)
    assert position(page, ntsc).shown == 70
    assert page.errors == []


def test_links_read_frames_seconds_and_timecodes_as_the_server_does(browser, live_server):
    rates = [
        Fraction(16),
        Fraction(24),
        Fraction(24000, 1001),
        Fraction(30000, 1001),
        Fraction(25, 2),
        Fraction(60000, 1001),
    ]
    frames = [0, 1, 11, 12, 15, 16, 23, 24, 29, 30, 59, 1439, 86399]
    cases = [
        {
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "timecode": frame_to_timecode(frame, rate),
            "seconds": float(frame / rate),
            "frame": frame,
        }
        for rate in rates
        for frame in frames
    ]
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    in_the_page = page.evaluate(
        """async (cases) => {
            const links = await import("/static/reviews/js/links.js");
            const { parseRate } = await import("/static/reviews/js/timecode.js");
            return cases.map(({numerator, denominator, timecode, seconds, frame}) => {
                const rate = parseRate(`${numerator}/${denominator}`);
                const at = (query) => links.requestedStart(rate, query)?.frame ?? null;
                return [
                    at(`?tc=${timecode}`),
                    at(`?t=${seconds}`),
                    at(`?frame=${frame}`),
                    at(`?t=${links.frameMiddleSeconds(frame, rate)}`),
                ];
            });
        }""",
        cases,
    )
    on_the_server = [
        [
            timecode_to_frame(case["timecode"], rate := Fraction(case["numerator"], case["denominator"])),
            seconds_to_frame(case["seconds"], rate),
            case["frame"],
            case["frame"],
        ]
        for case in cases
    ]
    assert in_the_page == on_the_server
    # What is not a position opens the first frame; a comment's link names the comment.
    refused = page.evaluate(
        """async (queries) => {
            const links = await import("/static/reviews/js/links.js");
            const { parseRate } = await import("/static/reviews/js/timecode.js");
            return queries.map((query) => links.requestedStart(parseRate("16/1"), query));
        }""",
        [
            "?tc=00:00:00:16",
            "?tc=00:61:00:00",
            "?tc=2",
            "?t=-1",
            "?t=soon",
            "?frame=-3",
            "?frame=4.5",
            "",
            "?comment=17",
        ],
    )
    assert refused == [None] * 8 + [{"comment": 17}]


# --- fault 5 and the rest of the player list ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_controls_leave_the_keys_to_the_player_which_loops_slows_zooms_and_fills_the_screen(
    browser, live_server, celery_worker, director, mentor, shot, clip
):
    version_id = ready_version(director, shot, clip)
    page = open_as_bob(browser, live_server, f"/review/versions/{version_id}/")
    wait_for_player(page)

    # After a click on the checkbox, a status button or a transport button the keys still step.
    page.locator("#show-resolved").click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert position(page, RATE).shown == 3
    page.keyboard.press("Space")
    page.keyboard.press("k")
    expect(page.locator("#show-resolved")).not_to_be_checked()  # Space played, it did not tick the box
    page.keyboard.press("Home")
    page.locator(".segment[data-status='pending']").click()
    page.locator("#mute").click()
    page.keyboard.press("ArrowRight")
    assert position(page, RATE).shown == 1
    page.locator("#speed").select_option("0.5")
    page.keyboard.press("ArrowRight")
    assert position(page, RATE).shown == 2

    # Speed: half speed as picked, then one step up with ">" and down with "<".
    page.keyboard.press("l")
    assert page.evaluate("document.querySelector('#video').playbackRate") == 0.5
    page.keyboard.press(">")
    assert page.evaluate("document.querySelector('#video').playbackRate") == 0.75
    page.keyboard.press("<")
    page.keyboard.press("<")
    assert page.evaluate("document.querySelector('#video').playbackRate") == 0.25
    expect(page.locator("#speed")).to_have_value("0.25")
    page.keyboard.press("k")
    for _ in range(3):
        page.keyboard.press(">")
    expect(page.locator("#speed")).to_have_value("1")

    # Loop 00:00:01:00 to 00:00:01:12: playback wraps inside the range.
    for key in ("Home", "Shift+ArrowRight", "i", *["ArrowRight"] * 12, "o", "r"):
        page.keyboard.press(key)
    expect(page.locator("#loop")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Home")
    page.keyboard.press("l")
    seen = page.evaluate(
        """() => new Promise((resolve) => {
            const frames = [];
            const started = performance.now();
            const tick = () => {
                frames.push(Number(document.querySelector('#frame-number').textContent));
                if (performance.now() - started < 1800) requestAnimationFrame(tick); else resolve(frames);
            };
            requestAnimationFrame(tick);
        })"""
    )
    page.keyboard.press("k")
    settled = seen[5:]
    assert all(24 <= frame <= 36 for frame in settled), seen
    assert any(later < earlier for earlier, later in itertools.pairwise(settled)), "it never looped"
    page.keyboard.press("r")
    expect(page.locator("#loop")).to_have_attribute("aria-pressed", "false")

    # Zoom on the paused frame, pan by dragging; a drawing made zoomed lands where drawn.
    page.keyboard.press("Home")
    page.keyboard.press("z")
    expect(page.locator("#viewport")).to_have_attribute("data-zoom", "2")
    assert_canvas_covers_picture(page, width=320, height=180)
    transform_before = page.locator("#picture").evaluate("node => node.style.transform")
    drag(page, "#viewport", [(0.5, 0.5), (0.6, 0.55)])
    transform_after = page.locator("#picture").evaluate("node => node.style.transform")
    assert "scale(2)" in transform_after
    assert transform_after != transform_before
    page.keyboard.press("z")
    page.keyboard.press("z")  # zoomed again about the centre
    page.locator("#tool-arrow").click()
    drag(page, "#viewport", [(0.5, 0.5), (0.55, 0.5)])
    page.locator("#comment-body").fill("look at the thumb")
    page.locator("#comment-body").press("Control+Enter")
    expect(thread_of(page, "look at the thumb")).to_be_visible()
    shapes = Comment.objects.get(body="look at the thumb").annotation["shapes"]
    (start, end) = shapes[0]["points"]
    assert start == pytest.approx([0.5, 0.5], abs=0.01)
    # 5 % of the viewport at twice the size: at least 2.5 % of the frame, since the picture fits inside it.
    assert 0.52 < end[0] < 0.6
    assert end[1] == pytest.approx(0.5, abs=0.01)
    page.keyboard.press("Escape")
    page.keyboard.press("-")
    expect(page.locator("#viewport")).to_have_attribute("data-zoom", "1.5")

    # Full screen holds the picture, the timeline and the transport; F again leaves it.
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement?.id === 'stage'")
    expect(page.locator("#fullscreen")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_contain_text("Full screen")
    assert page.errors == []


# --- fault 9: a phone ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_every_control_takes_a_finger_and_nothing_is_cut(
    browser, live_server, celery_worker, director, mentor, shot, clip
):
    version_id = ready_version(
        director,
        shot,
        clip,
        note="First pass: the reach is too quick.",
        generation=json.dumps(
            {
                "model": "kling-2.1",
                "prompt": "her hand reaches out, hesitates, then touches the glass",
                "seed": 42,
            }
        ),
    )
    edited = Comment.objects.create(
        version_id=version_id,
        author=mentor,
        body="her hand should hesitate here",
        frame=48,
        edited_at=timezone.now(),
    )
    # A reply is indented, so its head has the least room; a long name takes the rest.
    director.first_name, director.last_name = "Alice", "Marchetti-Lindqvist de la Fontaine"
    director.save()
    Comment.objects.create(
        version_id=version_id,
        author=director,
        body="agreed",
        parent=edited,
        thread=edited,
        edited_at=timezone.now(),
    )
    Version.objects.filter(pk=version_id).update(review_status="changes_requested")
    page = open_as_bob(browser, live_server, f"/review/versions/{version_id}/", viewport=PHONE)
    wait_for_player(page)
    expect(thread_of(page, "hesitate here")).to_be_visible()

    # "· edited" stays on one line, on the phone and on a desktop.
    def edited_lines() -> float:
        return max(
            page.locator(".comment-head span", has_text="edited").evaluate_all(
                "nodes => nodes.map((node) => node.getBoundingClientRect().height / parseFloat(getComputedStyle(node).lineHeight))"
            )
        )

    assert edited_lines() < 1.5
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                '.topbar a, .topbar button, .topbar select, #review button, #review select, #review label.toggle'
            )]
            .filter((node) => node.offsetParent !== null && !node.closest('dialog, .marker-range'))
            .map((node) => ({node: node.id || node.dataset.action || node.dataset.tool || node.dataset.color || node.className, box: node.getBoundingClientRect()}))
            .filter(({box}) => box.width < 44 || box.height < 44)
            .map(({node, box}) => `${node}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == []
    # The project crumb is there and the version menu shows its whole entry.
    expect(page.locator("#crumb-project")).to_be_visible()
    expect(page.locator("#crumb-project")).to_have_text(shot.project.name)
    menu_fits = page.locator("#version-select").evaluate(
        """(select) => {
            const context = document.createElement('canvas').getContext('2d');
            const style = getComputedStyle(select);
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = select.options[select.selectedIndex].text;
            return [context.measureText(text).width + 40, select.clientWidth];
        }"""
    )
    assert menu_fits[0] <= menu_fits[1], menu_fits
    if SCREENSHOT_DIR:
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        thread_of(page, "hesitate here").locator(".comment-body").first.click()
        page.evaluate("document.scrollingElement.scrollTop = 0")
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "version-page-phone.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
    assert edited_lines() < 1.5
    assert page.errors == []
