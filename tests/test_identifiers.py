"""Shot codes and project names that look alike are alike: NFKC, no invisible characters, no case twins."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from reviews.models import Project, Shot
from tests.conftest import client_for
from tests.factories import ShotFactory


def new_shot(user, project, code, **extra):
    return client_for(user).post(
        f"/api/v1/projects/{project.pk}/shots/", {"code": code, **extra}, format="json"
    )


@pytest.mark.parametrize(
    "twin", ["sh010", "Sh010", "sH010", "\uff33\uff28\uff10\uff11\uff10", " SH010 ", "\uff53\uff48010"]
)
def test_it_refuses_a_shot_code_that_only_looks_different(project, shot, director, twin):
    response = new_shot(director, project, twin)

    assert response.status_code == 400
    [message] = response.json()["code"]
    assert f"shot SH010 (The touch), id {shot.pk}" in message
    assert Shot.objects.filter(project=project).count() == 1


def test_it_refuses_renaming_a_shot_to_another_shots_code_in_another_case(project, shot, director):
    other = ShotFactory(project=project, code="SH020")

    response = client_for(director).patch(f"/api/v1/shots/{other.pk}/", {"code": "sh010"}, format="json")

    assert response.status_code == 400
    assert f"id {shot.pk}" in response.json()["code"][0]
    assert (
        client_for(director).patch(f"/api/v1/shots/{shot.pk}/", {"code": "sh010"}, format="json").status_code
        == 200
    )


@pytest.mark.parametrize(
    "code",
    [
        "SH\u200b010",  # zero-width space
        "SH010\u200c",  # zero-width non-joiner
        "SH\u200d010",  # zero-width joiner
        "\u2060SH010",  # word joiner
        "\ufeffSH010",  # byte order mark
        "SH\u00ad010",  # soft hyphen
        "SH\u034f010",  # combining grapheme joiner
        "SH010\ufe0f",  # variation selector
        "SH\u202e010",  # right-to-left override
        "SH\u200e010",  # left-to-right mark
        "SH\u3164010",  # Hangul filler
        "SH\u2800010",  # blank Braille pattern
        "SH\U000e0041010",  # tag letter
        "SH\x07010",  # bell
        "SH\u2028010",  # line separator
        "SH\n010",
        "\u200b",
    ],
)
def test_it_refuses_invisible_characters_in_a_shot_code(project, director, code):
    response = new_shot(director, project, code)

    assert response.status_code == 400
    assert Shot.objects.filter(project=project).count() == 0


def test_it_stores_codes_and_names_in_their_plain_form(project, director):
    shot = new_shot(director, project, "  \uff33\uff28\uff10\uff13\uff10\u00a0 A  ")
    named = client_for(director).post("/api/v1/projects/", {"name": " \uff34he   Hesitation "}, format="json")

    assert shot.status_code == 201
    assert shot.json()["code"] == "SH030 A"
    assert named.status_code == 201
    assert Project.objects.get(pk=named.json()["id"]).name == "The Hesitation"


def test_it_refuses_invisible_characters_in_a_project_name(director):
    response = client_for(director).post("/api/v1/projects/", {"name": "The\u200bHesitation"}, format="json")

    assert response.status_code == 400
    assert "U+200B" in response.json()["name"][0]


@pytest.mark.parametrize(
    "name",
    [
        "\u0641\u06cc\u0644\u0645\u200c\u0647\u0627",  # Persian: the non-joiner is part of the spelling
        "Love \u2764\ufe0f story",  # the emoji form of the heart, as emoji pickers insert it
        "\u0915\u094d\u200d\u0937 scene",  # Devanagari half-form with a joiner
    ],
)
def test_a_project_name_keeps_the_joiners_its_words_are_spelt_with(director, name):
    response = client_for(director).post("/api/v1/projects/", {"name": name}, format="json")

    assert response.status_code == 201, response.content
    assert Project.objects.get(pk=response.json()["id"]).name == name


@pytest.mark.parametrize(
    "name", ["\u200cThe Hesitation", "The \ufe0fHesitation", "The\u200c\u200cHesitation"]
)
def test_a_joiner_that_joins_nothing_is_refused_in_a_name(director, name):
    response = client_for(director).post("/api/v1/projects/", {"name": name}, format="json")

    assert response.status_code == 400


def test_the_database_refuses_a_case_twin(project, shot):
    with pytest.raises(Exception, match="shot_unique_code_nocase"):
        Shot.objects.create(project=project, code="sh010")


def test_the_migration_renames_existing_look_alikes(project):
    """Rows made before the constraint: it is dropped here (inside the test's transaction) to make them."""
    migration = __import__("reviews.migrations.0005_domain_hardening", fromlist=["rename_look_alike_codes"])
    constraint = next(c for c in Shot._meta.constraints if c.name == "shot_unique_code_nocase")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Shot, constraint)
    first = ShotFactory(project=project, code="SH010")
    twins = [ShotFactory(project=project, code=code) for code in ("sh010", "SH\u200b010", "Sh010")]
    taken = ShotFactory(project=project, code="SH010 (2)")

    with connection.schema_editor() as editor:
        migration.rename_look_alike_codes(apps, editor)
        editor.add_constraint(Shot, constraint)

    codes = dict(Shot.objects.values_list("pk", "code"))
    assert codes[first.pk] == "SH010"
    assert codes[taken.pk] == "SH010 (2)"
    # Each twin keeps the code it was given, with the first number free in any case.
    assert [codes[twin.pk] for twin in twins] == ["sh010 (3)", "SH010 (4)", "Sh010 (5)"]


@pytest.mark.parametrize(
    ("code", "twin"), [("Stra\u00dfe", "STRASSE"), ("\u03a3\u0391\u03a31", "\u03c3\u03b1\u03c21")]
)
def test_it_refuses_a_shot_code_that_case_folding_makes_a_twin(project, director, code, twin):
    answers = [new_shot(director, project, text) for text in (code, twin)]

    assert sorted(answer.status_code for answer in answers) == [201, 400]
    refused = next(answer for answer in answers if answer.status_code == 400)
    assert "code" in refused.json()
    assert Shot.objects.filter(project=project).count() == 1
