"""An account's own settings: name and email, password change and reset, signing out everywhere.

Bob mentors; Eve has an account too. Reset mail goes through the outbox to a real SMTP server.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token

from reviews.mail import mail_deliver
from reviews.models import OutgoingMail, OutgoingMailState
from tests.conftest import client_for

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new sentence of words"
RESET_LINK = re.compile(r"https?://\S+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def signed_in(username: str, password: str = PASSWORD) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return browser


def deliver_all() -> None:
    for mail in OutgoingMail.objects.filter(state=OutgoingMailState.QUEUED):
        mail_deliver(mail.pk)


# --- PATCH /api/v1/me/ --------------------------------------------------------


def test_the_owner_sets_a_display_name_shown_everywhere(api, mentor):
    response = api(mentor).patch("/api/v1/me/", {"display_name": "  Bob   Marley "}, format="json")

    assert response.status_code == 200
    assert response.json()["display_name"] == "Bob Marley"
    assert api(mentor).get("/api/v1/me/").json()["display_name"] == "Bob Marley"
    mentor.refresh_from_db()
    assert (mentor.first_name, mentor.last_name) == ("Bob Marley", "")


def test_an_empty_display_name_falls_back_to_the_username(api, mentor):
    response = api(mentor).patch("/api/v1/me/", {"display_name": ""}, format="json")

    assert response.json()["display_name"] == "bob"


def test_changing_the_email_needs_the_current_password(api, mentor):
    client = api(mentor)

    refused = client.patch("/api/v1/me/", {"email": "bob@example.com"}, format="json")
    wrong = client.patch("/api/v1/me/", {"email": "bob@example.com", "password": "nope"}, format="json")
    done = client.patch("/api/v1/me/", {"email": "bob@example.com", "password": PASSWORD}, format="json")

    assert refused.status_code == wrong.status_code == 400
    assert "current password" in refused.json()["password"][0]
    assert done.status_code == 200
    # Not the account's address until the link mailed to it is followed (tests/test_email_confirmation.py).
    assert (done.json()["email"], done.json()["pending_email"]) == ("", "bob@example.com")


def test_an_email_belongs_to_one_account_in_any_case(api, mentor, outsider):
    outsider.email = "eve@example.com"
    outsider.save()

    response = api(mentor).patch(
        "/api/v1/me/", {"email": "EVE@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["Another account uses this address; each has its own."]}
    mentor.refresh_from_db()
    assert mentor.email == ""


def test_trying_addresses_in_bulk_is_throttled(api, mentor, outsider, settings):
    settings.AXES_FAILURE_LIMIT = 2
    outsider.email = "eve@example.com"
    outsider.save()
    client = api(mentor)
    answers = [
        client.patch(
            "/api/v1/me/", {"email": "eve@example.com", "password": PASSWORD}, format="json"
        ).status_code
        for _ in range(3)
    ]

    assert answers == [400, 400, 429]


def test_it_refuses_a_patch_without_a_field_or_with_a_bad_address(api, mentor):
    client = api(mentor)

    assert client.patch("/api/v1/me/", {}, format="json").status_code == 400
    bad = client.patch("/api/v1/me/", {"email": "not an address", "password": PASSWORD}, format="json")
    assert bad.status_code == 400
    assert "email" in bad.json()


# --- signing out everywhere ----------------------------------------------------


def test_sign_out_everywhere_revokes_every_token_and_session(api, mentor, outsider):
    laptop, phone, eves = signed_in("bob"), signed_in("bob"), signed_in("eve")
    client = api(mentor)

    response = client.post("/api/v1/me/sign-out-everywhere/")

    assert response.status_code == 204
    assert not Token.objects.filter(user=mentor).exists()
    assert client.get("/api/v1/me/").status_code == 401
    for browser in (laptop, phone):
        assert browser.get("/review/").status_code == 302
    assert eves.get("/review/").status_code == 200
    assert Session.objects.count() == 1


def test_the_account_page_signs_out_everywhere_this_session_included(mentor):
    laptop, phone = signed_in("bob"), signed_in("bob")
    client_for(mentor)

    response = phone.post("/accounts/sign-out-everywhere/")

    assert response["Location"] == "/accounts/login/"
    assert laptop.get("/accounts/").status_code == 302
    assert phone.get("/accounts/").status_code == 302
    assert not Token.objects.filter(user=mentor).exists()


# --- the account page -----------------------------------------------------------


def test_the_account_page_shows_the_forms_to_its_owner_only(client, mentor):
    assert client.get("/accounts/")["Location"] == "/accounts/login/?next=/accounts/"

    page = signed_in("bob").get("/accounts/")

    assert page.status_code == 200
    for form in (
        b'action="/accounts/profile/"',
        b'action="/accounts/password/"',
        b'action="/accounts/sign-out-everywhere/"',
    ):
        assert form in page.content
    assert b"csrfmiddlewaretoken" in page.content


def test_the_account_page_saves_the_name_and_mails_the_new_email_a_link(mentor):
    browser = signed_in("bob")

    saved = browser.post(
        "/accounts/profile/", {"display_name": "Robert", "email": "rob@example.com", "password": PASSWORD}
    )

    assert saved["Location"] == "/accounts/"
    mentor.refresh_from_db()
    assert (mentor.get_full_name(), mentor.email) == ("Robert", "")
    page = browser.get("/accounts/").content
    assert b"We mailed a link to rob@example.com" in page
    assert b'id="pending-email"' in page


def test_the_account_page_says_what_is_wrong_and_saves_nothing(mentor, outsider):
    outsider.email = "eve@example.com"
    outsider.save()
    browser = signed_in("bob")

    no_password = browser.post("/accounts/profile/", {"display_name": "Robert", "email": "rob@example.com"})
    taken = browser.post(
        "/accounts/profile/", {"display_name": "Robert", "email": "Eve@example.com", "password": PASSWORD}
    )

    assert no_password.status_code == taken.status_code == 400
    assert b"current password" in no_password.content
    assert b"Another account uses this address" in taken.content
    mentor.refresh_from_db()
    assert (mentor.first_name, mentor.email) == ("Bob", "")


def test_the_account_page_changes_the_password_and_signs_out_the_other_sessions(api, mentor):
    here, elsewhere = signed_in("bob"), signed_in("bob")
    client = api(mentor)

    changed = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert changed["Location"] == "/accounts/"
    assert here.get("/accounts/").status_code == 200
    assert elsewhere.get("/accounts/").status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
    mentor.refresh_from_db()
    assert mentor.check_password(NEW_PASSWORD)


def test_the_account_page_refuses_a_wrong_old_password(mentor):
    response = signed_in("bob").post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 400
    mentor.refresh_from_db()
    assert mentor.check_password(PASSWORD)


def test_every_account_form_needs_its_csrf_token(mentor):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(mentor)

    for url in (
        "/accounts/profile/",
        "/accounts/password/",
        "/accounts/sign-out-everywhere/",
        "/accounts/password/reset/",
    ):
        assert browser.post(url, {"display_name": "x"}).status_code == 403, url
    mentor.refresh_from_db()
    assert mentor.first_name == "Bob"


# --- password reset by mail -------------------------------------------------------


def test_a_forgotten_password_is_reset_through_the_mail_and_signs_out_everywhere(api, mentor, smtp):
    mentor.email = "bob@example.com"
    mentor.save()
    elsewhere = signed_in("bob")
    client = api(mentor)
    assert b"Forgotten your password?" in Client().get("/accounts/login/").content

    asked = Client().post("/accounts/password/reset/", {"email": "BOB@example.com"})
    assert asked["Location"] == "/accounts/password/reset/sent/"
    deliver_all()
    (message,) = smtp.wait_for(1)
    assert message["To"] == "bob@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = RESET_LINK.search(text).group(1)
    assert link in html
    assert "bob" in text

    browser = Client()
    form_page = browser.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    done = browser.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done["Location"] == "/accounts/password/reset/complete/"
    mentor.refresh_from_db()
    assert mentor.check_password(NEW_PASSWORD)
    assert elsewhere.get("/review/").status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
    assert signed_in("bob", NEW_PASSWORD).get("/review/").status_code == 200
    used = Client().get(link, follow=True)
    assert used.status_code == 410
    assert b"This link does not work" in used.content


def test_a_reset_for_an_unknown_address_looks_the_same_and_mails_nobody(mentor, smtp):
    mentor.email = "bob@example.com"
    mentor.save()

    known = Client().post("/accounts/password/reset/", {"email": "bob@example.com"}, follow=True)
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    # The same page, but for the CSRF token every page carries.
    csrf = re.compile(rb'content="[^"]+"')
    assert csrf.sub(b"", known.content) == csrf.sub(b"", unknown.content)
    assert OutgoingMail.objects.count() == 1
    assert OutgoingMail.objects.get().to == ["bob@example.com"]


def test_asking_again_and_again_sends_one_reset_mail_a_while(mentor, smtp):
    mentor.email = "bob@example.com"
    mentor.save()

    answers = [
        Client().post("/accounts/password/reset/", {"email": "bob@example.com"}).status_code for _ in range(3)
    ]

    assert answers == [302, 302, 302]
    assert OutgoingMail.objects.count() == 1


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com"])
def test_signing_in_never_redirects_off_site(mentor, target):
    response = Client().post("/accounts/login/", {"username": "bob", "password": PASSWORD, "next": target})

    assert response["Location"] == "/review/"
