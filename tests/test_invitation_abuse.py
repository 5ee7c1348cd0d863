"""Invitations and accounts after a new user and an attacker tried them (docs/invitations.md, docs/accounts.md).

Alice directs; Eve has an account of her own. Mail goes through the outbox to a
real SMTP server; the links are read from what it received.
"""

from __future__ import annotations

import logging
import os
import smtplib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client

from reviews import invitations
from reviews.mail import SECRET_SENT, mail_deliver, mail_give_up, mail_queue
from reviews.models import Invitation, OutgoingMail, OutgoingMailState
from reviewsvc.log_redaction import RedactingGunicornLogger, redact_secret_paths
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory
from tests.test_invitations import PASSWORD, deliver, invite, link_path, sent_link, text_of

ROOT = Path(__file__).resolve().parent.parent
User = get_user_model()


def new_account(browser: Client, username: str = "frank"):
    return browser.post(
        "/invitations/accept/", {"username": username, "password": PASSWORD, "password_again": PASSWORD}
    )


# --- 1. an invitation never makes a second account for an address -----------------------------


def test_creating_an_account_for_an_address_an_account_has_is_refused_in_any_case(
    api, director, project, smtp, outsider
):
    outsider.email = "eve@studio.test"
    outsider.save()
    link = sent_link(api, director, project, smtp, email="EVE@Studio.TEST")
    browser = Client()
    browser.get(link)

    refused = new_account(browser, "eve2")

    assert refused.status_code == 400
    assert b"An account already uses the address this invitation was sent to" in refused.content
    assert b'id="address-has-account"' in refused.content
    assert b"/accounts/password/reset/" in refused.content
    assert not User.objects.filter(username="eve2").exists()
    assert User.objects.filter(email__iexact="eve@studio.test").count() == 1
    # Eve signs in and accepts with the account she has.
    browser.force_login(outsider)
    assert browser.post("/invitations/accept/").status_code == 302
    assert project.memberships.filter(user=outsider).exists()


# --- 2. the account page and the API share one count of refused addresses ----------------------


def test_the_account_page_is_throttled_like_the_api_and_shares_its_count(api, mentor, outsider, settings):
    settings.AXES_FAILURE_LIMIT = 2
    outsider.email = "eve@example.com"
    outsider.save()
    page = Client()
    page.force_login(mentor)
    tries = {"email": "eve@example.com", "password": PASSWORD, "display_name": "Bob"}

    first = page.post("/accounts/profile/", tries)
    second = client_for(mentor).patch("/api/v1/me/", tries, format="json")
    after = [page.post("/accounts/profile/", tries) for _ in range(3)]
    api_after = client_for(mentor).patch("/api/v1/me/", tries, format="json")

    assert (first.status_code, second.status_code) == (400, 400)
    assert [answer.status_code for answer in after] == [429, 429, 429]
    assert int(after[0]["Retry-After"]) > 0
    assert b"Too many wrong tries" in after[0].content
    assert api_after.status_code == 429
    # Even a free address waits until the window passes: the answer says nothing about any address.
    free = page.post("/accounts/profile/", {**tries, "email": "nobody@example.com"})
    assert free.status_code == 429


# --- 3. invitation mail is limited per address and per director --------------------------------


def test_invitation_mails_to_one_address_are_limited_across_create_reinvite_and_resend(
    api, director, project, smtp, settings
):
    settings.REVIEWSVC_INVITATION_MAILS_PER_ADDRESS = 3
    assert invite(api, director, project, email="frank@example.com").status_code == 201
    assert invite(api, director, project, email="FRANK@example.com").status_code == 201
    invitation = Invitation.objects.get()
    resend = f"/api/v1/projects/{project.pk}/invitations/{invitation.pk}/resend/"
    assert api(director).post(resend).status_code == 200

    refused = [api(director).post(resend), invite(api, director, project, email="Frank@Example.com")]
    # Another project, another director: the address is still spared.
    other = ProjectFactory(name="Other")
    zed = UserFactory(username="zed")
    other.memberships.create(user=zed, role="director")
    elsewhere = invite(api, zed, other, email="frank@example.com")

    for answer in [*refused, elsewhere]:
        assert answer.status_code == 429, answer.content
        assert int(answer["Retry-After"]) > 0
        assert "Too many invitation mails" in answer.json()["detail"]
    invitation.refresh_from_db()
    assert invitation.send_count == 3
    assert OutgoingMail.objects.filter(key__startswith="invitation:").count() == 3
    assert not Invitation.objects.filter(project=other).exists()


def test_invitation_mails_from_one_director_are_limited(api, director, project, smtp, settings):
    settings.REVIEWSVC_INVITATION_MAILS_PER_DIRECTOR = 2
    answers = [invite(api, director, project, email=f"p{n}@example.com").status_code for n in range(4)]

    assert answers == [201, 201, 429, 429]
    assert Invitation.objects.count() == 2


