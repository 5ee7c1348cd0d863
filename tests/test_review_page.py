"""The review pages, end to end in headless Chromium against a live server and the real worker.

Alice directs and uploads the clip; Bob, her mentor, reviews it in his browser: steps to
a frame, draws on it, writes a note that mentions Alice, marks a range for another, finds
his notes again after a reload, replies and resolves. Dave, a viewer, reads without a
comment box. Eve, who is not on the project, cannot open its pages.

Set REVIEWSVC_SCREENSHOT_DIR (e.g. docs/screenshots) to save the pages as PNG.
"""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import clips, media
from reviews.models import Comment, ProcessingState, Version
from reviews.timecode import frame_to_timecode, nominal_rate, seconds_to_frame
from tests.browser import (
    assert_canvas_covers_picture,
    drag,
    new_page,
    position,
    screenshot,
    sign_in,
    thread_of,
    wait_for_player,
)
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
RATE = Fraction(24)  # the clip's
SCREENSHOT_DIR = os.getenv("REVIEWSVC_SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.make_video(tmp_path_factory.mktemp("clips") / "touch_v1.mp4", seconds=4, rate="24")


def upload(director, shot, path: Path, **fields) -> int:
    return media.upload(client_for(director), shot.pk, path, **fields)["id"]


def wait_until_ready(director, version_id: int) -> None:
    version, _ = media.wait_until_processed(client_for(director), version_id, timeout=60)
    assert version["processing"]["state"] == "ready", version["processing"]["error"]


def dress_the_project(director, project, directory: Path) -> list[int]:
    """More shots for the screenshots, with pictures a film person would recognise as such."""
    from tests.factories import ShotFactory

    scenery = {
        "SH020": (
            "The reach",
            "gradients=size=640x360:rate=24:speed=0.03:c0=0x1b2a49:c1=0xe07a5f:c2=0x3d405b:c3=0xf2cc8f:nb_colors=4",
        ),
        "SH030": ("Through the glass", "mandelbrot=size=640x360:rate=24"),
    }
    version_ids = []
    for order, (code, (title, source)) in enumerate(scenery.items(), start=2):
        path = directory / f"{code}.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source),
                *("-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
            ],
            check=True,
            timeout=60,
        )
        shot = ShotFactory(project=project, code=code, title=title, order=order)
        version_ids.append(upload(director, shot, path))
    ShotFactory(project=project, code="SH040", title="Aftermath", order=4)
    return version_ids


# --- who may open the pages --------------------------------------------------


