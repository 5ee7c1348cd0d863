"""A new email address counts only once the link mailed to it is followed (docs/accounts.md).

Alice directs "The Hesitation"; Bob mentors; Eve has an account but is not in the
project, and tries to claim addresses that are not hers. Mail goes through the
outbox to a real SMTP server; links are read from what it received.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from reviews.mail import SECRET_SENT
from reviews.models import EmailChange, Membership, OutgoingMail
from reviewsvc.log_redaction import redact_secret_paths
from tests.conftest import client_for
from tests.test_invitations import deliver, sent_link, text_of

User = get_user_model()
PASSWORD = "correct horse battery staple"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/email/confirm/([A-Za-z0-9_-]{40,})/)")


def ask(user, email: str):
    return client_for(user).patch("/api/v1/me/", {"email": email, "password": PASSWORD}, format="json")


def confirm_path(smtp, to: str) -> str:
    """The confirmation link of the latest mail to ``to``, as a path on this site."""
    (message, *_) = [m for m in reversed(deliver(smtp)) if m["To"] == to]
    return CONFIRM_LINK.search(text_of(message)).group(1)


def browser_of(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def confirm(browser: Client, path: str):
    opened = browser.get(path)
    assert opened.status_code == 302, opened.content
    assert opened["Location"] == "/accounts/email/confirm/"
    return browser.post("/accounts/email/confirm/")


# --- the two attacks ---------------------------------------------------------------------------


def test_claiming_a_new_hires_address_does_not_make_eve_the_new_hire(api, director, project, outsider, smtp):
    outsider.email = "eve@home.example"
    outsider.save()

    claimed = ask(outsider, "newhire@studio.example")
    added = api(director).post(
        f"/api/v1/projects/{project.pk}/members/",
        {"email": "newhire@studio.example", "role": "mentor"},
        format="json",
    )

    assert claimed.status_code == 200
    assert claimed.json()["email"] == "eve@home.example"
    assert claimed.json()["pending_email"] == "newhire@studio.example"
    assert added.status_code == 400
    assert not Membership.objects.filter(project=project, user=outsider).exists()
    # Nor do resets for that address go to Eve's account.
    Client().post("/accounts/password/reset/", {"email": "newhire@studio.example"})
    assert not OutgoingMail.objects.filter(key__startswith="password-reset:").exists()


def test_claiming_an_invited_address_does_not_lock_the_invitee_out(api, director, project, outsider, smtp):
    link = sent_link(api, director, project, smtp, email="victim@studio.example")
    assert ask(outsider, "victim@studio.example").status_code == 200
    browser = Client()
    browser.get(link)

    joined = browser.post(
        "/invitations/accept/", {"username": "vic", "password": PASSWORD, "password_again": PASSWORD}
    )

    assert joined.status_code == 302, joined.content
    victim = User.objects.get(username="vic")
    assert victim.email == "victim@studio.example"
    assert Membership.objects.filter(project=project, user=victim).exists()
    # Had Eve the mail, her link would now be refused: the address is the invitee's.
    answer = confirm(browser_of(outsider), confirm_path(smtp, "victim@studio.example"))
    assert answer.status_code == 409
    assert b"Another account now uses this address" in answer.content
    outsider.refresh_from_db()
    assert outsider.email == ""


# --- the flow from the mail -------------------------------------------------------------------


def test_the_new_address_gets_a_single_use_link_and_the_old_one_a_notice(mentor, smtp):
    mentor.email = "bob@old.example"
    mentor.save()

    asked = ask(mentor, "Bob@New.example")
    path = confirm_path(smtp, "Bob@New.example")

    assert asked.status_code == 200
    (notice,) = [m for m in smtp.messages if m["To"] == "bob@old.example"]
    assert "Bob@New.example" in text_of(notice)
    assert "/accounts/email/confirm/" not in text_of(notice)
    # The outbox keeps no live link once the mail is sent.
    sent = OutgoingMail.objects.get(to=["Bob@New.example"])
    assert (sent.text, sent.html) == (SECRET_SENT, SECRET_SENT)
    browser = browser_of(mentor)
    opened = browser.get(path)
    page = browser.get("/accounts/email/confirm/")
    # Fetching the link and the page (a mail scanner would) changes nothing.
    mentor.refresh_from_db()
    assert mentor.email == "bob@old.example"
    assert opened["Location"] == "/accounts/email/confirm/"
    assert b"Bob@New.example" in page.content
    assert b'id="confirm-email"' in page.content

    done = browser.post("/accounts/email/confirm/")

    assert done["Location"] == "/accounts/"
    mentor.refresh_from_db()
    assert mentor.email == "Bob@New.example"
    assert b"Your email is now Bob@New.example" in browser.get("/accounts/").content
    me = client_for(mentor).get("/api/v1/me/").json()
    assert (me["email"], me["pending_email"]) == ("Bob@New.example", None)
    reused = browser.get(path)
    assert reused.status_code == 410
    assert b"has been used" in reused.content


def test_only_the_account_that_asked_can_confirm(mentor, outsider, smtp):
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")

    signed_out = Client()
    signed_out.get(path)
    to_login = signed_out.get("/accounts/email/confirm/")
    eve = browser_of(outsider)
    eve.get(path)
    refused = eve.post("/accounts/email/confirm/")

    assert to_login["Location"] == "/accounts/login/?next=/accounts/email/confirm/"
    assert refused.status_code == 403
    mentor.refresh_from_db()
    outsider.refresh_from_db()
    assert mentor.email == outsider.email == ""
    # Signing in keeps the opened link in the session: Bob confirms without opening it again.
    signed_out.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert signed_out.post("/accounts/email/confirm/")["Location"] == "/accounts/"
    mentor.refresh_from_db()
    assert mentor.email == "bob@new.example"


# --- dead links -------------------------------------------------------------------------------


def test_an_expired_link_is_refused(mentor, smtp):
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")
    EmailChange.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    answer = browser_of(mentor).get(path)

    assert answer.status_code == 410
    assert b"has expired" in answer.content
    assert client_for(mentor).get("/api/v1/me/").json()["pending_email"] is None


def test_a_link_opened_before_it_expired_is_refused_at_the_button(mentor, smtp):
    ask(mentor, "bob@new.example")
    browser = browser_of(mentor)
    browser.get(confirm_path(smtp, "bob@new.example"))
    EmailChange.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    answer = browser.post("/accounts/email/confirm/")

    assert answer.status_code == 410
    mentor.refresh_from_db()
    assert mentor.email == ""


def test_tampered_links_do_nothing_and_count_as_guesses_but_never_lock_out_the_real_one(
    mentor, smtp, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")
    token = path.split("/")[-2]
    browser = browser_of(mentor)

    answers = [browser.get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")))]
    answers.append(browser.get(path.replace(token, token[::-1])))
    answers.append(browser.get(path.replace(token, "made-up-" + token[8:])))

    assert [answer.status_code for answer in answers] == [404, 404, 429]
    assert browser.post("/accounts/email/confirm/").status_code == 404
    mentor.refresh_from_db()
    assert mentor.email == ""
    # The real link still opens, from the same client: 256 bits are not guessed, and refusing it
    # would lock its owner out behind an address someone else scans from.
    opened = browser.get(path)
    assert opened.status_code == 302
    assert browser.post("/accounts/email/confirm/").status_code == 302
    mentor.refresh_from_db()
    assert mentor.email == "bob@new.example"


def test_asking_again_replaces_the_link(mentor, smtp):
    ask(mentor, "bob@first.example")
    first = confirm_path(smtp, "bob@first.example")
    ask(mentor, "bob@second.example")
    second = confirm_path(smtp, "bob@second.example")

    assert browser_of(mentor).get(first).status_code == 404
    assert confirm(browser_of(mentor), second)["Location"] == "/accounts/"
    mentor.refresh_from_db()
    assert mentor.email == "bob@second.example"


def test_a_password_change_kills_the_link(mentor, smtp):
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")
    client_for(mentor).post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password": "another sentence entirely"},
        format="json",
    )
    mentor.refresh_from_db()

    answer = browser_of(mentor).get(path)

    assert answer.status_code == 410
    assert b"no longer works" in answer.content


def test_cancelling_kills_the_link(mentor, smtp):
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")
    browser = browser_of(mentor)

    assert browser.post("/accounts/email/cancel/")["Location"] == "/accounts/"

    assert browser.get(path).status_code == 404
    assert b'id="pending-email"' not in browser.get("/accounts/").content


def test_an_address_taken_meanwhile_is_refused_with_a_clear_page(mentor, outsider, smtp):
    ask(mentor, "shared@studio.example")
    path = confirm_path(smtp, "shared@studio.example")
    # Staff give the address to Eve in the meantime.
    outsider.email = "SHARED@studio.example"
    outsider.save()

    answer = confirm(browser_of(mentor), path)

    assert answer.status_code == 409
    assert b"Another account now uses this address" in answer.content
    mentor.refresh_from_db()
    assert mentor.email == ""
    # Nothing waits any more: the account no longer says an address is pending.
    assert client_for(mentor).get("/api/v1/me/").json()["pending_email"] is None


# --- who sees the pending address; mail budget; logs ------------------------------------------


def test_the_pending_address_is_shown_to_its_owner_only(api, director, mentor, project, smtp):
    ask(mentor, "secret-new@example.com")
    mentors_page = browser_of(mentor).get("/accounts/").content

    seen_by_others = [
        api(director).get("/api/v1/me/"),
        api(director).get(f"/api/v1/projects/{project.pk}/members/"),
        api(director).get(f"/api/v1/projects/{project.pk}/"),
        browser_of(director).get("/accounts/"),
        browser_of(director).get(f"/review/projects/{project.pk}/"),
    ]

    assert b"secret-new@example.com" in mentors_page
    assert api(mentor).get("/api/v1/me/").json()["pending_email"] == "secret-new@example.com"
    for answer in seen_by_others:
        assert answer.status_code == 200
        assert b"secret-new@example.com" not in answer.content


def test_confirmation_mails_to_one_address_are_limited(mentor, outsider, smtp, settings):
    settings.REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ADDRESS = 2

    answers = [ask(mentor, "target@example.com").status_code for _ in range(2)]
    answers.append(ask(outsider, "TARGET@example.com").status_code)

    assert answers == [200, 200, 429]
    assert OutgoingMail.objects.filter(to=["TARGET@example.com"]).count() == 0


def test_past_the_accounts_mail_budget_taken_and_free_addresses_answer_alike(
    mentor, outsider, smtp, settings
):
    settings.REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ACCOUNT = 1
    outsider.email = "admin@studio.example"
    outsider.save()
    assert ask(mentor, "free-1@example.com").status_code == 200

    taken, free = ask(mentor, "admin@studio.example"), ask(mentor, "free-2@example.com")

    assert (taken.status_code, free.status_code) == (429, 429)
    assert taken.json()["detail"] == free.json()["detail"]


@pytest.mark.parametrize("method", ["get", "options", "post", "put"])
def test_no_answer_about_a_confirmation_link_logs_the_token(method, mentor, smtp, caplog):
    ask(mentor, "bob@new.example")
    path = confirm_path(smtp, "bob@new.example")
    token = path.split("/")[-2]
    caplog.set_level(logging.DEBUG)
    browser = Client(enforce_csrf_checks=True)

    for attempt in (path, path.replace(token, token[::-1])):
        getattr(browser, method)(attempt)
    EmailChange.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    getattr(browser, method)(path)

    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert token not in ours
    assert token[::-1] not in ours


def test_the_confirmation_path_is_redacted_and_the_bare_page_kept():
    assert (
        redact_secret_paths('"GET /accounts/email/confirm/AbC_12-x/?a=1 HTTP/1.1" 302')
        == '"GET /accounts/email/confirm/[redacted]/?a=1 HTTP/1.1" 302'
    )
    assert redact_secret_paths("POST /accounts/email/confirm/ HTTP/1.1") == (
        "POST /accounts/email/confirm/ HTTP/1.1"
    )


@pytest.mark.django_db(transaction=True)
def test_two_accounts_confirming_one_address_at_once_one_gets_it(mentor, reviewer):
    """The first confirmation holds its transaction open; the second, meanwhile, must wait and be refused."""
    import threading
    import time

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction

    from reviews.email_confirm import email_change_confirm, email_change_request

    if connection.vendor != "postgresql":
        pytest.skip("the address lock is PostgreSQL's")
    changes = [email_change_request(user=user, email="shared@race.example") for user in (mentor, reviewer)]
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                outcomes["first"] = email_change_confirm(
                    change_id=changes[0].pk, digest=changes[0].token_hash, user=mentor
                )
                time.sleep(1.5)  # still uncommitted when the second one checks
        finally:
            connection.close()

    def second() -> None:
        time.sleep(0.5)
        try:
            outcomes["second"] = email_change_confirm(
                change_id=changes[1].pk, digest=changes[1].token_hash, user=reviewer
            )
        except ValidationError as error:
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes["first"] == "shared@race.example"
    assert isinstance(outcomes["second"], ValidationError), outcomes
    assert list(User.objects.filter(email__iexact="shared@race.example").values_list("pk", flat=True)) == [
        mentor.pk
    ]
