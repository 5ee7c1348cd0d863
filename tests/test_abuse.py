"""Abuse: password guessing and upload floods are rate-limited, a signed-out token is dead,
every answer carries the security headers, and the production settings pass `check --deploy`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
import requests
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from harness.processes import ROOT, Gunicorn, PrivateRedis
from tests.conftest import client_for
from tests.reliability import record

TOKEN_RATE = 20  # per minute: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
UPLOAD_RATE = 120  # per hour


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


# These measure the per-minute rate of the token endpoint; the per-account and per-address
# lockout, which cuts guessing off sooner, is raised out of their way (tests/test_sign_in_lockout.py).
LOCKOUT_OUT_OF_THE_WAY = 1000


@pytest.mark.django_db
def test_password_guessing_is_cut_off_with_a_429_that_says_when_to_retry(settings, director):
    settings.AXES_FAILURE_LIMIT = LOCKOUT_OUT_OF_THE_WAY
    client = client_for(None)
    answers = [
        client.post("/api/v1/auth/token/", {"username": "alice", "password": f"guess {n}"}, format="json")
        for n in range(TOKEN_RATE + 1)
    ]

    statuses = [answer.status_code for answer in answers]
    last = answers[-1]
    record(
        "abuse",
        what=f"{TOKEN_RATE + 1} sign-in attempts in a minute",
        answer=f"{last.status_code}: {last.json()}",
    )
    assert statuses == [400] * TOKEN_RATE + [429]
    assert last["Content-Type"].startswith("application/json")
    assert "seconds" in last.json()["detail"]
    assert int(last["Retry-After"]) > 0


# Slow: the production rate, 120 uploads, each probed with ffprobe in the request.
@pytest.mark.slow
@pytest.mark.django_db
def test_an_upload_flood_is_cut_off_with_a_429(shot, director, django_capture_on_commit_callbacks):
    client = client_for(director)
    url = f"/api/v1/shots/{shot.pk}/versions/"

    def upload(n: int):
        return client.post(
            url,
            {"file": SimpleUploadedFile(f"t{n}.mp4", b"\x00\x00\x00\x18ftypmp42 cut short")},
            format="multipart",
        )

    statuses = [upload(n).status_code for n in range(UPLOAD_RATE)]
    refused = upload(UPLOAD_RATE)

    record(
        "abuse",
        what=f"{UPLOAD_RATE + 1} uploads in an hour",
        answer=f"{refused.status_code}: {refused.json()}",
    )
    assert statuses == [201] * UPLOAD_RATE
    assert refused.status_code == 429
    assert "seconds" in refused.json()["detail"]
    # Reading is not throttled.
    assert client.get(url).status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_redis_the_sign_in_limit_holds_across_web_processes(tmp_path, director):
    """Two gunicorn workers share one count through REDIS_URL; in-process memory would give each its own."""
    redis = PrivateRedis(tmp_path).start()
    server = Gunicorn(
        tmp_path,
        workers=2,
        threads=1,
        REDIS_URL=redis.url,
        REVIEWSVC_SIGN_IN_FAILURE_LIMIT=str(LOCKOUT_OUT_OF_THE_WAY),
    )
    try:
        server.start()
        statuses = [
            requests.post(
                f"{server.url}/api/v1/auth/token/",
                json={"username": "alice", "password": f"guess {n}"},
                headers={"Connection": "close"},  # a new connection, so either worker may answer
                timeout=30,
            ).status_code
            for n in range(TOKEN_RATE + 5)
        ]
    finally:
        server.stop()
        redis.stop()
    record(
        "abuse",
        what="sign-in attempts spread over 2 web processes sharing Redis",
        answer=f"{statuses.count(400)} x 400, then {statuses.count(429)} x 429",
    )
    assert statuses == [400] * TOKEN_RATE + [429] * 5


@pytest.mark.django_db
def test_signing_out_revokes_the_token(director):
    client = client_for(None)
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "correct horse battery staple"},
        format="json",
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").status_code == 200

    assert client.post("/api/v1/auth/logout/").status_code == 204
    after = client.get("/api/v1/me/")

    record(
        "abuse",
        what="a request with a token after signing out",
        answer=f"{after.status_code}: {after.json()}",
    )
    assert after.status_code == 401
    assert not Token.objects.filter(key=token).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/", "/api/v1/projects/", "/api/v1/schema/", "/api/v1/no-such-thing/"]
)
def test_every_answer_carries_the_security_headers(director, url):
    response = client_for(director).get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


PRODUCTION = {
    "DJANGO_ALLOWED_HOSTS": "review.example.com,127.0.0.1",
    "DJANGO_HTTPS": "True",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
}


def production_env() -> dict[str, str]:
    """This machine's environment without our settings, plus those production sets."""
    ours = ("DJANGO_", "REVIEWSVC_", "DATABASE_", "CELERY_", "REDIS_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
    return {**env, **PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_hex(32)}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_behind_https_every_answer_carries_hsts_and_plain_http_is_redirected(tmp_path):
    # nginx terminates TLS and says so in X-Forwarded-Proto, the one header production trusts.
    https = {"X-Forwarded-Proto": "https"}
    server = Gunicorn(
        tmp_path,
        workers=1,
        threads=2,
        ready_headers=https,
        DJANGO_SECRET_KEY=secrets.token_hex(32),
        **PRODUCTION,
    )
    try:
        server.start()
        secure = requests.get(f"{server.url}/api/v1/", headers=https, timeout=10)
        plain = requests.get(f"{server.url}/api/v1/", timeout=10, allow_redirects=False)
    finally:
        server.stop()
    record(
        "abuse",
        what="headers under DJANGO_HTTPS=True",
        answer=f"HSTS {secure.headers.get('Strict-Transport-Security')!r}; plain HTTP gets {plain.status_code} to {plain.headers.get('Location')}",
    )
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure.headers["X-Content-Type-Options"] == "nosniff"
    assert secure.headers["X-Frame-Options"] == "DENY"
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")


@pytest.mark.slow
def test_the_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    record(
        "abuse",
        what="manage.py check --deploy --fail-level WARNING",
        answer=(result.stdout + result.stderr).strip(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_check_deploy_insists_on_a_shared_cache_for_rate_limits():
    env = production_env()
    del env["REDIS_URL"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "reviews.W001" in result.stderr