@pytest.mark.django_db
def test_it_sends_a_visitor_who_is_not_signed_in_to_the_login_page(client, shot):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    for url in ("/review/", f"/review/projects/{shot.project_id}/", f"/review/versions/{version.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.django_db
def test_it_hides_a_project_and_its_versions_from_someone_outside_it(client, outsider, shot):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    client.force_login(outsider)
    for url in (f"/review/projects/{shot.project_id}/", f"/review/versions/{version.pk}/"):
        response = client.get(url)
        assert response.status_code == 404
        assert b"Back to your projects" in response.content
    assert client.get("/review/versions/999999/").status_code == 404


@pytest.mark.django_db
def test_it_gives_a_member_and_staff_the_page_shell_with_its_ids(client, viewer, staff, shot):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot)
    for user in (viewer, staff):
        client.force_login(user)
        response = client.get(f"/review/versions/{version.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-version-id="{version.pk}"' in html
        assert f'data-shot-id="{shot.pk}"' in html
        assert f'data-project-id="{shot.project_id}"' in html
        assert 'type="module"' in html
        project_page = client.get(f"/review/projects/{shot.project_id}/")
        assert f'data-project-id="{shot.project_id}"' in project_page.content.decode()


@pytest.mark.django_db
def test_it_signs_out_with_a_post_only(client, mentor):
    client.force_login(mentor)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/review/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/review/").status_code == 302


# --- in the browser --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_mentor_reviews_a_clip_frame_by_frame(
    browser, live_server, celery_worker, director, mentor, viewer, shot, clip, tmp_path
):
    extra_versions = dress_the_project(director, shot.project, tmp_path) if SCREENSHOT_DIR else []
    version_id = upload(
        director,
        shot,
        clip,
        note="First pass: the reach is too quick.",
        generation='{"model": "kling-2.1", "prompt": "her hand reaches out, hesitates, then touches the glass", "seed": 42}',
    )
    url = f"{live_server.url}/review/versions/{version_id}/"
    page = new_page(browser)
    sign_in(page, url, "bob", PASSWORD)
    wait_until_ready(director, version_id)
    wait_for_player(page)
    assert position(page, RATE) == (0, "00:00:00:00", 0, 0)
    # The picture is frame 0 too: the poster, a frame a third of the way in, is gone once loaded.
    expect(page.locator("#video")).not_to_have_attribute("poster", re.compile(".+"))

    # Two seconds forward, one frame on and one back: frame 48.
    for key in ("Shift+ArrowRight", "Shift+ArrowRight", "ArrowRight", "ArrowLeft"):
        page.keyboard.press(key)
    assert position(page, RATE) == (48, "00:00:02:00", 48, 48)

    # Draw on the paused frame, then write the note, mentioning Alice from the list.
    page.locator("#tool-pen").click()
    drag(page, "#sketch", [(0.30, 0.40), (0.40, 0.35), (0.50, 0.42), (0.58, 0.55)])
    page.locator("#tool-arrow").click()
    page.locator(".swatch[data-color='#ffd60a']").click()
    drag(page, "#sketch", [(0.80, 0.80), (0.62, 0.60)])
    expect(page.locator("#drawing-note")).to_be_visible()
    body = page.locator("#comment-body")
    body.click()
    body.press_sequentially("@al")
    expect(page.locator(".mention-list [data-username='alice']")).to_be_visible()
    body.press("Enter")
    body.press_sequentially("her hand should hesitate here")
    page.locator("#post-comment").click()
    expect(thread_of(page, "her hand should hesitate")).to_be_visible()

    # A range from 00:00:01:00 to 00:00:01:12, marked with I and O.
    for key in ("Home", "Shift+ArrowRight", "i", *["ArrowRight"] * 12, "o"):
        page.keyboard.press(key)
    expect(page.locator("#anchor")).to_have_text("00:00:01:00 → 00:00:01:12")
    body.click()
    body.fill("The light flickers through the whole move")
    body.press("Control+Enter")
    expect(thread_of(page, "The light flickers")).to_be_visible()

    comment = Comment.objects.get(body__contains="hesitate")
    assert (comment.body, comment.frame, comment.frame_end) == (
        "@alice her hand should hesitate here",
        48,
        None,
    )
    assert [user.username for user in comment.mentions.all()] == ["alice"]
    shapes = comment.annotation["shapes"]
    assert [(shape["type"], shape["color"]) for shape in shapes] == [
        ("stroke", "#ff3b30"),
        ("arrow", "#ffd60a"),
    ]
    assert len(shapes[0]["points"]) > 2
    assert all(0.25 < x < 0.65 and 0.3 < y < 0.6 for x, y in shapes[0]["points"])
    assert shapes[1]["points"] == [[0.8, 0.8], [0.62, 0.6]]
    ranged = Comment.objects.get(body__contains="flickers")
    assert (ranged.frame, ranged.frame_end, ranged.annotation) == (24, 36, None)

    # After a reload the notes are markers on the timeline; one click lands on the note's frame.
    page.reload()
    wait_for_player(page)
    markers = page.locator("#timeline-markers .marker")
    expect(markers).to_have_count(2)
    expect(page.locator(".marker.marker-range")).to_have_attribute("data-frame", "24")
    assert position(page, RATE).shown == 0
    expect(page.locator("#sketch")).to_have_attribute("data-shapes", "0")
    # L plays, K stops on a whole frame, J plays backwards: display and video agree throughout.
    page.keyboard.press("l")
    page.wait_for_function("() => Number(document.querySelector('#frame-number').textContent) >= 6")
    page.keyboard.press("k")
    played_to = position(page, RATE)
    assert played_to.shown == played_to.video == played_to.picture >= 6
    page.keyboard.press("j")
    page.wait_for_function(
        f"() => Number(document.querySelector('#frame-number').textContent) < {played_to.shown}"
    )
    page.keyboard.press("k")
    back_to = position(page, RATE)
    assert back_to.shown == back_to.video == back_to.picture < played_to.shown

    page.locator(f".marker[data-comment-id='{comment.pk}']").click()
    assert position(page, RATE) == (48, "00:00:02:00", 48, 48)
    expect(thread_of(page, "hesitate")).to_have_class("comment top selected")
    expect(page.locator("#sketch")).to_have_attribute("data-shapes", "2")

    # Clicking a note in the thread seeks to it too.
    thread_of(page, "flickers").locator(".comment-body").click()
    assert position(page, RATE).shown == 24
    thread_of(page, "hesitate").locator(".comment-body").click()
    assert position(page, RATE).shown == 48

    # Reply in the thread, resolve the other note, set the status.
    hesitate = thread_of(page, "hesitate")
    # Bob wrote it, so the server's my_actions let him edit and delete it too.
    expect(hesitate.locator(":scope > .comment-card [data-action='edit']")).to_have_count(1)
    expect(hesitate.locator(":scope > .comment-card [data-action='delete']")).to_have_count(1)
    hesitate.locator("[data-action='reply']").first.click()
    reply_box = hesitate.locator(".inline-form textarea")
    reply_box.fill("Agreed: hold the hand for six frames before the touch.")
    hesitate.locator(".inline-form [type='submit']").click()
    expect(hesitate.locator(".replies .comment-body")).to_have_text(
        "Agreed: hold the hand for six frames before the touch."
    )
    assert comment.children.get().author == mentor

    flickers = thread_of(page, "flickers")
    flickers.locator("[data-action='resolve']").click()
    expect(flickers.locator(".resolved-badge")).to_contain_text("Resolved by Bob")
    ranged.refresh_from_db()
    assert ranged.resolved
    assert ranged.resolved_by == mentor

    # Bob rewords his reply, and takes back a general note he wrote by mistake.
    reply = hesitate.locator(".replies .comment")
    reply.locator("[data-action='edit']").click()
    reply.locator(".inline-form textarea").fill("Agreed: hold the hand for eight frames.")
    reply.locator(".inline-form [type='submit']").click()
    expect(reply.locator(".comment-body")).to_have_text("Agreed: hold the hand for eight frames.")
    assert comment.children.get().body == "Agreed: hold the hand for eight frames."
    page.locator("#anchor").click()
    body.fill("Wrong clip, sorry")
    body.press("Control+Enter")
    general = thread_of(page, "Wrong clip")
    expect(general.locator(".chip")).to_have_text("General")
    expect(page.locator(".comment.top").first).to_contain_text("Wrong clip")
    assert Comment.objects.get(body="Wrong clip, sorry").frame is None
    general.locator("[data-action='delete']").click()
    general.locator("[data-action='confirm-delete']").click()
    expect(page.locator(".comment.top")).to_have_count(2)
    assert not Comment.objects.filter(body="Wrong clip, sorry").exists()

    page.locator(".segment[data-status='changes_requested']").click()
    expect(page.locator(".segment[data-status='changes_requested']")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Version.objects.get(pk=version_id).review_status == "changes_requested"

    page.locator(f".marker[data-comment-id='{comment.pk}']").click()
    assert position(page, RATE).shown == 48
    expect(page.locator("#toast")).to_be_hidden()
    # Hover late in the clip: the filmstrip shows that moment without covering the drawing.
    track = page.locator("#timeline-track").bounding_box()
    page.mouse.move(track["x"] + 0.8 * track["width"], track["y"] + track["height"] / 2)
    hovered = int(0.8 * 96)  # 4 s at 24 fps
    strip = Version.objects.get(pk=version_id).filmstrip
    expect(page.locator("#timeline-preview-tc")).to_have_text(frame_to_timecode(hovered, RATE))
    last_tile_before = max(
        tile
        for tile in range(strip["columns"] * strip["rows"])
        if tile * strip["interval"] <= hovered / 24 + 1e-9
    )
    expect(page.locator("#timeline-preview")).to_have_attribute("data-tile", str(last_tile_before))
    screenshot(page, "version-page.png")

    # At another window size the drawing still sits on the picture, not on the letterbox.
    page.set_viewport_size({"width": 1000, "height": 820})
    assert_canvas_covers_picture(page, width=320, height=180)
    expect(page.locator("#sketch")).to_have_attribute("data-shapes", "2")
    # On a phone the page fits its width: nothing to scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#crumb-shot")).to_be_visible()

    for extra in extra_versions:
        wait_until_ready(director, extra)
    page.goto(f"{live_server.url}/review/projects/{shot.project_id}/")
    card = page.locator(f".shot-card[data-shot-id='{shot.pk}']")
    expect(card.locator(".version-badge")).to_have_text("v1")
    expect(card.locator(".pill")).to_have_text("Changes requested")
    open_notes = Comment.objects.filter(version_id=version_id, parent=None, resolved=False).count()
    assert open_notes  # the card says how many, so the test needs some
    expect(card.locator(".notes")).to_have_text(f"{open_notes} open note{'s' if open_notes > 1 else ''}")
    expect(card.locator(".poster img")).to_have_js_property("complete", True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/review/")
    expect(page.locator(".project-card")).to_contain_text("The Hesitation")
    expect(page.locator(".project-card .role-badge")).to_have_text("Mentor")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # still a phone
    assert page.errors == []

    # Dave only watches: the notes, but no box to write in and nothing to change.
    second_id = upload(director, shot, clip, note="Second pass: a longer hesitation.")
    dave = new_page(browser)
    sign_in(dave, url, "dave", PASSWORD)
    expect(dave.locator("#thread .comment.top")).to_have_count(2)
    expect(dave.locator("#composer")).to_have_count(0)
    expect(
        dave.locator("[data-action='reply'], [data-action='resolve'], [data-action='edit'], .segment")
    ).to_have_count(0)
    expect(dave.locator("#status-control .pill")).to_have_text("Changes requested")

    # The version menu leads to the shot's other versions.
    expect(dave.locator("#version-select option")).to_have_text(
        ["v1 · Changes requested", re.compile(r"^v2 · ")]
    )
    dave.locator("#version-select").select_option(str(second_id))
    expect(dave).to_have_url(f"{live_server.url}/review/versions/{second_id}/")
    wait_until_ready(director, second_id)
    wait_for_player(dave)
    expect(dave.locator("#version-info")).to_contain_text("Second pass: a longer hesitation.")
    # v1's open notes are carried onto v2 (reviews.carry_over), marked as from v1.
    expect(dave.locator("#thread .comment.top")).to_have_count(open_notes)
    expect(dave.locator("#thread .comment.top .carried-badge")).to_have_text(["from v1"] * open_notes)
    assert dave.errors == []


@pytest.mark.django_db(transaction=True)
def test_the_version_page_follows_processing_until_the_clip_fails(browser, live_server, mentor, shot):
    from tests.factories import CommentFactory, VersionFactory

    # A shot with no title and a version with no note: nothing shows for them, not "null".
    shot.title = ""
    shot.save()
    # Rendering: its render has started (the first attempt), so it is no longer waiting.
    version = VersionFactory(
        shot=shot,
        note="",
        processing_state=ProcessingState.PROCESSING,
        processing_progress=40,
        processing_attempts=1,
    )
    CommentFactory(version=version, author=mentor, body="Waiting for the proxy", frame=None)
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/versions/{version.pk}/", "bob", PASSWORD)
    expect(page.locator("#processing-state")).to_have_text("Processing · 40%")
    expect(page.locator("#crumb-shot")).to_have_text(shot.code)
    expect(page.locator("#version-info")).to_contain_text(f"Version {version.number}")
    assert "null" not in page.locator("#version-info").inner_text()
    expect(thread_of(page, "Waiting for the proxy")).to_be_visible()
    expect(page.locator("#anchor")).to_have_text("General note")

    Version.objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.FAILED, processing_error="The file is an audio track, not a video."
    )
    expect(page.locator("#processing-state")).to_have_text("This clip could not be processed")
    expect(page.locator("#processing-detail")).to_have_text("The file is an audio track, not a video.")
    expect(page.locator("#review")).to_have_attribute("data-state", "failed")
    assert page.errors == []


def test_the_page_counts_frames_and_timecodes_as_the_server_does(browser, live_server):
    rates = [
        Fraction(24),
        Fraction(24000, 1001),
        Fraction(30000, 1001),
        Fraction(25, 2),
        Fraction(8),
        Fraction(60000, 1001),
    ]
    frames = [0, 1, 11, 12, 23, 24, 29, 30, 59, 1439, 86399, 123456]
    cases = [
        {"numerator": rate.numerator, "denominator": rate.denominator, "frame": frame, "seconds": seconds}
        for rate in rates
        for frame in frames
        # a frame's start, its middle (where the page seeks), and a hair before its start
        for seconds in (
            float(frame / rate),
            float((frame + Fraction(1, 2)) / rate),
            float(frame / rate) - 1e-4,
        )
        if seconds >= 0
    ]
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    in_the_page = page.evaluate(
        """async (cases) => {
            const timecode = await import("/static/reviews/js/timecode.js");
            return cases.map(({numerator, denominator, frame, seconds}) => {
                const rate = timecode.parseRate(`${numerator}/${denominator}`);
                return [
                    timecode.nominalRate(rate),
                    timecode.frameToTimecode(frame, rate),
                    timecode.secondsToFrame(seconds, rate),
                    timecode.secondsToFrame(timecode.frameToSeekTime(frame, rate), rate),
                ];
            });
        }""",
        cases,
    )
    on_the_server = [
        [
            nominal_rate(rate := Fraction(case["numerator"], case["denominator"])),
            frame_to_timecode(case["frame"], rate),
            seconds_to_frame(case["seconds"], rate),
            case["frame"],
        ]
        for case in cases
    ]
    assert in_the_page == on_the_server


@pytest.mark.django_db(transaction=True)
def test_the_page_highlights_the_mentions_the_api_reports_and_shows_deleted_notes(
    browser, live_server, project, mentor, reviewer, shot
):
    from reviews import services
    from tests.conftest import member
    from tests.factories import VersionFactory

    member(project, "józef", "viewer")
    member(project, "zoë.m", "viewer")
    version = VersionFactory(shot=shot, processing_state=ProcessingState.PROCESSING)
    note = services.comment_create(
        version=version, author=mentor, body="@józef and @zoë.m: her hand, then @bob.", frame=None
    )
    gone = services.comment_create(version=version, author=reviewer, body="too dark", frame=None)
    services.comment_create(version=version, author=mentor, body="brighter in v2", parent=gone)
    services.comment_delete(comment=gone, by=reviewer)
    assert sorted(user.username for user in note.mentions.all()) == ["bob", "józef", "zoë.m"]

    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/versions/{version.pk}/", "carol", PASSWORD)

    mentions = thread_of(page, "her hand").locator(".comment-body .mention")
    expect(mentions).to_have_text(["@józef", "@zoë.m", "@bob"])
    deleted = page.locator(".comment.top.deleted")
    expect(deleted.locator(":scope > .comment-card .comment-body")).to_have_text("This note was deleted")
    expect(deleted.locator(".comment.reply .comment-body")).to_have_text("brighter in v2")
    expect(deleted.locator(":scope > .comment-card [data-action='edit']")).to_have_count(0)
    assert page.errors == []


def test_the_page_reads_mentions_as_the_server_does(browser, live_server):
    import sys
    import unicodedata

    from reviews.services.comments import _MENTION

    # Every character Python's Unicode knows, in and around a name; newer characters the
    # browser knows and Python does not yet are no disagreement about our usernames.
    assigned = "".join(
        chr(code)
        for code in range(0x21, sys.maxunicode + 1)
        if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co")
    )
    bodies = [
        "@józef look",
        "ask @Łukasz, then @王芳.",
        "mail bob@example.com or @bob…",
        "@@bob @.bob @bob. @bob.. @ann-marie+1",
        "x@bob _@bob 1@bob ü@bob",
        "@नमस्ते @café @e\u0301 @ß",
        *(f"a{char}@b{char}c @{char}" for char in assigned),
    ]
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    in_the_page = page.evaluate(
        """async (bodies) => {
            const mentions = await import("/static/reviews/js/mentions.js");
            return bodies.map((body) => mentions.mentionedNames(body).map((found) => found.name));
        }""",
        bodies,
    )
    on_the_server = [[name.rstrip(".") for name in _MENTION.findall(body)] for body in bodies]
    disagreements = [
        (body, page_names, server_names)
        for body, page_names, server_names in zip(bodies, in_the_page, on_the_server, strict=True)
        if page_names != server_names
    ]
    assert disagreements == []


@pytest.mark.django_db(transaction=True)
def test_every_page_runs_under_a_strict_content_security_policy(browser, live_server, director, shot, staff):
    from tests.factories import VersionFactory

    version = VersionFactory(shot=shot, processing_state=ProcessingState.PROCESSING)
    page = new_page(browser)
    sign_in(page, f"{live_server.url}/review/", "alice", PASSWORD)
    policy = page.request.get(f"{live_server.url}/review/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe" not in policy

    expect(page.locator(".project-card, a[href*='/review/projects/']").first).to_be_visible()
    page.goto(f"{live_server.url}/review/projects/{shot.project_id}/")
    # The shot's card (the director's panels name the shot too, in folded lists).
    expect(page.get_by_role("link", name=re.compile(shot.code)).first).to_be_visible()
    page.goto(f"{live_server.url}/review/versions/{version.pk}/")
    expect(page.locator("#processing-state")).to_be_visible()
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    # A script injected into a page is refused, and reported.
    page.goto(f"{live_server.url}/review/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.injected = 1\">')"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in error for error in page.errors)
    page.errors.clear()
    # DRF's browsable API, allowed its template's inline styles and nothing more.
    page.goto(f"{live_server.url}/api/v1/projects/")
    expect(page.locator(".response-info")).to_be_visible()
    browsable = page.request.get(f"{live_server.url}/api/v1/projects/", headers={"Accept": "text/html"})
    assert "script-src 'self'" in browsable.headers["content-security-policy"]

    login = new_page(browser)
    login.goto(f"{live_server.url}/accounts/login/")
    login.goto(f"{live_server.url}/admin/login/")
    expect(login.locator("#login-form")).to_be_visible()
    assert page.errors == []
    assert login.errors == []
