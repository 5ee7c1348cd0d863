"""People without an account are limited without locking out the real ones.

Alice shares links with Gina, a client. Mallory, at another address, guesses Gina's
passphrase; her misses lock out only herself at that link, never Gina, nor a link without
a passphrase, nor another link. Only many addresses together reach a link's ceiling. A
made-up invitation token counts against its sender's address, but a real one always opens.
A guest's notes and edits, and joins at the gate, are rate-limited with a 429 that says when
to come back (Retry-After); members' notes are not.

Counts are kept in Redis here, the cache production uses (every other fast test uses the
process's memory), under a prefix of this test's own.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from reviews.models import EventKind, ReviewLinkGuest
from tests.conftest import client_for
from tests.test_invitations import sent_link
from tests.test_review_links import create_link, takes

__all__ = ["takes"]  # the fixture, shared with tests/test_review_links.py

GINA, MALLORY, OFFICE = "192.0.2.10", "198.51.100.66", "203.0.113.5"


@pytest.fixture(autouse=True)
def redis_cache(settings):
    prefix = f"test-throttles-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CELERY_BROKER_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def open_link(token: str, address: str, passphrase: str = "", name: str = "Gina"):
    return browser(address).post(f"/r/{token}", {"name": name, "passphrase": passphrase})


# --- passphrases ----------------------------------------------------------------------------------


def test_one_addresss_wrong_passphrases_lock_out_only_that_address(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")

    guesses = [open_link(link["token"], MALLORY, f"guess-{n}").status_code for n in range(10)]
    mallory_right = open_link(link["token"], MALLORY, "velvet-owl")
    gina = open_link(link["token"], GINA, "velvet-owl")

    assert guesses == [403] * 5 + [429] * 5
    assert mallory_right.status_code == 429
    assert 0 < int(mallory_right["Retry-After"]) <= 300
    assert b"Too many wrong passphrases from this address" in mallory_right.content
    assert gina.status_code == 302
    assert list(ReviewLinkGuest.objects.values_list("name", flat=True)) == ["Gina"]


def test_passphrase_misses_never_touch_a_link_without_one_nor_another_link(takes, project, director):
    guarded = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    open_one = create_link(director, project, versions=[takes[0].pk])
    other = create_link(director, project, versions=[takes[1].pk], passphrase="amber-fox")

    guesses = [open_link(guarded["token"], OFFICE, f"guess-{n}").status_code for n in range(10)]
    without = open_link(open_one["token"], OFFICE)
    another = open_link(other["token"], OFFICE, "amber-fox")

    assert guesses[-1] == 429
    assert without.status_code == 302
    assert another.status_code == 302


def test_many_addresses_together_reach_the_links_ceiling(takes, project, director, settings):
    settings.REVIEW_LINK_PASSPHRASE_FAILURES_PER_LINK = 7
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    addresses = [f"198.51.100.{n}" for n in range(1, 5)]

    guesses = [
        open_link(link["token"], address, "guess").status_code for address in addresses for _ in (1, 2)
    ]
    gina = open_link(link["token"], GINA, "velvet-owl")

    # 7 misses from four addresses, none of them locked itself: the link takes no more this hour.
    assert guesses == [403] * 7 + [429]
    assert gina.status_code == 429
    assert 3500 < int(gina["Retry-After"]) <= 3600
    assert b"ask whoever shared it for a new link" in gina.content


def test_an_address_may_try_again_once_its_short_lockout_passes(takes, project, director, settings):
    settings.REVIEW_LINK_PASSPHRASE_LOCKOUT_SECONDS = 1
    link = create_link(director, project, versions=[takes[0].pk], passphrase="velvet-owl")
    guesses = [open_link(link["token"], GINA, "velvet-cat").status_code for _ in range(6)]

    time.sleep(1.2)

    assert guesses == [403] * 5 + [429]
    assert open_link(link["token"], GINA, "velvet-owl").status_code == 302


# --- invitation tokens ----------------------------------------------------------------------------


def test_made_up_invitation_tokens_never_block_a_real_one(api, director, project, smtp):
    link = sent_link(api, director, project, smtp)
    scanner = browser(OFFICE)

    made_up = [scanner.get(f"/invitations/AAAA{n}{'A' * 39}/").status_code for n in range(11)]
    real = scanner.get(link)
    still_made_up = scanner.get(f"/invitations/B{'B' * 42}/")

    assert made_up == [404] * 10 + [429]
    assert real.status_code == 302
    assert real["Location"] == "/invitations/accept/"
    assert still_made_up.status_code == 429
    assert int(still_made_up["Retry-After"]) > 0


# --- rates: joins at the gate ---------------------------------------------------------------------


def test_joins_at_a_gate_are_limited_per_address_and_link(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    other = create_link(director, project, versions=[takes[0].pk])

    joins = [open_link(link["token"], OFFICE, name=f"Guest {n}").status_code for n in range(21)]
    refused = open_link(link["token"], OFFICE, name="One more")
    elsewhere = open_link(link["token"], GINA)
    other_link = open_link(other["token"], OFFICE)

    assert joins == [302] * 20 + [429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert b"Too many guests joined this link from this address" in refused.content
    assert b'id="guest-gate-error"' in refused.content
    assert elsewhere.status_code == 302
    assert other_link.status_code == 302
    assert ReviewLinkGuest.objects.filter(link_id=link["id"]).count() == 21
    assert project.events.filter(kind=EventKind.REVIEW_LINK_OPENED).count() == 22


# --- rates: guests' notes and edits ---------------------------------------------------------------


def guest(token: str, address: str, name: str = "Gina") -> Client:
    client = browser(address)
    assert client.post(f"/r/{token}", {"name": name}).status_code == 302
    return client


def test_a_guests_notes_and_edits_are_limited_per_session_with_a_json_429(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    gina = guest(link["token"], GINA)
    url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"

    notes = [gina.post(url, {"body": f"note {n}", "frame": n}, "application/json") for n in range(9)]
    edit = gina.patch(
        f"/api/v1/guest/comments/{notes[0].json()['id']}/", {"body": "kept"}, "application/json"
    )
    refused = gina.post(url, {"body": "one too many"}, "application/json")
    edit_refused = gina.patch(
        f"/api/v1/guest/comments/{notes[0].json()['id']}/", {"body": "again"}, "application/json"
    )

    assert [note.status_code for note in notes] == [201] * 9
    assert edit.status_code == 200
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many notes and edits in a short time; try again in ")
    assert edit_refused.status_code == 429
    # Reading is not limited, and another guest of the link writes on.
    assert gina.get(url).status_code == 200
    gus = guest(link["token"], OFFICE, "Gus")
    assert gus.post(url, {"body": "mine"}, "application/json").status_code == 201


def test_guests_writing_from_one_address_share_its_limit(takes, project, director, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "guest-write-address", "3/hour")
    link = create_link(director, project, versions=[takes[0].pk])
    gina, gus = guest(link["token"], OFFICE), guest(link["token"], OFFICE, "Gus")
    url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"

    answers = [
        who.post(url, {"body": "hi"}, "application/json").status_code for who in (gina, gus, gina, gus)
    ]

    assert answers == [201, 201, 201, 429]
    assert guest(link["token"], GINA, "Gail").post(url, {"body": "hi"}, "application/json").status_code == 201


def test_members_notes_are_not_limited_by_the_guests_rates(takes, director):
    alice = client_for(director)
    url = f"/api/v1/versions/{takes[0].pk}/comments/"

    answers = [alice.post(url, {"body": f"note {n}"}, format="json").status_code for n in range(12)]

    assert answers == [201] * 12


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ten/min", "0/min", "10/fortnight", "10"])
def test_a_malformed_guest_rate_is_refused_at_startup(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from reviewsvc.settings import envrate

    monkeypatch.setenv("REVIEWSVC_GUEST_WRITE_THROTTLE", value)
    with pytest.raises(ImproperlyConfigured, match="REVIEWSVC_GUEST_WRITE_THROTTLE must be a rate"):
        envrate("REVIEWSVC_GUEST_WRITE_THROTTLE", "10/min")
    monkeypatch.setenv("REVIEWSVC_GUEST_WRITE_THROTTLE", "20/hour")
    assert envrate("REVIEWSVC_GUEST_WRITE_THROTTLE", "10/min") == "20/hour"
