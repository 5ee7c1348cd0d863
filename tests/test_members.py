"""Adding a member reveals no account the director does not already know.

A director names the person exactly (username or email, in any case) or gives
the id of someone they already share a project with. Every other try gets one
and the same answer, so counting through ids or guessing emails finds no one.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from reviews.models import Membership
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory


@pytest.fixture
def evesproject(outsider):
    project = ProjectFactory(name="Eve's heist")
    Membership.objects.create(project=project, user=outsider, role="director")
    return project


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def add(by, project, **fields):
    return client_for(by).post(
        f"/api/v1/projects/{project.pk}/members/", {"role": "viewer", **fields}, format="json"
    )


def test_it_answers_every_id_the_same_to_a_director_who_knows_no_one(
    settings, evesproject, outsider, director, mentor, reviewer, viewer, staff
):
    # Every id is tried here; the limit on misses is tested on its own below.
    settings.AXES_FAILURE_LIMIT = 1000
    # Ids around the people this test made (ids grow over a whole test run), unknown ones included.
    pks = [user.pk for user in (director, mentor, reviewer, viewer, staff)]
    ids = range(max(1, min(pks) - 5), max(pks) + 5)
    answers = [add(outsider, evesproject, user=pk) for pk in ids if pk != outsider.pk]

    assert {answer.status_code for answer in answers} == {400}
    assert len({answer.content for answer in answers}) == 1
    assert b"alice" not in answers[0].content.lower()
    assert list(evesproject.memberships.values_list("user__username", flat=True)) == ["eve"]


def test_unknown_names_and_emails_get_the_answer_an_unrelated_id_gets(evesproject, outsider, director):
    director.email = "alice@example.com"
    director.save()
    answers = [
        add(outsider, evesproject, user=director.pk),
        add(outsider, evesproject, user=10**9),
        add(outsider, evesproject, username="nobody"),
        add(outsider, evesproject, email="nobody@example.com"),
    ]
    assert {answer.status_code for answer in answers} == {400}
    assert len({answer.content for answer in answers}) == 1


def test_it_adds_someone_by_their_exact_username_in_any_case(evesproject, outsider, mentor):
    answer = add(outsider, evesproject, username="BOB")
    assert answer.status_code == 201, answer.content
    assert answer.json()["username"] == "bob"
    assert "email" not in answer.json()


def test_it_adds_someone_by_their_email(evesproject, outsider, mentor):
    mentor.email = "Bob@Example.com"
    mentor.save()
    answer = add(outsider, evesproject, email="bob@example.com")
    assert answer.status_code == 201, answer.content
    assert answer.json()["user"] == mentor.pk


def test_an_email_two_accounts_share_adds_no_one(evesproject, outsider, mentor, reviewer):
    for user in (mentor, reviewer):
        user.email = "team@example.com"
        user.save()
    unknown = add(outsider, evesproject, email="nobody@example.com")
    shared = add(outsider, evesproject, email="team@example.com")
    assert shared.status_code == 400
    assert shared.content == unknown.content


def test_it_adds_by_id_someone_the_director_already_works_with(project, director, mentor):
    second = ProjectFactory(name="The Hesitation, part two")
    Membership.objects.create(project=second, user=director, role="director")
    answer = add(director, second, user=mentor.pk, role="mentor")
    assert answer.status_code == 201, answer.content
    assert answer.json()["username"] == "bob"


def test_staff_may_add_anyone_by_id(project, director, staff):
    newcomer = UserFactory(username="newcomer")
    assert add(staff, project, user=newcomer.pk).status_code == 201


def test_it_asks_for_exactly_one_way_to_name_the_person(evesproject, outsider, mentor):
    answer = add(outsider, evesproject, username="bob", user=mentor.pk)
    assert answer.status_code == 400
    assert "exactly one" in answer.json()["detail"]


def test_a_director_guessing_names_is_cut_off(settings, evesproject, outsider, mentor):
    misses = [add(outsider, evesproject, username=f"guess{n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    hit = add(outsider, evesproject, username="bob")
    assert {miss.status_code for miss in misses} == {400}
    assert hit.status_code == 429
    assert int(hit["Retry-After"]) > 0
    assert not Membership.objects.filter(user=mentor, project=evesproject).exists()
