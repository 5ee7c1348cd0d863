"""Live pages in Chromium against the real ASGI server, and progress from a real worker (docs/live.md).

The pages are served by gunicorn with the repository's uvicorn worker (harness Gunicorn):
the event streams need the ASGI server, which pytest-django's live server is not.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from harness import clips
from reviews.models import Membership, ProcessingState, Version
from tests.browser import new_page, screenshot, sign_in, thread_of

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(asgi_server):
    return asgi_server


def token_for(user) -> dict[str, str]:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def open_as(browser, user, url: str):
    """A page signed in as user through the login form.

    The password is hashed with a hasher the server knows (the tests' own is MD5, which the
    server does not accept), with few iterations so signing in stays quick.
    """
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    type(user).objects.filter(pk=user.pk).update(
        password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    )
    page = new_page(browser)
    sign_in(page, url, user.username, PASSWORD)
    return page


def wait_live(page) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "on")


@pytest.mark.browser
def test_the_directors_page_shows_the_mentors_note_within_two_seconds_without_reload(
    browser, server, project, shot, director, mentor, reviewer, outsider
):
    from reviews import live
    from tests.factories import VersionFactory

    # Its render has started (the first attempt), so it is no longer waiting for a worker.
    version = VersionFactory(
        shot=shot,
        processing_state=ProcessingState.PROCESSING,
        processing_progress=12,
        processing_attempts=1,
        uploaded_by=director,
    )
    alice = open_as(browser, director, f"{server.url}/review/versions/{version.pk}/")
    wait_live(alice)
    expect(alice.locator("#processing-state")).to_have_text("Processing · 12%")

    # Bob posts through the API, as his own page would.
    posted = requests.post(
        f"{server.url}/api/v1/versions/{version.pk}/comments/",
        json={"body": "Let her hand hesitate before the touch", "frame": None},
        headers=token_for(mentor),
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    expect(thread_of(alice, "hesitate before the touch")).to_be_visible(timeout=2000)

    # The worker tells Alice of the note on her version (done here as it would); the bell hears
    # of it after the next live event, without waiting for its minute's poll.
    from reviews.models import Event
    from reviews.notifications.services import notifications_create

    expect(alice.locator("#bell-count")).to_be_hidden()
    notifications_create(event=Event.objects.filter(kind="comment.created").latest("id"))

    # His reply and its resolution arrive too.
    note_id = posted.json()["id"]
    reply = requests.post(
        f"{server.url}/api/v1/versions/{version.pk}/comments/",
        json={"body": "Or a breath, then the touch", "parent": note_id},
        headers=token_for(mentor),
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    expect(alice.get_by_text("Or a breath, then the touch")).to_be_visible(timeout=2000)
    # One note (and its reply, if a worker of the session is running) since the page opened.
    expect(alice.locator("#bell-count")).to_have_text(re.compile(r"^[12]$"), timeout=5000)

    # Processing progress from the worker (published as the worker does) moves the bar.
    Version.objects.filter(pk=version.pk).update(processing_progress=63)
    live.progress_publish(
        project_id=project.pk, version_id=version.pk, state=ProcessingState.PROCESSING, percent=63, force=True
    )
    expect(alice.locator("#processing-state")).to_have_text("Processing · 63%", timeout=2000)
    screenshot(alice, "live-version-1440.png")
    alice.set_viewport_size(PHONE)
    screenshot(alice, "live-version-390.png")
    assert alice.errors == []

    # Eve, outside the project, gets nothing: not the page, not the stream.
    eve = open_as(browser, outsider, f"{server.url}/review/")
    assert eve.request.get(f"{server.url}/review/versions/{version.pk}/").status == 404
    refused = eve.request.get(f"{server.url}/api/v1/versions/{version.pk}/events/")
    assert refused.status == 404
    refused = eve.request.get(f"{server.url}/api/v1/projects/{project.pk}/events/")
    assert refused.status == 404

    # Carol is removed while her page is open: her stream closes within seconds and says why.
    carol = open_as(browser, reviewer, f"{server.url}/review/versions/{version.pk}/")
    wait_live(carol)
    membership = Membership.objects.get(project=project, user=reviewer)
    removed = requests.delete(
        f"{server.url}/api/v1/projects/{project.pk}/members/{reviewer.pk}/",
        headers=token_for(director),
        timeout=10,
    )
    assert removed.status_code == 204, removed.text
    assert not Membership.objects.filter(pk=membership.pk).exists()
    expect(carol.locator("html")).to_have_attribute("data-live", "off", timeout=6000)
    expect(carol.get_by_text("You can no longer see this project.")).to_be_visible()


@pytest.mark.browser
def test_the_project_page_shows_a_new_version_and_its_progress_live(
    browser, server, project, shot, director, tmp_path
):
    from django.core.files import File

    from reviews import live, services
    from tests.factories import VersionFactory

    VersionFactory(shot=shot, number=1, processing_state=ProcessingState.READY)
    alice = open_as(browser, director, f"{server.url}/review/projects/{project.pk}/")
    wait_live(alice)
    expect(alice.locator("#version-counts")).to_contain_text("1 pending")

    path = clips.make_video(tmp_path / "v2.mp4", seconds=1, rate="24")
    with path.open("rb") as handle:
        version = services.version_upload(shot=shot, uploaded_by=director, file=File(handle, name="v2.mp4"))
    row = alice.locator(f'.version-row[data-version-id="{version.pk}"]')
    expect(row).to_have_count(1, timeout=2000)
    expect(alice.locator("#version-counts")).to_contain_text("2 pending")

    Version.objects.filter(pk=version.pk).update(
        processing_state=ProcessingState.PROCESSING, processing_progress=40
    )
    live.progress_publish(
        project_id=project.pk, version_id=version.pk, state=ProcessingState.PROCESSING, percent=40, force=True
    )
    # Its state follows live (what the label says while queued is the queue's business).
    expect(row).to_have_class(re.compile(r"\bstate-processing\b"), timeout=2000)
    screenshot(alice, "live-project-1440.png")
    alice.set_viewport_size(PHONE)
    screenshot(alice, "live-project-390.png")
    assert alice.errors == []


@pytest.mark.browser
def test_the_page_of_a_take_hears_that_another_director_selected_another(
    browser, server, project, shot, director, settings
):
    from reviews import takes
    from tests.conftest import member
    from tests.test_takes_page import ready_take

    v1 = ready_take(shot, 1, settings)
    v2 = ready_take(shot, 2, settings)
    takes.version_decide(version=v1, decision="selected", by=director)
    alice = open_as(browser, director, f"{server.url}/review/versions/{v1.pk}/")
    wait_live(alice)
    control = alice.locator("#take-control")
    expect(control.locator(".segment.active")).to_have_text("Selected take")

    # Frank selects v2 from his own page: v1 loses the selection, and its page follows unreloaded.
    frank = member(project, "frank", "director")
    selected = requests.post(
        f"{server.url}/api/v1/versions/{v2.pk}/decision/",
        json={"decision": "selected"},
        headers=token_for(frank),
        timeout=10,
    )
    assert selected.status_code == 200, selected.text
    expect(control.locator(".segment.active")).to_have_count(0, timeout=3000)
    expect(control.locator(".segment")).to_have_text(["Select take", "Reject"])
    alice.locator("#takes-button").click()
    items = alice.locator("#takes-menu .take-item")
    expect(items.nth(0)).to_contain_text("Selected take")  # v2, the newest first
    expect(items.nth(1)).not_to_contain_text("Selected take")
    assert alice.errors == []


def test_the_directors_page_shows_a_mentors_recommendation_of_another_take_unreloaded(
    browser, server, project, shot, director, mentor, settings
):
    from reviews.serializers.users import display_name
    from tests.test_takes_page import ready_take

    v1 = ready_take(shot, 1, settings)
    v2 = ready_take(shot, 2, settings)
    alice = open_as(browser, director, f"{server.url}/review/versions/{v1.pk}/")
    wait_live(alice)

    recommended = requests.post(
        f"{server.url}/api/v1/versions/{v2.pk}/recommendation/", headers=token_for(mentor), timeout=10
    )
    assert recommended.status_code == 200, recommended.text
    # The takes menu is drawn from what the page holds: it shows the recommendation only if the
    # live stream made the page read the takes again (the poll waits 15 s and is off while live).
    alice.wait_for_timeout(2000)
    alice.locator("#takes-button").click()
    items = alice.locator("#takes-menu .take-item")
    expect(items.nth(0)).to_contain_text(f"recommended by {display_name(mentor)}")
    expect(items.nth(1)).not_to_contain_text("recommended by")
    assert alice.errors == []