# --- 4. secret links are not kept once sent, and never logged -----------------------------------


def test_an_invitation_mail_keeps_no_link_once_sent_and_a_refused_one_still_delivers_it(
    api, director, project, smtp
):
    invite(api, director, project)
    mail = OutgoingMail.objects.get()
    assert mail.secret
    assert "/invitations/" in mail.text
    smtp.refuse(1)

    with pytest.raises(smtplib.SMTPException):
        mail_deliver(mail.pk)
    mail.refresh_from_db()
    assert "/invitations/" in mail.text  # kept for the retry
    (message,) = deliver(smtp)

    assert link_path(message).startswith("/invitations/")
    mail.refresh_from_db()
    assert mail.state == OutgoingMailState.SENT
    assert (mail.text, mail.html) == (SECRET_SENT, SECRET_SENT)
    assert Client().get(link_path(message)).status_code == 302


def test_a_password_reset_mail_keeps_no_link_once_sent_or_given_up(mentor, smtp):
    mentor.email = "bob@example.com"
    mentor.save()
    Client().post("/accounts/password/reset/", {"email": "bob@example.com"})
    mail = OutgoingMail.objects.get()
    mail_deliver(mail.pk)
    mail.refresh_from_db()
    assert "/accounts/password/reset/" in text_of(smtp.wait_for(1)[0])
    assert (mail.text, mail.html) == (SECRET_SENT, SECRET_SENT)

    with transaction.atomic():
        unsent = mail_queue(
            key="r:2",
            to=["x@example.com"],
            subject="s",
            template="reviews/mail/base",
            context={"footer": "link"},
            secret=True,
        )
    mail_give_up(unsent.pk, "gave up")
    unsent.refresh_from_db()
    assert (unsent.state, unsent.text) == (OutgoingMailState.FAILED, SECRET_SENT)


def test_an_ordinary_mail_keeps_its_text(db, smtp):
    with transaction.atomic():
        mail = mail_queue(
            key="plain:1",
            to=["x@example.com"],
            subject="s",
            template="reviews/mail/base",
            context={"footer": "kept"},
        )
    mail_deliver(mail.pk)
    mail.refresh_from_db()
    assert "kept" in mail.text


@pytest.mark.parametrize("method", ["options", "post", "put", "delete"])
def test_no_answer_about_a_token_path_logs_the_token(method, api, director, project, smtp, mentor, caplog):
    caplog.set_level(logging.DEBUG)
    token = sent_link(api, director, project, smtp).split("/")[2]
    reset = "/accounts/password/reset/MQ/abcdef-0123456789abcdef0123456789abcdef/"
    browser = Client(enforce_csrf_checks=True)

    for path in (f"/invitations/{token}/", reset):
        getattr(browser, method)(path)

    # The test's SMTP server logs the mail it received; what the service logs is Django's.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("django"))
    assert "[redacted]" in logged, "the answers were expected to be logged, redacted"
    assert token not in logged
    assert "abcdef-0123456789" not in logged


def test_the_access_log_redacts_token_paths():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = RedactingGunicornLogger(config)
    request = SimpleNamespace(
        headers=[],
        method="GET",
        path="/invitations/s3cret-token/",
        query="a=1",
        uri="/invitations/s3cret-token/?a=1",
        version=(1, 1),
    )
    response = SimpleNamespace(status="302 Found", response_length=0, sent=0, headers=[])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/invitations/s3cret-token/?a=1",
        "PATH_INFO": "/invitations/s3cret-token/",
        "QUERY_STRING": "a=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    from datetime import timedelta

    atoms = logger.atoms(response, request, environ, timedelta(seconds=0.1))

    assert "s3cret-token" not in str(atoms)
    assert "/invitations/[redacted]/" in atoms["r"]
    # The uvicorn worker's access log writes through the same handlers, with its own arguments.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "OPTIONS", "/accounts/password/reset/MQ/s3cret-token/?x=1", "1.1", 405),
        None,
    )
    (handler,) = logger.access_log.handlers
    assert handler.filter(record)
    assert (
        handler.format(record)
        == '127.0.0.1:5000 - "OPTIONS /accounts/password/reset/[redacted]/[redacted]/?x=1 HTTP/1.1" 405'
    )
    assert (
        "reviewsvc.log_redaction.RedactingGunicornLogger" in (ROOT / "reviewsvc/gunicorn_conf.py").read_text()
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /invitations/abc_DEF-1/ HTTP/1.1", "GET /invitations/[redacted]/ HTTP/1.1"),
        ("GET /invitations/accept/ HTTP/1.1", "GET /invitations/accept/ HTTP/1.1"),
        (
            "Forbidden: /accounts/password/reset/MQ/set-password/",
            "Forbidden: /accounts/password/reset/[redacted]/[redacted]/",
        ),
        ("GET /accounts/password/reset/sent/", "GET /accounts/password/reset/sent/"),
        (
            '"GET /r/AbC-123 HTTP/1.1" 200 "https://x.test/r/AbC-123"',
            '"GET /r/[redacted] HTTP/1.1" 200 "https://x.test/r/[redacted]"',
        ),
        ("Not Found: /r/AbC-123", "Not Found: /r/[redacted]"),
        ("GET /api/v1/r/kept/", "GET /api/v1/r/kept/"),
        ("POST /api/v1/projects/1/invitations/5/resend/", "POST /api/v1/projects/1/invitations/5/resend/"),
    ],
)
def test_secret_paths_are_redacted_and_the_others_kept(line, expected):
    assert redact_secret_paths(line) == expected


