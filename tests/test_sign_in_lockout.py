"""Password guessing is cut off per account and per client address on every way to sign in.

The token endpoint, the review login page and the admin login all check a
password through ``authenticate``, where django-axes counts the failures.
X-Forwarded-For is the client's to invent unless REVIEWSVC_TRUSTED_PROXY_COUNT
says our own proxies wrote it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from reviews.throttling import TooManyTries, client_address, guard_secret
from tests.conftest import client_for
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LIMIT = settings.AXES_FAILURE_LIMIT
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def spoofed(n: int) -> dict[str, str]:
    """A different made-up X-Forwarded-For for every try, as the attacker sent."""
    return {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n % 250 + 1}"}


def token(username: str, password: str, **extra: str):
    return client_for(None).post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def page_login(url: str, username: str, password: str, **extra: str):
    client = Client()
    response = client.post(url, {"username": username, "password": password}, **extra)
    return client, response


def test_it_locks_an_account_whatever_forwarded_for_each_guess_claims(director):
    answers = [token("alice", f"guess {n}", **spoofed(n)) for n in range(LIMIT)]
    right = token("alice", PASSWORD, **spoofed(LIMIT))

    assert [answer.status_code for answer in answers[:-1]] == [400] * (LIMIT - 1)
    assert answers[-1].status_code == 429
    assert right.status_code == 429
    assert right["Content-Type"].startswith("application/json")
    # One sentence saying how long to wait, not two.
    assert right.json()["detail"].count("seconds") == 1
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "token" not in right.json()


def test_it_locks_an_account_from_every_address_once_locked(director):
    for n in range(LIMIT):
        token("alice", f"guess {n}", REMOTE_ADDR="203.0.113.9")
    assert token("alice", PASSWORD, REMOTE_ADDR="192.0.2.44").status_code == 429


def test_it_locks_an_address_that_guesses_across_accounts(director, mentor):
    for n in range(LIMIT):
        UserFactory(username=f"victim{n}")
        assert token(f"victim{n}", "password1", REMOTE_ADDR="203.0.113.9").status_code in (400, 429)

    from_there = token("bob", PASSWORD, REMOTE_ADDR="203.0.113.9")
    from_elsewhere = token("bob", PASSWORD, REMOTE_ADDR="192.0.2.44")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 200


def test_it_counts_case_and_width_twins_of_a_name_against_the_one_account(director):
    twins = ["ALICE", "Alice", "\uff41\uff4c\uff49\uff43\uff45", "alice"]
    for n in range(LIMIT):
        token(twins[n % len(twins)], f"guess {n}", REMOTE_ADDR=f"192.0.2.{n + 1}")
    assert token("alice", PASSWORD, REMOTE_ADDR="198.51.100.200").status_code == 429


def test_names_longer_than_any_account_s_still_count_against_the_address(director):
    answers = [token("a" * (300 + n), "guess", REMOTE_ADDR="203.0.113.9") for n in range(LIMIT)]
    assert {answer.status_code for answer in answers[:-1]} == {400}
    assert token("alice", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429


def test_it_lets_the_right_password_in_after_the_cool_off(director):
    for n in range(LIMIT):
        token("alice", f"guess {n}", **spoofed(n))
    assert token("alice", PASSWORD).status_code == 429

    # The cool-off passes: every counted failure is now older than it.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert token("alice", PASSWORD).status_code == 200


def test_it_lets_people_who_mistype_sign_in(director):
    answers = [token("alice", f"typo {n}") for n in range(LIMIT - 1)]
    signed_in = [token("alice", PASSWORD) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {400}
    assert [answer.status_code for answer in signed_in] == [200, 200, 200]


def test_the_token_rate_limit_cannot_be_dodged_with_forwarded_for(settings, director):
    # The per-minute rate on its own, with the lockout out of the way.
    settings.AXES_FAILURE_LIMIT = 1000
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")[0])
    statuses = [token("alice", f"guess {n}", **spoofed(n)).status_code for n in range(rate + 1)]
    assert statuses == [400] * rate + [429]


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_it_locks_the_login_pages_with_a_readable_page(url, db):
    UserFactory(username="sam", is_staff=True)
    answers = [page_login(url, "sam", f"guess {n}", **spoofed(n))[1] for n in range(LIMIT)]
    client, right = page_login(url, "sam", PASSWORD, **spoofed(LIMIT))

    assert {answer.status_code for answer in answers[:-1]} == {200}  # the form again, with its error
    assert answers[-1].status_code == 429
    assert right.status_code == 429
    assert right["Content-Type"].startswith("text/html")
    assert b"Too many wrong passwords" in right.content
    assert int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_sign_people_in_as_before(url, db):
    UserFactory(username="sam", is_staff=True)
    client, answer = page_login(url, "sam", PASSWORD)
    assert answer.status_code == 302
    assert client.session["_auth_user_id"]


def test_one_lockout_covers_the_api_and_the_pages(director):
    for n in range(LIMIT):
        page_login("/accounts/login/", "alice", f"guess {n}", **spoofed(n))
    assert token("alice", PASSWORD, **spoofed(LIMIT)).status_code == 429


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_the_client_address_is_the_socket_s_unless_proxies_are_trusted(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request("10.0.0.5", "203.0.113.7")) == "10.0.0.5"

    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_request("10.0.0.5", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_address(_request("10.0.0.5")) == "10.0.0.5"
    assert client_address(_request("10.0.0.5", "not an address")) == "10.0.0.5"

    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(_request("10.0.0.5", "1.2.3.4, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_address_comes_from_forwarded_for(settings, director):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.5"
    attacker = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7"}
    for n in range(LIMIT):
        UserFactory(username=f"victim{n}")
        token(f"victim{n}", "password1", **attacker)

    # Alice comes through the same proxy from her own address and is not caught up in it.
    alice = token("alice", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10")
    # The attacker cannot step out of the lock by writing another address to the left.
    again = token("alice", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10, 203.0.113.7")

    assert alice.status_code == 200
    assert again.status_code == 429


# --- secrets that are not passwords -----------------------------------------


def guess(secret: str, *, key: str = "link-1", remote: str = "203.0.113.9", window: int = 60) -> bool:
    return guard_secret(
        _request(remote),
        scope="passphrase",
        key=key,
        check=lambda: secret == "open sesame",
        limit=3,
        window=window,
    )


def test_a_guarded_secret_locks_its_key_against_every_address():
    assert [guess("wrong", remote=f"192.0.2.{n}") for n in range(3)] == [False] * 3
    with pytest.raises(TooManyTries) as refused:
        guess("open sesame", remote="198.51.100.1")
    assert 0 < refused.value.wait <= 60


def test_a_guarded_secret_locks_an_address_that_tries_many_keys():
    for n in range(3):
        guess("wrong", key=f"link-{n}")
    with pytest.raises(TooManyTries):
        guess("open sesame", key="link-99")
    assert guess("open sesame", key="link-99", remote="198.51.100.1") is True


def test_a_guarded_secret_opens_for_the_right_answer_and_again_after_the_window():
    assert guess("open sesame") is True
    for _ in range(3):
        guess("wrong", window=1)
    with pytest.raises(TooManyTries):
        guess("open sesame", window=1)
    time.sleep(1.1)
    assert guess("open sesame", window=1) is True
