"""The projects list and the project page, end to end in headless Chromium.

Alice directs: she returns to a project where Bob, her mentor, asked for changes on an
earlier take, and she sets up a new project in the browser (people, shots, their order, clips
dropped on a shot). Dave only watches.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the project page as PNG.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import clips
from reviews import services
from reviews.models import ProcessingState, ReviewStatus, Shot, Version
from tests.browser import new_page, screenshot, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
PHONE = {"width": 390, "height": 844}


def ready_version(shot, number: int, *, width: int, height: int, source: str, settings) -> Version:
    """A processed version whose poster is a real JPEG of the given shape."""
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot, number=number, processing_state=ProcessingState.READY)
    outputs = f"versions/{version.pk}/run1"
    poster = Path(settings.MEDIA_ROOT) / outputs / "poster.jpg"
    poster.parent.mkdir(parents=True)
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi"),
            *("-i", f"{source}=size={width}x{height}", "-frames:v", "1", str(poster)),
        ],
        check=True,
        timeout=60,
    )
    Version.objects.filter(pk=version.pk).update(
        outputs_dir=outputs, width=width, height=height, duration=2, frame_count=48
    )
    return version


def boxes(page, selector: str) -> list[dict]:
    return [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]


@pytest.mark.django_db(transaction=True)
def test_a_returning_director_sees_every_versions_conversation_live(
    browser, live_server, project, director, mentor, settings
):
    from tests.factories import ShotFactory, VersionFactory

    touch = ShotFactory(project=project, code="SH010", title="The touch", order=0)
    first = ready_version(touch, 1, width=360, height=640, source="testsrc2", settings=settings)
    services.comment_create(version=first, author=mentor, body="@alice her hand should hesitate", frame=12)
    services.version_update(version=first, by=mentor, review_status=ReviewStatus.CHANGES_REQUESTED)
    ready_version(touch, 2, width=640, height=360, source="testsrc2", settings=settings)
    reach = ShotFactory(project=project, code="SH020", title="The reach", order=1)
    ready_version(reach, 1, width=640, height=360, source="mandelbrot", settings=settings)
    glass = ShotFactory(project=project, code="SH030", title="Through the glass", order=2)
    VersionFactory(shot=ShotFactory(), number=1)  # another project's upload, queued first
    waiting = VersionFactory(shot=glass, number=1)
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/projects/{project.pk}/", "alice", PASSWORD)

    # The mentor's verdict on v1 is not hidden by the silent re-upload of v2.
    card = page.locator(f".shot-card[data-shot-id='{touch.pk}']")
    expect(card.locator(".shot-link")).to_have_attribute("href", f"/review/versions/{first.pk}/")
    expect(card.locator(".version-badge")).to_have_text("v1")
    expect(card.locator(".pill")).to_have_text("Changes requested")
    expect(card.locator(".notes")).to_have_text("1 open note")
    expect(card.locator(".version-row .version-number")).to_have_text(["v2", "v1"])
    expect(card.locator(f".version-row[data-version-id='{first.pk}']")).to_contain_text(
        "Changes requested · 1 open"
    )
    expect(card.locator(f".version-row[data-version-id='{first.pk}'] .unread-dot")).to_have_count(1)
    expect(page.locator("[data-fact='changes'] dd")).to_have_text("1")
    expect(page.locator("[data-fact='versions'] dd")).to_have_text("4")

    # A clip waiting for a worker says so, and how many are before it.
    glass_card = page.locator(f".shot-card[data-shot-id='{glass.pk}']")
    expect(glass_card.locator(".processing-badge")).to_have_text("Waiting for a worker (1 ahead)")

    # Posters of any shape sit in cards of one height, each in a 16:9 box.
    expect(card.locator(".poster img")).to_have_js_property("complete", True)
    posters = boxes(page, ".shot-card .poster")
    assert len({round(box["height"]) for box in posters}) == 1, posters
    for poster in posters:
        assert abs(poster["width"] / poster["height"] - 16 / 9) < 0.02, poster
    screenshot(page, "project-page.png")

    # The projects list counts the shot as one to change, and as one with news for Alice.
    page.goto(f"{live_server.url}/review/")
    project_card = page.locator(".project-card", has_text="The Hesitation")
    expect(project_card.locator(".project-meta")).to_contain_text("1 to change")
    expect(project_card.locator(".unread-label")).to_have_text("1 with new notes")
    page.goto(f"{live_server.url}/review/projects/{project.pk}/")
    expect(glass_card.locator(".processing-badge")).to_have_text("Waiting for a worker (1 ahead)")

    # Live: the render starts (its first attempt, as pipeline.start_render counts it) and a new
    # version arrives, with no reload.
    Version.objects.filter(pk=waiting.pk).update(
        processing_state=ProcessingState.PROCESSING, processing_progress=40, processing_attempts=1
    )
    VersionFactory(shot=reach, number=2)
    expect(glass_card.locator(".processing-badge")).to_have_text("Processing · 40%", timeout=10_000)
    reach_card = page.locator(f".shot-card[data-shot-id='{reach.pk}']")
    expect(reach_card.locator(".version-row .version-number")).to_have_text(["v2", "v1"], timeout=10_000)

    # Opening v1 reads it: back on the project page it is no longer unread.
    card.locator(".shot-link").click()
    expect(page).to_have_url(f"{live_server.url}/review/versions/{first.pk}/")
    page.goto(f"{live_server.url}/review/projects/{project.pk}/")
    expect(card.locator(f".version-row[data-version-id='{first.pk}']")).to_be_visible()
    expect(card.locator(f".version-row[data-version-id='{first.pk}'] .unread-dot")).to_have_count(0)

    # A phone: one column, nothing to scroll sideways, every control big enough for a finger.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate(
        """[...document.querySelectorAll('#project-page a, #project-page button, #project-page input,'
            + ' #project-page select, #project-page summary')]
           .filter((el) => el.offsetParent && !el.closest('.visually-hidden'))
           // A checkbox is tapped through its label: the label is the target that must be big enough.
           .map((el) => (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) || el)
           .filter((el) => el.getBoundingClientRect().height < 44)
           .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert small == [], small
    screenshot(page, "project-page-phone.png")
    assert page.errors == []


