"""The compare page's shell: who may open it, and which pairs it refuses, without a browser.

The page itself (sync, wipe, A/B, the pictures each side shows) is driven in Chromium in
tests/test_compare_page.py.
"""

from __future__ import annotations

import pytest

from tests.factories import ShotFactory, VersionFactory

pytestmark = pytest.mark.django_db


def compare_url(a, b) -> str:
    return f"/review/compare/?a={a}&b={b}"


@pytest.fixture
def takes(shot):
    return VersionFactory(shot=shot), VersionFactory(shot=shot)


def test_it_sends_a_visitor_who_is_not_signed_in_to_the_login_page(client, takes):
    first, second = takes
    response = client.get(compare_url(first.pk, second.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/review/compare/")


def test_it_gives_members_and_staff_the_shell_with_both_versions(client, viewer, staff, takes, shot):
    first, second = takes
    for user in (viewer, staff):
        client.force_login(user)
        response = client.get(compare_url(second.pk, first.pk))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-a-id="{second.pk}"' in html
        assert f'data-b-id="{first.pk}"' in html
        assert f'data-shot-id="{shot.pk}"' in html
        assert f'data-project-id="{shot.project_id}"' in html
        assert "reviews/js/compare.js" in html
        assert "<style" not in html
        assert " style=" not in html


def test_it_answers_the_same_404_page_for_a_version_someone_cannot_see(client, outsider, director, takes):
    first, second = takes
    elsewhere = VersionFactory()  # a project Alice is not in
    client.force_login(outsider)
    assert client.get(compare_url(first.pk, second.pk)).status_code == 404
    client.force_login(director)
    for url in (
        compare_url(first.pk, elsewhere.pk),
        compare_url(elsewhere.pk, first.pk),
        compare_url(first.pk, 99999),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert b"Back to your projects" in response.content
        # Nothing says which of the two is not there, or that it exists.
        assert str(elsewhere.shot.code).encode() not in response.content


def test_it_refuses_versions_of_two_shots_with_a_page_that_says_why(client, director, shot, takes):
    first, _ = takes
    other = VersionFactory(shot=ShotFactory(project=shot.project, code="SH020"))
    client.force_login(director)
    response = client.get(compare_url(first.pk, other.pk))
    assert response.status_code == 400
    text = response.content.decode()
    assert "versions of different shots" in text
    assert "SH010" in text
    assert "SH020" in text


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "has no “a”"),
        ("a=1", "has no “b”"),
        ("a=x&b=2", "“a” must be the id of a version"),
        ("a=1&b=-2", "“b” must be the id of a version"),
        ("a=1&b=%D9%A3", "“b” must be the id of a version"),  # an Arabic-Indic three
        ("a=1&b=99999999999999999999999", "“b” must be the id of a version"),
    ],
)
def test_it_refuses_a_missing_or_malformed_version_with_a_400_page(client, director, query, reason):
    client.force_login(director)
    response = client.get(f"/review/compare/?{query}")
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_it_refuses_to_compare_a_version_with_itself(client, director, takes):
    first, _ = takes
    client.force_login(director)
    response = client.get(compare_url(first.pk, first.pk))
    assert response.status_code == 400
    assert "two different versions" in response.content.decode()


def test_it_costs_the_same_queries_for_any_pair(client, director, takes, django_assert_max_num_queries):
    first, second = takes
    client.force_login(director)
    # Session, user, and one query for both versions with their shot and project.
    with django_assert_max_num_queries(4):
        assert client.get(compare_url(first.pk, second.pk)).status_code == 200


def test_the_version_page_offers_to_compare_with_another_version(client, director, takes):
    first, _ = takes
    client.force_login(director)
    html = client.get(f"/review/versions/{first.pk}/").content.decode()
    assert 'id="compare-select"' in html
