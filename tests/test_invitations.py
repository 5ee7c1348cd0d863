"""Invitations: Alice, who directs, invites people by email; the link in the mail makes them members.

Mail goes through the outbox to a real SMTP server (the ``smtp`` fixture); the
links are read from the messages it received.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from reviews import invitations
from reviews.mail import mail_deliver
from reviews.models import Event, EventKind, Invitation, Membership, OutgoingMail, OutgoingMailState
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/invitations/([A-Za-z0-9_-]{40,})/")


def deliver(smtp) -> list:
    """Send every queued mail through the SMTP server; return everything it has received."""
    queued = OutgoingMail.objects.filter(state=OutgoingMailState.QUEUED).order_by("id")
    for mail in queued:
        mail_deliver(mail.pk)
    return smtp.messages


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_path(message) -> str:
    """The invitation link of a received mail, as a path on this site."""
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return f"/invitations/{match.group(1)}/"


def invite(api, director, project, email: str = "frank@example.com", role: str = "reviewer"):
    return api(director).post(
        f"/api/v1/projects/{project.pk}/invitations/", {"email": email, "role": role}, format="json"
    )


def sent_link(api, director, project, smtp, **fields) -> str:
    response = invite(api, director, project, **fields)
    assert response.status_code == 201, response.json()
    return link_path(deliver(smtp)[-1])


def test_the_invitee_receives_a_text_and_html_mail_naming_project_inviter_role_and_expiry(
    api, director, project, smtp
):
    response = invite(api, director, project, email="Frank@Example.com", role="mentor")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "Frank@Example.com"
    assert body["role"] == "mentor"
    assert body["state"] == "pending"
    assert "token" not in str(body).lower()
    (message,) = deliver(smtp)
    assert message["To"] == "Frank@Example.com"
    assert "The Hesitation" in message["Subject"]
    for part in (text_of(message), html_of(message)):
        assert "Alice" in part
        assert "The Hesitation" in part
        assert "mentor" in part
        assert "7 days" in part
    assert link_path(message) in html_of(message)
    token = link_path(message).split("/")[2]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == invitations.token_hash(token)
    assert token not in invitation.token_hash
    assert abs(invitation.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_only_a_director_may_invite_list_resend_or_revoke(api, director, mentor, outsider, project):
    invite(api, director, project)
    invitation = Invitation.objects.get()
    base = f"/api/v1/projects/{project.pk}/invitations/"

    for user, expected in ((mentor, 403), (outsider, 404)):
        client = api(user)
        assert client.get(base).status_code == expected
        assert (
            client.post(base, {"email": "x@example.com", "role": "viewer"}, format="json").status_code
            == expected
        )
        assert client.post(f"{base}{invitation.pk}/resend/").status_code == expected
        assert client.delete(f"{base}{invitation.pk}/").status_code == expected
    assert "director" in api(mentor).get(base).json()["detail"]


def test_directors_list_open_invitations_in_a_constant_number_of_queries(
    api, director, project, django_assert_num_queries
):
    for number in range(3):
        invite(api, director, project, email=f"person{number}@example.com")
    invitations.invitation_revoke(invitation=Invitation.objects.get(email="person0@example.com"))
    client = api(director)

    with django_assert_num_queries(3):  # the token, the project with the role, the invitations
        response = client.get(f"/api/v1/projects/{project.pk}/invitations/")

    assert [row["email"] for row in response.json()] == ["person1@example.com", "person2@example.com"]
    assert response.json()[0]["invited_by"] == "Alice"


def test_inviting_an_existing_member_is_refused_clearly(api, director, mentor, project):
    mentor.email = "bob@example.com"
    mentor.save()

    response = invite(api, director, project, email="BOB@example.com")

    assert response.status_code == 400
    assert response.json() == {"email": ["bob, who has that address, is already a member of this project."]}
    assert not Invitation.objects.exists()


def test_inviting_an_address_again_in_any_case_renews_its_pending_invitation(api, director, project, smtp):
    first = sent_link(api, director, project, smtp, email="frank@example.com", role="viewer")

    second = sent_link(api, director, project, smtp, email="FRANK@example.com", role="mentor")

    invitation = Invitation.objects.get()
    assert invitation.role == "mentor"
    assert len(smtp.messages) == 2
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 302


def test_a_new_person_chooses_a_name_and_password_and_becomes_a_signed_in_member(
    api, director, project, smtp
):
    link = sent_link(api, director, project, smtp, role="reviewer")
    browser = Client()

    opened = browser.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == "/invitations/accept/"
    page = browser.get("/invitations/accept/")
    assert page.status_code == 200
    assert b"The Hesitation" in page.content
    assert b"Alice" in page.content

    joined = browser.post(
        "/invitations/accept/",
        {
            "username": "frank",
            "display_name": "Frank Ocean",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )

    assert joined.status_code == 302
    assert joined["Location"] == f"/review/projects/{project.pk}/"
    membership = Membership.objects.get(project=project, user__username="frank")
    assert membership.role == "reviewer"
    assert membership.user.email == "frank@example.com"
    assert membership.user.get_full_name() == "Frank Ocean"
    assert browser.get(f"/review/projects/{project.pk}/").status_code == 200
    event = Event.objects.get(kind=EventKind.MEMBER_ADDED)
    assert event.actor == membership.user
    assert event.payload["role"] == "reviewer"
    used = Client().get(link)
    assert used.status_code == 410
    assert b"has been used" in used.content


def test_it_refuses_a_weak_password_or_a_taken_name_and_creates_nothing(
    api, director, project, smtp, outsider
):
    link = sent_link(api, director, project, smtp)
    browser = Client()
    browser.get(link)

    weak = browser.post(
        "/invitations/accept/",
        {"username": "frank", "password": "12345678", "password_again": "12345678"},
    )
    taken = browser.post(
        "/invitations/accept/",
        {"username": "EVE", "password": PASSWORD, "password_again": PASSWORD},
    )
    differ = browser.post(
        "/invitations/accept/",
        {"username": "frank", "password": PASSWORD, "password_again": PASSWORD + "!"},
    )

    spaced = browser.post(
        "/invitations/accept/",
        {"username": "frank ocean", "password": PASSWORD, "password_again": PASSWORD},
    )
    # NFKC makes the one character "㍿" four: 40 of them pass the form's 150 but not the column's.
    lengthened = browser.post(
        "/invitations/accept/",
        {"username": "㍿" * 40, "password": PASSWORD, "password_again": PASSWORD},
    )

    assert weak.status_code == taken.status_code == differ.status_code == 400
    assert spaced.status_code == lengthened.status_code == 400
    assert b"Enter a valid username" in spaced.content
    assert b"at most 150 characters" in lengthened.content
    assert b"too common" in weak.content
    assert b"already exists" in taken.content
    assert b"differ" in differ.content
    assert not Membership.objects.filter(project=project, role="reviewer").exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_existing_user_signs_in_and_accepts_into_their_account_told_the_address_differs(
    api, director, project, smtp, outsider
):
    outsider.email = "eve@elsewhere.example"
    outsider.save()
    link = sent_link(api, director, project, smtp, email="eve.work@example.com", role="viewer")
    browser = Client()
    browser.get(link)
    page = browser.get("/invitations/accept/")
    assert b'href="/accounts/login/?next=/invitations/accept/"' in page.content

    signed_in = browser.post(
        "/accounts/login/", {"username": "Eve", "password": PASSWORD, "next": "/invitations/accept/"}
    )
    assert signed_in["Location"] == "/invitations/accept/"
    page = browser.get("/invitations/accept/")
    assert b"not as eve.work@example.com" in page.content
    joined = browser.post("/invitations/accept/")

    assert joined.status_code == 302
    assert Membership.objects.get(project=project, user=outsider).role == "viewer"
    assert Invitation.objects.get().accepted_by == outsider


def test_a_member_who_opens_an_invitation_is_told_their_role_stays(api, director, project, smtp, outsider):
    link = sent_link(api, director, project, smtp, email="helper@example.com", role="director")
    Membership.objects.create(project=project, user=outsider, role="mentor")  # added meanwhile
    browser = Client()
    browser.force_login(outsider)
    browser.get(link)

    page = browser.get("/invitations/accept/")
    assert b"already a member of this project, as mentor" in page.content
    assert b"the invitation was as director" in page.content
    assert b"Open the project" in page.content
    assert browser.post("/invitations/accept/").status_code == 302
    assert Membership.objects.get(project=project, user=outsider).role == "mentor"


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ("expire", 410, b"has expired"),
        ("revoke", 410, b"was withdrawn"),
        ("accept", 410, b"has been used"),
        ("resend", 404, b"replaced by a newer mail"),
    ],
)
def test_a_dead_link_answers_with_a_page_saying_why(
    api, director, project, smtp, outsider, change, status, words
):
    link = sent_link(api, director, project, smtp)
    invitation = Invitation.objects.get()
    if change == "expire":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif change == "revoke":
        assert (
            api(director).delete(f"/api/v1/projects/{project.pk}/invitations/{invitation.pk}/").status_code
            == 204
        )
    elif change == "accept":
        invitations.invitation_accept(invitation_id=invitation.pk, user=outsider)
    else:
        assert (
            api(director)
            .post(f"/api/v1/projects/{project.pk}/invitations/{invitation.pk}/resend/")
            .status_code
            == 200
        )

    response = Client().get(link)

    assert response.status_code == status
    assert words in response.content
    assert b"<main" in response.content  # the site's page, not JSON


def test_a_link_revoked_after_it_was_opened_cannot_be_accepted(api, director, project, smtp, outsider):
    link = sent_link(api, director, project, smtp)
    browser = Client()
    browser.force_login(outsider)
    browser.get(link)
    api(director).delete(f"/api/v1/projects/{project.pk}/invitations/{Invitation.objects.get().pk}/")

    response = browser.post("/invitations/accept/")

    assert response.status_code == 410
    assert not Membership.objects.filter(user=outsider).exists()


def test_resend_mails_a_new_link_and_kills_the_old_one(api, director, project, smtp):
    old = sent_link(api, director, project, smtp)
    invitation = Invitation.objects.get()

    response = api(director).post(f"/api/v1/projects/{project.pk}/invitations/{invitation.pk}/resend/")

    assert response.status_code == 200
    new = link_path(deliver(smtp)[-1])
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 302


def test_wrong_tokens_are_throttled_but_the_right_one_still_opens(api, director, project, smtp, settings):
    settings.AXES_FAILURE_LIMIT = 3
    link = sent_link(api, director, project, smtp)
    guesser = Client()

    answers = [
        guesser.get(f"/invitations/guess{number}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/").status_code
        for number in range(4)
    ]
    blocked = guesser.get("/invitations/guess9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/")
    right = guesser.get(link)

    assert answers == [404, 404, 404, 429]
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert b"Too many wrong" in blocked.content
    # A 256-bit token is not guessed: refusing it would only lock its invitee out.
    assert right.status_code == 302


def test_the_token_never_reaches_a_log(api, director, project, smtp, outsider, caplog):
    caplog.set_level(logging.DEBUG)
    link = sent_link(api, director, project, smtp)
    token = link.split("/")[2]
    browser = Client()

    browser.get(link)
    browser.get("/invitations/accept/")
    browser.post("/invitations/accept/", {"username": "frank", "password": "x", "password_again": "y"})
    browser.post(
        "/invitations/accept/", {"username": "frank", "password": PASSWORD, "password_again": PASSWORD}
    )
    Client().get(link)  # used: 410
    Client().get(link.replace(token, token[::-1]))  # wrong: 404

    # The test's SMTP server (aiosmtpd, logger "mail.log") logs the message it receives; ours must not.
    ours = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")
    )
    assert "Not Found" in ours or "sent invitation" in ours  # there was logging, just not of the token
    assert token not in ours
    assert token[::-1] not in ours


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil.com", "/\\evil.com", "http://testserver@evil.com"]
)
def test_next_cannot_send_anyone_off_site_on_sign_in_or_accept(
    api, director, project, smtp, outsider, target
):
    signed_in = Client().post("/accounts/login/", {"username": "eve", "password": PASSWORD, "next": target})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/review/"

    link = sent_link(api, director, project, smtp)
    browser = Client()
    browser.force_login(outsider)
    browser.get(link)
    joined = browser.post("/invitations/accept/", {"next": target})
    assert joined["Location"] == f"/review/projects/{project.pk}/"


def test_next_may_lead_to_a_page_of_this_site_after_accepting(api, director, project, smtp, outsider):
    link = sent_link(api, director, project, smtp)
    browser = Client()
    browser.force_login(outsider)
    browser.get(link)

    joined = browser.post("/invitations/accept/", {"next": "/accounts/"})

    assert joined["Location"] == "/accounts/"


def test_the_accept_form_needs_its_csrf_token(api, director, project, smtp, outsider):
    link = sent_link(api, director, project, smtp)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(outsider)
    browser.get(link)

    response = browser.post("/invitations/accept/")

    assert response.status_code == 403
    assert not Membership.objects.filter(user=outsider).exists()


@pytest.mark.django_db(transaction=True)
def test_two_accepts_of_one_link_at_once_make_one_membership(project):
    from tests.factories import MembershipFactory

    alice = UserFactory(username="alice")
    MembershipFactory(project=project, user=alice, role="director")
    invitation = invitations.invitation_create(
        project=project, email="pair@example.com", role="viewer", by=alice
    )
    people = [UserFactory(username="gina"), UserFactory(username="hank")]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user) -> None:
        try:
            start.wait()
            invitations.invitation_accept(invitation_id=invitation.pk, user=user)
            outcomes.append("joined")
        except invitations.InvitationGone as gone:
            outcomes.append(str(gone.state))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "joined"]
    assert Membership.objects.filter(project=project, role="viewer").count() == 1
    assert Event.objects.filter(kind=EventKind.MEMBER_ADDED).count() == 1
