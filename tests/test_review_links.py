"""Review links, the director's side and the gate: Alice shares versions of "The Hesitation".

Alice (director) creates a link; Bob (mentor), Carol (reviewer) and Dave (viewer)
may not, and Eve (outsider) does not even see the project's links. Gina, a client
with no account, passes the gate with her name and the passphrase; wrong guesses
are throttled; the token is shown once, stored hashed and never logged. What Gina
may do once inside: tests/test_guest_api.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client

from reviews.models import Decision, ProcessingState, ReviewLink, ReviewLinkGuest
from tests.conftest import client_for
from tests.factories import CommentFactory, VersionFactory

PROXY = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8


def ready_version(shot, number: int, media_root, **fields):
    version = VersionFactory(
        shot=shot,
        number=number,
        processing_state=ProcessingState.READY,
        duration=2.0,
        frame_count=48,
        fps_numerator=24,
        fps_denominator=1,
        filmstrip={"tile_width": 160, "tile_height": 90, "columns": 4, "rows": 1, "interval": 0.5},
        **fields,
    )
    version.outputs_dir = f"versions/{version.pk}/run1"
    version.save(update_fields=["outputs_dir"])
    outputs = Path(media_root) / version.outputs_dir
    outputs.mkdir(parents=True)
    (outputs / "proxy.mp4").write_bytes(PROXY)
    (outputs / "poster.jpg").write_bytes(b"\xff\xd8\xff poster")
    (outputs / "filmstrip.jpg").write_bytes(b"\xff\xd8\xff strip")
    return version


@pytest.fixture
def takes(shot, settings, director, mentor, reviewer, viewer, outsider):
    for person in (director, mentor, reviewer, viewer, outsider):
        person.email = f"{person.username}@studio.example"
        person.save(update_fields=["email"])
    return [ready_version(shot, number, settings.MEDIA_ROOT) for number in (1, 2)]


def create_link(director, project, **body):
    response = client_for(director).post(f"/api/v1/projects/{project.pk}/review-links/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def join(token: str, name: str = "Gina", **fields) -> tuple[Client, object]:
    """A clean browser that opens the link and gives a name; the page it lands on."""
    browser = Client()
    response = browser.post(f"/r/{token}", {"name": name, **fields})
    return browser, response


def guest_of_link(director, project, versions, **body) -> Client:
    link = create_link(director, project, versions=[v.pk for v in versions], **body)
    browser, response = join(link["token"])
    assert response.status_code == 302
    assert response["Location"] == "/guest/"
    return browser


# --- the director's side -------------------------------------------------------


def test_it_shows_the_token_and_url_once_and_stores_only_its_hash(takes, project, director, settings):
    link = create_link(director, project, versions=[takes[0].pk], label="For the client")

    assert len(link["token"]) >= 43  # 32 bytes of secrets, base64: 256 bits
    assert link["url"] == f"{settings.REVIEWSVC_PUBLIC_URL}/r/{link['token']}"
    stored = ReviewLink.objects.get(pk=link["id"])
    assert stored.token_hash == hashlib.sha256(link["token"].encode()).hexdigest()
    assert link["token"] not in str(ReviewLink.objects.filter(pk=link["id"]).values().get())
    listed = client_for(director).get(f"/api/v1/projects/{project.pk}/review-links/").json()["results"]
    detail = client_for(director).get(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/").json()
    assert listed[0]["token"] is None
    assert listed[0]["url"] is None
    assert detail["token"] is None
    assert detail["versions"] == [takes[0].pk]
    assert detail["state"] == "active"
    assert detail["has_passphrase"] is False


def test_it_stores_the_passphrase_hashed(takes, project, director, settings):
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    stored = ReviewLink.objects.get(pk=link["id"])
    assert "velvet-owl" not in stored.passphrase_hash
    # Django's configured password hasher (the tests use a fast one).
    assert identify_hasher(stored.passphrase_hash).algorithm in {
        h.split(".")[-1].removesuffix("PasswordHasher").lower() for h in settings.PASSWORD_HASHERS
    }
    assert check_password("velvet-owl", stored.passphrase_hash)
    assert link["has_passphrase"] is True


@pytest.mark.parametrize("who", ["mentor", "reviewer", "viewer"])
def test_it_refuses_links_to_members_who_do_not_direct(takes, project, who, request):
    person = request.getfixturevalue(who)
    client = client_for(person)
    response = client.post(
        f"/api/v1/projects/{project.pk}/review-links/", {"versions": [takes[0].pk]}, format="json"
    )
    assert response.status_code == 403
    assert "director" in response.json()["detail"]
    assert client.get(f"/api/v1/projects/{project.pk}/review-links/").status_code == 403
    assert not ReviewLink.objects.exists()


def test_an_outsider_gets_404_for_a_projects_links(takes, project, outsider, director):
    link = create_link(director, project, versions=[takes[0].pk])
    client = client_for(outsider)
    assert client.get(f"/api/v1/projects/{project.pk}/review-links/").status_code == 404
    assert client.get(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/").status_code == 404
    assert client.delete(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/").status_code == 404
    assert ReviewLink.objects.get().revoked_at is None


def test_it_refuses_versions_of_another_project_and_an_empty_link(takes, project, director, outsider):
    from tests.factories import ProjectFactory, ShotFactory

    other = VersionFactory(
        shot=ShotFactory(project=ProjectFactory(name="Night Swim"), code="NS010"), number=1
    )
    url = f"/api/v1/projects/{project.pk}/review-links/"
    foreign = client_for(director).post(url, {"versions": [other.pk]}, format="json")
    empty = client_for(director).post(url, {"label": "nothing"}, format="json")
    past = client_for(director).post(
        url, {"versions": [takes[0].pk], "expires_at": "2000-01-01T00:00:00Z"}, format="json"
    )

    assert foreign.status_code == 400
    assert "versions" in foreign.json()
    assert empty.status_code == 400
    assert "versions" in empty.json()
    assert past.status_code == 400
    assert "expires_at" in past.json()
    for far in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00", "2040-01-01T00:00:00Z"):
        refused = client_for(director).post(
            url, {"versions": [takes[0].pk], "expires_at": far}, format="json"
        )
        assert refused.status_code == 400, far
        assert "expires_at" in refused.json()
    assert not ReviewLink.objects.exists()


def test_a_shot_link_shows_the_chosen_take_or_else_the_latest(takes, project, director, shot):
    link = create_link(director, project, shots=[shot.pk])
    browser, _ = join(link["token"])

    shown = [v["id"] for v in browser.get("/api/v1/guest/").json()["versions"]]
    assert shown == [takes[1].pk]

    takes[0].decision = Decision.SELECTED
    takes[0].save(update_fields=["decision"])
    shown = [v["id"] for v in browser.get("/api/v1/guest/").json()["versions"]]
    assert shown == [takes[0].pk]
    assert browser.get(f"/api/v1/guest/versions/{takes[1].pk}/").status_code == 404


def test_the_director_sees_each_open_and_the_guests_notes(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    gina, _ = join(link["token"], "Gina", email="gina@client.example")
    join(link["token"], "Hal")
    gina.post(
        f"/api/v1/guest/versions/{takes[0].pk}/comments/", {"body": "Warmer", "frame": 4}, "application/json"
    )
    CommentFactory(version=takes[0], author=director, body="Noted")

    opens = client_for(director).get(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/opens/").json()
    notes = client_for(director).get(f"/api/v1/versions/{takes[0].pk}/comments/?guest=true").json()
    members = client_for(director).get(f"/api/v1/versions/{takes[0].pk}/comments/?guest=false").json()
    detail = client_for(director).get(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/").json()

    assert [(o["name"], o["email"], o["comment_count"]) for o in opens["results"]] == [
        ("Hal", "", 0),
        ("Gina", "gina@client.example", 1),
    ]
    assert all(o["opened_at"] for o in opens["results"])
    assert [n["body"] for n in notes["results"]] == ["Warmer"]
    assert [n["body"] for n in members["results"]] == ["Noted"]
    assert detail["open_count"] == 2
    assert detail["guest_comment_count"] == 1
    assert notes["results"][0]["author"] == {
        "id": None,
        "username": None,
        "display_name": "guest: Gina",
        "role": "guest",
    }


def test_the_link_list_costs_the_same_queries_for_one_link_or_many(
    takes, project, director, django_assert_max_num_queries
):
    for number in range(5):
        create_link(director, project, versions=[takes[0].pk], label=f"cut {number}")
    client = client_for(director)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/projects/{project.pk}/review-links/")
    assert response.json()["count"] == 5


# --- the gate -------------------------------------------------------------------


def test_the_gate_wants_a_name_and_the_passphrase(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    page = Client().get(f"/r/{link['token']}")
    nameless = join(link["token"], "", passphrase="velvet-owl")[1]
    wrong = join(link["token"], "Gina", passphrase="velvet-cat")[1]
    browser, right = join(link["token"], "Gina", passphrase="velvet-owl")

    assert page.status_code == 200
    assert b'name="passphrase"' in page.content
    assert b"csrfmiddlewaretoken" in page.content
    assert nameless.status_code == 400
    assert wrong.status_code == 403
    assert b"not right" in wrong.content
    assert right.status_code == 302
    assert right["Location"] == "/guest/"
    assert list(ReviewLinkGuest.objects.values_list("name", flat=True)) == ["Gina"]
    assert browser.get("/guest/").status_code == 200


def test_the_gate_throttles_wrong_passphrases_even_the_right_one_after(takes, project, director, settings):
    # From this address, at this link (others: tests/test_guest_throttles.py).
    settings.REVIEW_LINK_PASSPHRASE_FAILURES_PER_CLIENT = 3
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    answers = [join(link["token"], "Gina", passphrase=f"guess-{n}")[1].status_code for n in range(4)]
    right = join(link["token"], "Gina", passphrase="velvet-owl")[1]

    assert answers == [403, 403, 403, 429]
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert not ReviewLinkGuest.objects.exists()


def test_the_gate_checks_csrf(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post(f"/r/{link['token']}", {"name": "Gina"})
    assert refused.status_code == 403
    assert not ReviewLinkGuest.objects.exists()


def test_the_guest_api_checks_csrf_on_writes(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/r/{link['token']}")
    token = page.context["csrf_token"]
    joined = browser.post(f"/r/{link['token']}", {"name": "Gina", "csrfmiddlewaretoken": token})
    assert joined.status_code == 302
    url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"
    without = browser.post(url, {"body": "hi"}, "application/json")
    csrf = browser.cookies["csrftoken"].value
    with_token = browser.post(url, {"body": "hi"}, "application/json", HTTP_X_CSRFTOKEN=csrf)
    assert without.status_code == 403
    assert with_token.status_code == 201


def test_an_unknown_token_is_a_plain_404_and_never_redirects_elsewhere(takes, project, director):
    assert Client().get("/r/not-a-token").status_code == 404
    link = create_link(director, project, versions=[takes[0].pk])
    response = Client().post(
        f"/r/{link['token']}?next=https://evil.example/", {"name": "Gina", "next": "//evil.example"}
    )
    assert response["Location"] == "/guest/"


def test_a_browser_without_a_guest_session_is_refused_without_a_sign_in_redirect(takes):
    response = Client().get(f"/api/v1/guest/versions/{takes[0].pk}/")
    assert response.status_code == 403
    assert "Open your review link again" in response.json()["detail"]
    assert Client().get("/guest/").status_code == 403


def test_the_token_is_never_logged(takes, project, director, caplog):
    caplog.set_level("DEBUG")
    link = create_link(director, project, versions=[takes[0].pk])
    browser, _ = join(link["token"])
    browser.get("/api/v1/guest/")
    client_for(director).delete(f"/api/v1/projects/{project.pk}/review-links/{link['id']}/")
    Client().get(f"/r/{link['token']}")
    assert link["token"] not in caplog.text


def test_no_page_a_guest_opens_sends_the_token_as_a_referer(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    browser, joined = join(link["token"])
    pages = [
        Client().get(f"/r/{link['token']}"),
        Client().post(f"/r/{link['token']}", {"name": ""}),
        Client().get("/r/not-a-token"),
        joined,
        browser.get("/guest/"),
        browser.get(f"/guest/versions/{takes[0].pk}/"),
    ]
    for page in pages:
        # Only the origin, never the path (not no-referrer: it makes browsers send Origin: null,
        # which the CSRF check refuses; the browser test proves the gate still works).
        assert page["Referrer-Policy"] == "strict-origin"


def test_a_mangled_link_or_an_odd_method_never_logs_the_token(takes, project, director, caplog):
    caplog.set_level("DEBUG")
    link = create_link(director, project, versions=[takes[0].pk])
    token = link["token"]
    browser = Client()

    slashed = browser.get(f"/r/{token}/")
    trailing = browser.get(f"/r/{token}/x/y")
    unknown = browser.get("/r/not-a-token-either/x")
    methods = [getattr(browser, m)(f"/r/{token}").status_code for m in ("options", "trace", "put", "delete")]
    joined = browser.post(f"/r/{token}/", {"name": "Gina"})

    assert slashed.status_code == 200
    assert b'name="name"' in slashed.content
    assert trailing.status_code == 200
    assert unknown.status_code == 404
    assert methods == [405, 405, 405, 405]
    assert joined.status_code == 302
    assert token not in caplog.text
    assert "not-a-token-either" not in caplog.text


def test_an_email_longer_than_its_column_is_refused_not_a_server_error(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    # A valid address of 312 characters: EmailValidator takes up to 320, the column 254.
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    refused = join(link["token"], "Gina", email=address)[1]
    at_limit = join(link["token"], "Gina", email="a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".co")[1]

    assert refused.status_code == 400
    assert b"254" in refused.content
    assert at_limit.status_code == 302
    assert list(ReviewLinkGuest.objects.values_list("name", flat=True)) == ["Gina"]


def test_every_link_field_is_refused_past_its_column(takes, project, director):
    too_long = client_for(director).post(
        f"/api/v1/projects/{project.pk}/review-links/",
        {"versions": [takes[0].pk], "label": "x" * 201, "passphrase": "p" * 129},
        format="json",
    )
    link = create_link(director, project, versions=[takes[0].pk])
    long_name = join(link["token"], "G" * 101)[1]

    assert too_long.status_code == 400
    assert set(too_long.json()) == {"label", "passphrase"}
    assert long_name.status_code == 400
    assert not ReviewLinkGuest.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "\u200b\u200c\u200d",
        "\u202e\u2066\u2069",
        "\ufeff \u00ad",
        "\x07\x1b",
        "guest: Alice",
        "GUEST:Bob",
        "\uff47\uff55\uff45\uff53\uff54\uff1aBob",
        " guest : x",
    ],
)
def test_the_gate_refuses_names_that_are_invisible_or_pose_as_a_guest_label(takes, project, director, name):
    link = create_link(director, project, versions=[takes[0].pk])
    refused = join(link["token"], name)[1]
    assert refused.status_code == 400
    assert not ReviewLinkGuest.objects.exists()


def test_the_gate_removes_invisible_characters_from_a_name(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    joined = join(link["token"], "Gi\u200bna\u202e \n Lee\u2066")[1]
    assert joined.status_code == 302
    assert list(ReviewLinkGuest.objects.values_list("name", flat=True)) == ["Gina Lee"]


def test_the_director_lists_a_links_guest_notes_with_links_to_their_frames(takes, project, director, mentor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    link = create_link(director, project, versions=[takes[0].pk, takes[1].pk])
    other = create_link(director, project, versions=[takes[0].pk])
    gina, _ = join(link["token"], "Gina")
    hal, _ = join(other["token"], "Hal")
    url = f"/api/v1/projects/{project.pk}/review-links/{link['id']}/notes/"

    def write(browser, version, body, **extra):
        answer = browser.post(
            f"/api/v1/guest/versions/{version.pk}/comments/", {"body": body, **extra}, "application/json"
        )
        return answer.json()

    first = write(gina, takes[0], "Warmer", frame=4)
    write(hal, takes[0], "Hal's")

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(director).get(url).status_code == 200
        return len(queries)

    few = cost()
    for n in range(5):
        write(gina, takes[1], f"more {n}", frame=n)
    reply = write(gina, takes[0], "and this", parent=first["id"])
    notes = client_for(director).get(url).json()["results"]

    assert cost() == few
    assert len(notes) == 7
    assert notes[0]["id"] == reply["id"]
    assert notes[0]["link"] == f"/review/versions/{takes[0].pk}/?frame=4&comment={first['id']}"
    assert notes[-1]["guest"]["name"] == "Gina"
    assert notes[-1]["version"]["shot"]["code"] == takes[0].shot.code
    assert "Hal's" not in str(notes)
    assert client_for(mentor).get(url).status_code == 403


@pytest.mark.parametrize(
    "passphrase",
    ["    ", "\t \u3000 \n", "\u200b\u200b\u200b\u200b", "\u2800\u2800\u2800\u2800", "\u3164" * 4],
)
def test_a_passphrase_of_only_spaces_is_refused(takes, project, director, passphrase):
    refused = client_for(director).post(
        f"/api/v1/projects/{project.pk}/review-links/",
        {"versions": [takes[0].pk], "passphrase": passphrase},
        format="json",
    )
    assert refused.status_code == 400
    assert "not a space" in refused.json()["passphrase"][0]
    assert not ReviewLink.objects.exists()
