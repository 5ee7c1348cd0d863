"""Typed notes, carried notes and the next prompt on the version page, in headless Chromium.

Alice uploads v1 and v2 of a shot; Bob's notes on v1 are carried onto v2. On v2 Bob writes a
typed note from the keyboard, retypes it, filters the conversation, and copies the next prompt;
on a phone the same controls are big enough for a finger.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import clips, media
from reviews import services
from reviews.models import Comment
from tests.browser import chromium, new_page, screenshot, sign_in, thread_of, wait_for_player
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def upload_ready(director, shot, path: Path, **fields) -> int:
    version, _ = media.upload_and_wait(client_for(director), shot.pk, path, **fields)
    assert version["processing"]["state"] == "ready", version["processing"]["error"]
    return version["id"]


@pytest.mark.django_db(transaction=True)
def test_a_mentor_types_filters_and_copies_the_next_prompt_on_a_carried_take(
    live_server, celery_worker, director, mentor, shot, tmp_path
):
    from reviews.models import Version

    first = upload_ready(director, shot, clips.make_video(tmp_path / "v1.mp4", seconds=2, rate="24"))
    v1 = Version.objects.get(pk=first)
    services.comment_create(
        version=v1,
        author=mentor,
        body="Six fingers on her left hand",
        frame=30,
        category="hands_and_body",
        severity="must_fix",
    )
    services.comment_create(version=v1, author=mentor, body="The light is lovely", frame=6)
    services.comment_create(version=v1, author=mentor, body="The cup slides at the end", frame=42)
    generation = '{"model": "kling-2.1", "prompt": "her hand reaches out, hesitates", "seed": 42}'
    # v2 is 1.5 s long: v1's note at 1.75 s lies past its end.
    second = upload_ready(
        director, shot, clips.make_video(tmp_path / "v2.mp4", seconds=1.5, rate="16"), generation=generation
    )

    with chromium() as browser:
        page = new_page(browser)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        url = f"{live_server.url}/review/versions/{second}/"
        sign_in(page, url, "bob", PASSWORD)
        wait_for_player(page)

        # v1's notes are here, marked, at the same second on v2's 16 fps timeline.
        hand = thread_of(page, "Six fingers")
        expect(hand.locator(".carried-badge")).to_have_text("from v1")
        expect(hand.locator(".chip").first).to_have_text("00:00:01:04")
        expect(hand.locator("select.severity")).to_have_value("must_fix")
        # Past v2's end: not "General", but where it was on v1.
        cup = thread_of(page, "The cup slides")
        expect(cup.locator(".chip")).to_have_count(0)
        expect(cup.locator(".comment-anchor").first).to_contain_text("from v1")
        expect(cup.locator(".carried-origin")).to_have_text("at 00:00:01:18 of v1")
        expect(cup.locator(".beyond-end-badge")).to_have_text("past the end")

        # A new typed note, from the keyboard alone.
        page.locator("#comment-body").focus()
        page.keyboard.type("Her arm bends the wrong way")
        page.keyboard.press("Shift+Tab")  # back to the category
        page.keyboard.press("Shift+Tab")  # and the severity
        expect(page.locator("#note-severity")).to_be_focused()
        page.keyboard.press("ArrowDown")  # Must fix
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")  # Hands and body, the first category
        expect(page.locator("#note-category")).to_have_value("hands_and_body")
        page.keyboard.press("Tab")
        expect(page.locator("#comment-body")).to_be_focused()
        page.keyboard.press("Control+Enter")
        arm = thread_of(page, "Her arm bends")
        expect(arm.locator("select.category")).to_have_value("hands_and_body")
        note = Comment.objects.get(body="Her arm bends the wrong way")
        assert (note.category, note.severity, note.version_id) == ("hands_and_body", "must_fix", second)
        expect(page.locator("#note-severity")).to_have_value("")

        # Its author retypes it on the thread: browsing with the arrow keys saves nothing, Enter does.
        patches = []
        page.on("request", lambda request: patches.append(request) if request.method == "PATCH" else None)
        arm.locator("select.category").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(300)
        assert patches == []
        with page.expect_response(lambda response: response.request.method == "PATCH"):
            page.keyboard.press("Enter")
        assert len(patches) == 1
        note.refresh_from_db()
        assert note.category != "hands_and_body"
        # A pointer (or finger) pick saves at once.
        with page.expect_response(lambda response: response.request.method == "PATCH"):
            thread_of(page, "Her arm bends").locator("select.severity").select_option("suggestion")
        expect(thread_of(page, "Her arm bends").locator("select.severity")).to_have_value("suggestion")
        note.refresh_from_db()
        assert note.severity == "suggestion"
        with page.expect_response(lambda response: response.request.method == "PATCH"):
            thread_of(page, "Her arm bends").locator("select.category").select_option("hands_and_body")

        # The conversation filtered by category and severity.
        page.locator("#filter-category").select_option("hands_and_body")
        expect(page.locator("#thread .comment.top")).to_have_count(2)
        page.locator("#filter-severity").select_option("must_fix")
        expect(page.locator("#thread .comment.top .comment-body")).to_have_text(
            ["Six fingers on her left hand"]
        )
        page.locator("#filter-category").select_option("")
        page.locator("#filter-severity").select_option("")
        expect(page.locator("#thread .comment.top")).to_have_count(4)

        # On a frame past the fade from black, for the pictures.
        page.locator("#transport [data-action='end']").click()

        # The next prompt: copied, and shown to read.
        page.locator("#copy-next-prompt").click()
        expect(page.locator("#next-prompt")).to_be_visible()
        text = page.locator("#next-prompt-text").input_value()
        assert text.startswith(
            "# Next prompt for SH010 v2\n\n## Prompt\n\n```text\nher hand reaches out, hesitates\n```\n"
        )
        assert "- **Must fix** · 00:00:01:04 · from v1\n\n  ```text\n  Six fingers on her left hand\n" in text
        assert "- past the end of this clip (was at 00:00:01:18 of v1) · from v1\n" in text
        assert page.evaluate("navigator.clipboard.readText()") == text
        screenshot(page, "notes-next-prompt.png")
        page.keyboard.press("Escape")
        screenshot(page, "notes-version-page.png")

        # On a phone, by touch: the page fits and the note controls are finger-sized.
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=1, has_touch=True, is_mobile=True
        )
        phone_page = phone.new_page()
        phone_page.errors = []
        phone_page.on("pageerror", lambda error: phone_page.errors.append(str(error)))
        sign_in(phone_page, url, "bob", PASSWORD)
        wait_for_player(phone_page)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in ("#filter-category", "#note-severity", "#copy-next-prompt"):
            assert phone_page.locator(selector).bounding_box()["height"] >= 44, selector
        phone_page.locator("#filter-severity").select_option("must_fix")
        expect(phone_page.locator("#thread .comment.top")).to_have_count(1)
        phone_page.locator("#copy-next-prompt").tap()
        expect(phone_page.locator("#next-prompt")).to_be_visible()
        phone_page.locator("#next-prompt button").tap()
        thread_of(phone_page, "Six fingers").scroll_into_view_if_needed()
        screenshot(phone_page, "notes-version-page-phone.png")
        assert page.errors == []
        assert phone_page.errors == []