# --- 5. one consistent limit, counted per account when signed in -------------------------------


def test_once_locked_every_made_up_token_is_429_and_a_real_one_still_opens(
    api, director, project, smtp, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    link = sent_link(api, director, project, smtp)
    guesser = Client()

    answers = [guesser.get(f"/invitations/wrong{n}{'a' * 40}/").status_code for n in range(2)]
    answers += [
        guesser.get(path).status_code
        for path in [f"/invitations/x{'b' * 40}/", link, f"/invitations/y{'c' * 40}/"]
    ]

    assert answers == [404, 404, 429, 302, 429]


def test_one_signed_in_persons_misses_do_not_lock_out_others_at_the_same_address(
    api, director, project, smtp, settings, mentor
):
    settings.AXES_FAILURE_LIMIT = 2
    link = sent_link(api, director, project, smtp)
    guesser, other = Client(), Client()
    guesser.force_login(mentor)
    other.force_login(UserFactory(username="gina"))

    misses = [guesser.get(f"/invitations/wrong{n}{'a' * 40}/").status_code for n in range(3)]

    assert misses == [404, 404, 429]
    assert other.get(link).status_code == 302


def test_make_run_shares_its_counts_between_workers_through_a_file_cache(tmp_path):
    env = {**os.environ, "REVIEWSVC_CACHE_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "reviewsvc.settings"}
    env.pop("REDIS_URL", None)
    code = (
        "import django; django.setup(); from django.core.cache import caches; cache = caches['default']; "
        "cache.add('n', 0); cache.incr('n'); print(type(cache).__name__, cache.get('n'))"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
        for _ in range(2)
    ]

    assert [run.stdout.split() for run in runs] == [["FileBasedCache", "1"], ["FileBasedCache", "2"]], runs
    assert "REVIEWSVC_CACHE_DIR" in (ROOT / "scripts/run-local").read_text()


# --- 6. plain-text mail is not HTML-escaped ----------------------------------------------------


def test_the_plain_text_mail_is_not_html_escaped_and_the_html_is(api, director, project, smtp):
    project.name = "<b>Tom & Jerry</b>"
    project.save()
    director.first_name = "Al <i>"
    director.save()
    invite(api, director, project)
    (message,) = deliver(smtp)
    text = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()

    assert "&lt;" not in text
    assert "&amp;" not in text
    assert "project <b>Tom & Jerry</b>" in text  # the footer, from base.txt
    assert "Al <i> invites you" in text
    assert "<b>Tom" not in html
    assert "&lt;b&gt;Tom &amp; Jerry" in html


# --- 7. a bad invitation lifetime stops the service at startup ---------------------------------


@pytest.mark.parametrize("days", ["0", "-3"])
def test_a_bad_invitation_lifetime_is_refused_at_startup(days):
    env = {**os.environ, "REVIEWSVC_INVITATION_DAYS": days, "DJANGO_SETTINGS_MODULE": "reviewsvc.settings"}
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert run.returncode != 0
    assert f"REVIEWSVC_INVITATION_DAYS must be at least 1, not {days}" in run.stderr


# --- 8. addresses are compared casefolded, not by the database's idea of case -------------------


def test_addresses_differing_in_non_ascii_case_are_one_invitation(director, project):
    first = invitations.invitation_create(
        project=project, email="user@EXÄMPLE.org", role="viewer", by=director
    )
    again = invitations.invitation_create(
        project=project, email="user@exämple.org ", role="mentor", by=director
    )

    assert first.pk == again.pk
    assert Invitation.objects.get().email_key == "user@exämple.org"
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            project=project,
            email="USER@EXÄMPLE.ORG",
            role="viewer",
            token_hash="x" * 64,
            sent_at=first.sent_at,
            expires_at=first.expires_at,
        )
