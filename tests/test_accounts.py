"""Accounts: one spelling per name on every path that creates a user, Django's password rules,
and a password change that signs the account out everywhere.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import client_for
from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "correct horse battery staple"
FULLWIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45"
LIGATURE_FIONA = "\ufb01ona"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def create_user(staff, **fields):
    return client_for(staff).post(
        "/api/v1/users/", {"password": "a long fresh pass 7", **fields}, format="json"
    )


@pytest.mark.parametrize("twin", [FULLWIDTH_ALICE, "ALICE", "Alice", "\uff21lice"])
def test_it_refuses_a_twin_of_an_existing_name(staff, director, twin):
    answer = create_user(staff, username=twin)
    assert answer.status_code == 400
    assert "username" in answer.json()
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_it_refuses_a_ligature_twin(staff):
    UserFactory(username="fiona")
    answer = create_user(staff, username=LIGATURE_FIONA)
    assert answer.status_code == 400
    assert "username" in answer.json()


def test_it_keeps_the_normalised_name_and_the_holder_signs_in_with_what_they_typed(staff):
    created = create_user(staff, username=LIGATURE_FIONA, password="a long fresh pass 7")
    assert created.status_code == 201, created.content
    assert created.json()["username"] == "fiona"

    api = client_for(None).post(
        "/api/v1/auth/token/", {"username": LIGATURE_FIONA, "password": "a long fresh pass 7"}, format="json"
    )
    page = Client()
    signed_in = page.post("/accounts/login/", {"username": LIGATURE_FIONA, "password": "a long fresh pass 7"})

    assert api.status_code == 200
    assert signed_in.status_code == 302
    assert int(page.session["_auth_user_id"]) == created.json()["id"]


def test_sign_in_matches_names_in_any_case_on_the_api_and_the_page(director):
    api = client_for(None).post(
        "/api/v1/auth/token/", {"username": "ALICE", "password": PASSWORD}, format="json"
    )
    page = Client()
    signed_in = page.post("/accounts/login/", {"username": "ALICE", "password": PASSWORD})
    assert api.status_code == 200
    assert signed_in.status_code == 302
    assert int(page.session["_auth_user_id"]) == director.pk


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password", "too common"),
        ("73920184", "entirely numeric"),
        ("dave2024x", "similar"),
    ],
)
def test_it_applies_the_password_validators(staff, password, why):
    answer = create_user(staff, username="dave2024x", email="dave@example.com", password=password)
    assert answer.status_code == 400
    assert why in " ".join(answer.json()["password"])
    assert not User.objects.filter(username="dave2024x").exists()


def test_the_database_refuses_a_case_twin_whatever_path_created_it(director):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ALICE")


def test_createsuperuser_refuses_a_twin_with_a_sentence_not_a_traceback(director):
    for twin in ("ALICE", FULLWIDTH_ALICE.upper()):
        with pytest.raises(CommandError, match="already exists"):
            call_command("createsuperuser", interactive=False, username=twin, email="")
    assert User.objects.filter(username__iexact="alice").count() == 1
    call_command(
        "createsuperuser", interactive=False, username="\uff53\uff41\uff4d\uff12", email="", verbosity=0
    )
    assert User.objects.filter(username="sam2", is_superuser=True).exists()


def test_the_admin_refuses_to_rename_an_account_onto_another_s_name(director, mentor, staff):
    staff.is_superuser = True
    staff.save()
    admin = Client()
    admin.force_login(staff)
    form = admin.get(f"/admin/auth/user/{mentor.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(username="ALICE", date_joined_0="2026-01-01", date_joined_1="00:00:00")
    data.pop("groups", None), data.pop("user_permissions", None), data.pop("last_login", None)

    answer = admin.post(f"/admin/auth/user/{mentor.pk}/change/", data)

    assert answer.status_code == 200
    assert "already exists" in answer.content.decode()
    mentor.refresh_from_db()
    assert mentor.username == "bob"


def test_the_admin_creates_no_twin(director, staff):
    staff.is_superuser = True
    staff.save()
    admin = Client()
    admin.force_login(staff)
    answer = admin.post(
        "/admin/auth/user/add/",
        {"username": FULLWIDTH_ALICE, "password1": "a long fresh pass 7", "password2": "a long fresh pass 7"},
    )
    assert answer.status_code == 200
    assert User.objects.filter(username__iexact="alice").count() == 1


# --- a password change signs the account out everywhere --------------------


def _token_client(user):
    client = client_for(user)
    assert client.get("/api/v1/me/").status_code == 200
    return client


def _page_client(user):
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    assert client.get("/review/").status_code == 200
    return client


def test_set_password_revokes_every_token_and_session(director):
    api, page = _token_client(director), _page_client(director)

    director.set_password("a brand new secret 9")
    director.save()

    assert api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=director).exists()
    assert page.get("/review/").status_code == 302  # back to the login page


def test_a_password_reset_revokes_every_token_and_session(director):
    api, page = _token_client(director), _page_client(director)

    form = SetPasswordForm(
        director, {"new_password1": "a brand new secret 9", "new_password2": "a brand new secret 9"}
    )
    assert form.is_valid(), form.errors
    form.save()

    assert api.get("/api/v1/me/").status_code == 401
    assert page.get("/review/").status_code == 302


def test_an_admin_setting_a_password_revokes_every_token(director, staff):
    staff.is_superuser = True
    staff.save()
    api = _token_client(director)
    admin = Client()
    admin.force_login(staff)

    answer = admin.post(
        f"/admin/auth/user/{director.pk}/password/",
        {"password1": "a brand new secret 9", "password2": "a brand new secret 9", "usable_password": "true"},
    )

    assert answer.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


def test_other_saves_keep_the_tokens(director):
    api = _token_client(director)
    _page_client(director)  # signing in saves last_login
    director.first_name = "Alicia"
    director.save()
    assert api.get("/api/v1/me/").status_code == 200


# --- changing your own password ---------------------------------------------


def change_password(client, old, new="a brand new secret 9"):
    return client.post("/api/v1/me/password/", {"old_password": old, "new_password": new}, format="json")


def test_it_changes_the_password_and_hands_back_the_only_token_that_works(director):
    api, other_device, page = _token_client(director), client_for(director), _page_client(director)

    answer = change_password(api, PASSWORD)

    assert answer.status_code == 200, answer.content
    assert other_device.get("/api/v1/me/").status_code == 401
    assert page.get("/review/").status_code == 302
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert api.get("/api/v1/me/").status_code == 200
    director.refresh_from_db()
    assert director.check_password("a brand new secret 9")


def test_a_password_change_from_the_page_keeps_that_session(director):
    page = _page_client(director)
    page.get("/review/")
    answer = page.post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password": "a brand new secret 9"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert page.get("/review/").status_code == 200


def test_it_refuses_a_weak_new_password_or_a_wrong_old_one(director):
    api = _token_client(director)
    weak = change_password(api, PASSWORD, new="password")
    wrong = change_password(api, "not my password")
    assert weak.status_code == 400
    assert "new_password" in weak.json()
    assert wrong.status_code == 400
    assert "old_password" in wrong.json()
    director.refresh_from_db()
    assert director.check_password(PASSWORD)


def test_guessing_the_old_password_with_a_stolen_token_is_locked_out(settings, director):
    api = _token_client(director)
    answers = [change_password(api, f"guess {n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    right = change_password(api, PASSWORD)
    assert answers[-1].status_code == 429
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    director.refresh_from_db()
    assert director.check_password(PASSWORD)


def test_guessing_the_old_password_in_the_admin_is_locked_out(settings, staff):
    admin = Client()
    admin.force_login(staff)
    form = {"new_password1": "a brand new secret 9", "new_password2": "a brand new secret 9"}
    answers = [
        admin.post("/admin/password_change/", {"old_password": f"guess {n}", **form})
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    right = admin.post("/admin/password_change/", {"old_password": PASSWORD, **form})
    assert {answer.status_code for answer in answers[:-1]} == {200}
    assert right.status_code == 429
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_the_admin_password_change_works_and_revokes_tokens(staff):
    api = _token_client(staff)
    admin = Client()
    admin.force_login(staff)
    answer = admin.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new secret 9",
            "new_password2": "a brand new secret 9",
        },
    )
    assert answer.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    ("first", "twin"), [("stra\u00dfe", "STRASSE"), ("STRASSE", "stra\u00dfe"), ("ss", "\u1e9e")]
)
def test_it_refuses_names_that_case_folding_would_make_twins(staff, first, twin):
    # lower() keeps ß apart from ss; Unicode case folding does not, so ß has no place in a name.
    answers = [
        client_for(staff).post(
            "/api/v1/users/", {"username": name, "password": "a-long passphrase 42"}, format="json"
        )
        for name in (first, twin)
    ]
    assert answers[0].status_code in (201, 400)
    assert any(answer.status_code == 400 for answer in answers)
    names = list(User.objects.filter(username__iexact="strasse").values_list("username", flat=True))
    assert len(names) <= 1
    assert not User.objects.filter(username__contains="\u00df").exists()
