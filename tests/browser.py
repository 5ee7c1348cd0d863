"""Driving the review pages in Debian's headless Chromium with Playwright.

Playwright never downloads a browser here: it drives /usr/bin/chromium (installed by
``scripts/install-system-packages test``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from reviews.timecode import seconds_to_frame

CHROMIUM = os.getenv("REVIEWSVC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
# Large enough for the player and the thread side by side, as on a laptop.
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


@contextmanager
def chromium() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told the calls are deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def record_console_errors(page: Page) -> None:
    """Count every console error as a page error, but the 503 the WSGI test server gives the pages'
    event streams (they then poll; docs/live.md), which Chromium logs as a failed load."""

    def seen(message) -> None:
        stream_refused = "503" in message.text and "/events/" in message.location.get("url", "")
        if message.type == "error" and not stream_refused:
            page.errors.append(message.text)

    page.on("console", seen)


def new_page(browser: Browser, *, viewport: dict[str, int] = VIEWPORT, has_touch: bool = False) -> Page:
    """A fresh, signed-out tab: its own cookies, so two people can be signed in at once. A phone's
    tab is ``viewport=PHONE, has_touch=True`` (its elements then take ``tap()``)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, has_touch=has_touch)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # A script error on the page should fail the test, not pass unnoticed.
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # So is anything the Content-Security-Policy refused: Chromium reports it on the console.
    page.on(
        "console",
        lambda message: (
            page.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    """Open url, get sent to the login form, sign in and land back on url."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url)


# Predicates are functions, not expressions: Playwright evaluates an expression with
# eval(), which the pages' Content-Security-Policy refuses.


def wait_for_player(page: Page) -> None:
    """Until the proxy is loaded and the player shows a frame."""
    expect(page.locator("#review")).to_have_attribute("data-state", "ready")
    page.wait_for_function("() => document.querySelector('#video').readyState >= 2")
    wait_for_seek(page)


def wait_for_seek(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('#video').seeking")


class Position(NamedTuple):
    shown: int  # the frame number on the page
    timecode: str  # the timecode on the page
    video: int  # the frame the <video> element's currentTime falls in
    picture: int | None  # the frame the browser last put on screen


def video_frame(page: Page, rate: Fraction) -> int:
    """The frame the <video> element is on, by the server's own rule for seconds."""
    current_time = page.evaluate("document.querySelector('#video').currentTime")
    return seconds_to_frame(Fraction(current_time), rate)


def frame_on_screen(page: Page, rate: Fraction, *, expected: int) -> int | None:
    """The frame the browser composited last, from requestVideoFrameCallback's media time.

    It arrives a moment after a seek ends, so wait a little for the expected frame
    before reading whatever is there.
    """
    deadline = time.monotonic() + 5
    while True:
        media_time = page.evaluate("document.querySelector('#video').dataset.presentedTime")
        frame = None if media_time is None else seconds_to_frame(Fraction(media_time), rate)
        if frame == expected or time.monotonic() > deadline:
            return frame
        page.wait_for_timeout(20)


def position(page: Page, rate: Fraction) -> Position:
    """Where the player is once it has settled: as the page shows it, and as the video has it."""
    wait_for_seek(page)
    video = video_frame(page, rate)
    return Position(
        shown=int(page.locator("#frame-number").inner_text()),
        timecode=page.locator("#timecode").inner_text(),
        video=video,
        picture=frame_on_screen(page, rate, expected=video),
    )


def assert_canvas_covers_picture(page: Page, *, width: int, height: int) -> None:
    """The drawing canvas lies exactly over the picture inside the <video> element's letterbox."""
    for _ in range(50):  # the resize observer runs after layout
        video = page.locator("#video").bounding_box()
        canvas = page.locator("#sketch").bounding_box()
        scale = min(video["width"] / width, video["height"] / height)
        picture = {
            "x": video["x"] + (video["width"] - width * scale) / 2,
            "y": video["y"] + (video["height"] - height * scale) / 2,
            "width": width * scale,
            "height": height * scale,
        }
        if all(abs(canvas[key] - picture[key]) < 1.5 for key in picture):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the drawing canvas is at {canvas}, the picture at {picture}")


def thread_of(page: Page, body_text: str) -> Locator:
    """The top-level comment whose text contains body_text."""
    return page.locator(".comment.top", has=page.locator(".comment-body", has_text=body_text)).first


def drag(page: Page, selector: str, points: list[tuple[float, float]]) -> None:
    """Press, move through points (fractions of the element's box) and release."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not on screen"

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=4)
    page.mouse.up()


# Where the browser tests save the screenshots docs/screenshots/ is made from; none when unset.
SCREENSHOT_DIR = os.getenv("REVIEWSVC_SCREENSHOT_DIR")


def screenshot(page: Page, name: str) -> None:
    """Save the page as ``name`` in REVIEWSVC_SCREENSHOT_DIR, if that is set."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / name))