def _files_as_drop(page, paths: list[Path]):
    """A DataTransfer holding the files, as the browser builds it for a drop from the desktop."""
    files = [{"name": path.name, "data": base64.b64encode(path.read_bytes()).decode()} for path in paths]
    return page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name));
            }
            return transfer;
        }""",
        files,
    )


@pytest.mark.django_db(transaction=True)
def test_a_director_sets_up_a_project_and_drops_clips_on_a_shot(
    browser, live_server, celery_worker, mentor, tmp_path
):
    from tests.factories import UserFactory

    UserFactory(username="alice")
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/", "alice", PASSWORD)

    page.get_by_label("Project name").fill("The Hesitation")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("#project-name")).to_have_text("The Hesitation")
    project_id = int(page.locator("#project-page").get_attribute("data-project-id"))

    page.locator("#members summary").click()
    page.get_by_label("Username").fill("BOB")
    page.get_by_role("form", name="Add a person").get_by_label("Role").select_option("mentor")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#members .member")).to_contain_text(["Alice", "Bob"])

    for code, title in (("SH010", "The touch"), ("SH020", "The reach")):
        page.get_by_label("Shot code").fill(code)
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_role("button", name="Add shot").click()
        expect(page.locator(".shot-card .shot-code").last).to_have_text(code)

    # Reorder from the keyboard: SH020 moves before SH010, and the focus stays on it.
    page.get_by_role("button", name="Move SH020 earlier").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".shot-card .shot-code")).to_have_text(["SH020", "SH010"])
    assert list(Shot.objects.filter(project_id=project_id).values_list("code", flat=True)) == [
        "SH020",
        "SH010",
    ]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move SH020 earlier"

    # Three files dropped at once on SH010: two clips become v1 and v2, the text file is refused.
    touch = Shot.objects.get(project_id=project_id, code="SH010")
    card = page.locator(f".shot-card[data-shot-id='{touch.pk}']")
    card.locator("summary", has_text="Generation metadata").click()
    card.get_by_label("Model").fill("kling-2.1")
    card.get_by_label("Seed").fill("42")
    sources = tmp_path / "sources"
    sources.mkdir()
    take1 = clips.make_video(sources / "take1.mp4", seconds=2)
    notes = clips.make_clip(sources, "text")
    take2 = clips.make_clip(sources, "truncated")
    card.dispatch_event("drop", {"dataTransfer": _files_as_drop(page, [take1, notes, take2])})

    expect(card.locator(".upload-row.refused")).to_contain_text(
        "notes.txtThe file is not a video", timeout=20_000
    )
    expect(card.locator(".version-row .version-number")).to_have_text(["v2", "v1"], timeout=20_000)
    assert [
        (v.number, v.original_filename, v.generation)
        for v in Version.objects.filter(shot=touch).order_by("number")
    ] == [
        (1, "take1.mp4", {"model": "kling-2.1", "seed": 42}),
        (2, "truncated.mp4", {"model": "kling-2.1", "seed": 42}),
    ]

    # The page follows the worker without a reload: v1 gets its poster, the cut-short v2 fails
    # with its reason, and the director may delete it.
    failed = card.locator(".version-row.state-failed")
    expect(failed).to_contain_text("Failed", timeout=60_000)
    expect(card.locator(".version-row.state-ready")).to_contain_text("v1Pending", timeout=60_000)
    page.once("dialog", lambda dialog: dialog.accept())
    failed.get_by_role("button", name="Delete failed v2").click()
    expect(card.locator(".version-row")).to_have_count(0)
    expect(card.locator(".poster img")).to_be_visible()
    assert list(Version.objects.filter(shot=touch).values_list("number", flat=True)) == [1]
    assert page.errors == []
