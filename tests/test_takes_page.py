"""Issue 14's takes in the browser: Alice chooses the take from the version page, by mouse,
keyboard and touch; the project page's card shows it; Bob, her mentor, recommends one.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reviews.models import Decision, ProcessingState, Version
from tests.browser import TIMEOUT_MS, new_page, screenshot, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
PHONE = {"width": 390, "height": 844}
SOURCES = {1: "testsrc2", 2: "mandelbrot", 3: "smptebars"}
GENERATIONS = {
    1: {"model": "veo-3", "seed": 7, "prompt": "she reaches out"},
    2: {"model": "kling-2.1", "seed": 42, "prompt": "she reaches out, slower"},
    3: {"model": "kling-2.1", "seed": 43, "prompt": "she reaches out, slower, closer"},
}


def ffmpeg(*arguments: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *arguments], check=True, timeout=60)


def ready_take(shot, number: int, settings, parent=None) -> Version:
    """A processed take whose proxy and poster are real files, made with lavfi."""
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot, number=number, generation=GENERATIONS[number], parent_version=parent)
    outputs = f"versions/{version.pk}/run1"
    folder = Path(settings.MEDIA_ROOT) / outputs
    folder.mkdir(parents=True)
    source = f"{SOURCES[number]}=size=640x360:rate=24"
    ffmpeg("-f", "lavfi", "-i", source, "-frames:v", "1", str(folder / "poster.jpg"))
    ffmpeg(
        *("-f", "lavfi", "-i", source, "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        *("-movflags", "+faststart", str(folder / "proxy.mp4")),
    )
    Version.objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.READY,
        processing_progress=100,
        outputs_dir=outputs,
        width=640,
        height=360,
        duration=1,
        frame_count=24,
        fps_numerator=24,
        fps_denominator=1,
        variable_frame_rate=False,
        video_codec="h264",
        pixel_format="yuv420p",
        has_audio=False,
        poster_frame=0,
    )
    return version


def decisions(shot) -> dict[int, str]:
    return dict(Version.objects.filter(shot=shot).values_list("number", "decision"))


@pytest.mark.django_db(transaction=True)
def test_a_director_chooses_the_take_from_the_version_page(
    browser, live_server, project, director, mentor, shot, settings
):
    v1 = ready_take(shot, 1, settings)
    v2 = ready_take(shot, 2, settings, parent=v1)
    v3 = ready_take(shot, 3, settings, parent=v2)
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/versions/{v1.pk}/", "alice", PASSWORD)
    expect(page.locator("#takes-menu .take-item")).to_have_count(3)  # the page's script is running

    # The take's decision sits beside its review status.
    control = page.locator("#take-control")
    expect(control.locator(".segment")).to_have_text(["Select take", "Reject"])
    control.get_by_role("button", name="Select take").click()
    expect(control.locator(".segment.active")).to_have_text("Selected take")
    assert decisions(shot) == {1: "selected", 2: "candidate", 3: "candidate"}

    # The takes menu, from the keyboard: each take's number, decision, status, model and seed.
    page.locator("#takes-button").focus()
    page.keyboard.press("Enter")
    menu = page.locator("#takes-menu")
    expect(menu).to_be_visible()
    items = menu.locator(".take-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("v3")
    expect(items.nth(0).locator(".take-generation")).to_have_text(["kling-2.1", "seed 43"])
    expect(items.nth(0)).to_contain_text("regenerated from v2")
    expect(items.nth(2)).to_contain_text("Selected take")
    expect(items.nth(2)).to_have_attribute("aria-current", "true")
    expect(items.nth(1).locator(".take-poster")).to_have_js_property("complete", True)
    screenshot(page, "takes-menu-desktop.png")
    # Up from v1 (the open take) is v2; Tab reaches its Select button.
    expect(page.locator(".take-item[aria-current='true'] .take-open")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(items.nth(1).locator(".take-open")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("data-decision", "selected")
    page.keyboard.press("Enter")
    expect(items.nth(1).locator(".decision")).to_have_text("Selected take")
    assert decisions(shot) == {1: "candidate", 2: "selected", 3: "candidate"}
    # This page's take was un-selected by it, and its control says so.
    expect(control.locator(".segment.active")).to_have_count(0)
    expect(page.locator("#version-select option").nth(1)).to_contain_text("v2 ★")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(page.locator("#takes-button")).to_be_focused()
    assert page.errors == []

    # On a phone, by touch: reject v3.
    phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    phone.set_default_timeout(TIMEOUT_MS)
    touch = phone.new_page()
    touch.errors = []
    touch.on("pageerror", lambda error: touch.errors.append(str(error)))
    sign_in(touch, f"{live_server.url}/review/versions/{v1.pk}/", "alice", PASSWORD)
    expect(touch.locator("#takes-menu .take-item")).to_have_count(3)  # the page's script is running
    touch.locator("#takes-button").tap()
    expect(touch.locator("#takes-menu")).to_be_visible()
    expect(touch.locator(".take-poster").first).to_have_js_property("complete", True)
    screenshot(touch, "takes-menu-phone.png")
    touch.locator(f".take-item[data-version-id='{v3.pk}'] [data-decision='rejected']").tap()
    expect(touch.locator(f".take-item[data-version-id='{v3.pk}'] .decision")).to_have_text("Rejected")
    assert decisions(shot)[3] == Decision.REJECTED
    assert touch.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu_box = touch.locator("#takes-menu").bounding_box()
    assert menu_box["x"] >= 0
    assert menu_box["x"] + menu_box["width"] <= PHONE["width"]
    assert touch.errors == []
    phone.close()

    # The project page: the card shows the chosen take, its poster and its status.
    page.goto(f"{live_server.url}/review/projects/{project.pk}/")
    card = page.locator(f".shot-card[data-shot-id='{shot.pk}']")
    expect(card.locator(".take-badge")).to_have_text("Selected take")
    expect(card.locator(".version-badge")).to_have_text("v2")
    expect(card.locator(".chosen-take")).to_have_text("take v2")
    expect(card.locator(".shot-link")).to_have_attribute("href", f"/review/versions/{v2.pk}/")
    expect(card.locator(f".version-row[data-version-id='{v3.pk}']")).to_contain_text("rejected")
    screenshot(page, "takes-project.png")
    assert page.errors == []

    # Bob, the mentor, recommends a take but cannot decide.
    bob = new_page(browser)
    sign_in(bob, f"{live_server.url}/review/versions/{v3.pk}/", "bob", PASSWORD)
    expect(bob.locator("#takes-menu .take-item")).to_have_count(3)
    bob_control = bob.locator("#take-control")
    expect(bob_control.locator(".segment")).to_have_count(0)
    expect(bob_control.locator(".pill")).to_have_text("Rejected")
    bob_control.get_by_role("button", name="Recommend").click()
    expect(bob_control.locator(".recommend")).to_have_attribute("aria-pressed", "true")
    assert list(Version.objects.get(pk=v3.pk).recommendations.values_list("user__username", flat=True)) == [
        "bob"
    ]
    bob.locator("#takes-button").click()
    expect(bob.locator(f".take-item[data-version-id='{v3.pk}']")).to_contain_text("recommended by Bob")
    expect(bob.locator(".take-decide")).to_have_count(0)
    assert bob.errors == []


@pytest.mark.django_db(transaction=True)
def test_a_comfyui_export_shows_what_its_file_says(browser, live_server, project, director, shot, settings):
    take = ready_take(shot, 1, settings)
    Version.objects.filter(pk=take.pk).update(
        generation={},
        provenance={
            "c2pa": {
                "state": "untrusted",
                "claim_generator": "ComfyUI 0.3",
                "signer": {"common_name": "Studio"},
            },
            "comfyui": {
                "positive_prompt": "open on a wide sky",
                "negative_prompt": "blurry",
                "seed": 987654321,
                "sampler_name": "uni_pc",
                "steps": 30,
                "models": ["wan2.1_t2v_14B.safetensors"],
                "loras": [],
            },
            "aigc": {"label": "1"},
            "ai_generated": True,
            "proxy": {"credentialed": False},
        },
    )
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/versions/{take.pk}/", "alice", PASSWORD)
    info = page.locator("#version-info")
    expect(info.locator(".generation").first).to_contain_text("wan2.1_t2v_14B.safetensors (from the file)")
    expect(info.locator(".generation").first).to_contain_text("open on a wide sky (from the file)")
    page.locator("#provenance summary").click()
    provenance = page.locator("#provenance")
    expect(provenance).to_contain_text("signed, by a signer not on the trust list · signed by Studio")
    expect(provenance).to_contain_text("yes (AIGC label 1)")
    expect(provenance).to_contain_text("uni_pc · 30 steps")
    expect(provenance).to_contain_text("blurry")
    page.locator("#takes-button").click()
    generation = page.locator("#takes-menu .take-generation")
    expect(generation).to_have_text(["wan2.1_t2v_14B.safetensors", "seed 987654321"])
    expect(generation.first).to_have_attribute("title", "wan2.1_t2v_14B.safetensors")
    # The seed is what a director generates again from: never cut, at desktop width either.
    seed = page.locator("#takes-menu .take-seed")
    assert seed.evaluate("node => node.scrollWidth <= node.clientWidth"), "the seed is cut off"
    page.keyboard.press("Escape")
    # Redrawn since (the takes menu reloads the version): still open.
    expect(provenance).to_have_attribute("open", "")
    screenshot(page, "version-provenance.png")
    assert page.errors == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_take_is_not_offered_as_the_choice(
    browser, live_server, project, director, mentor, shot, settings
):
    from tests.factories import VersionFactory

    watched = ready_take(shot, 1, settings)
    VersionFactory(shot=shot, number=2, processing_state=ProcessingState.FAILED, processing_error="cut short")
    for user, offered in ((director, ["Reject"]), (mentor, [])):
        page = new_page(browser)
        sign_in(page, f"{live_server.url}/review/versions/{watched.pk}/", user.username, PASSWORD)
        page.locator("#takes-button").click()
        failed = page.locator("#takes-menu .take-item").nth(0)
        expect(failed).to_contain_text("v2")
        expect(failed.locator(".take-decide")).to_have_text(offered)
        assert page.errors == []
        page.context.close()
