"""Two people changing the same thing at the same moment, through a real gunicorn on PostgreSQL.

Each case runs many rounds, because one round of a race proves little: the
requests of a round are released together, each on its own connection.
"""

from __future__ import annotations

import pytest
import requests
from rest_framework.authtoken.models import Token

from harness.processes import Gunicorn
from reviews.models import Comment, Membership, Role
from tests.conftest import member
from tests.factories import CommentFactory, ProjectFactory, VersionFactory
from tests.test_concurrency import all_at_once

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


@pytest.fixture
def server(tmp_path):
    gunicorn = Gunicorn(tmp_path, workers=2, threads=4).start()
    yield gunicorn
    gunicorn.stop()


def token(user) -> dict[str, str]:
    key, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {key.key}"}


@pytest.mark.parametrize("how", ["demote", "leave", "one_of_each"])
def test_it_keeps_a_director_when_two_directors_step_down_at_once(server, how):
    for round_ in range(ROUNDS):
        project = ProjectFactory(name=f"Race {round_}")
        alice = member(project, "alice", Role.DIRECTOR)
        bob = member(project, "bob", Role.DIRECTOR)
        people = [alice, bob]

        def step_down(index: int, project=project, people=people) -> requests.Response:
            user = people[index]
            url = f"{server.url}/api/v1/projects/{project.pk}/members/{user.pk}/"
            leave = how == "leave" or (how == "one_of_each" and index == 1)
            if leave:
                return requests.delete(url, headers=token(user), timeout=60)
            return requests.patch(url, json={"role": "mentor"}, headers=token(user), timeout=60)

        answers = all_at_once(2, step_down)
        directors = Membership.objects.filter(project=project, role=Role.DIRECTOR).count()
        assert directors == 1, f"round {round_}: {[answer.status_code for answer in answers]}"
        assert sorted(answer.status_code for answer in answers)[1] == 400


def test_it_stores_the_mentions_of_the_body_it_keeps_under_parallel_edits(server, project):
    carol = member(project, "carol", Role.REVIEWER)
    names = ["alice", "bob", "dave", "erin"]
    for name in names:
        member(project, name, Role.VIEWER)
    version = VersionFactory(shot__project=project)
    headers = token(carol)
    for round_ in range(ROUNDS):
        comment = CommentFactory(version=version, author=carol, body="first")
        url = f"{server.url}/api/v1/comments/{comment.pk}/"
        answers = all_at_once(
            4,
            lambda index, url=url, round_=round_: requests.patch(
                url, json={"body": f"@{names[index]} round {round_}"}, headers=headers, timeout=60
            ),
        )
        assert [answer.status_code for answer in answers] == [200] * 4
        stored = Comment.objects.get(pk=comment.pk)
        mentioned = sorted(stored.mentions.values_list("username", flat=True))
        assert mentioned == [stored.body.split()[0][1:]], (
            f"round {round_}: {stored.body!r} mentions {mentioned}"
        )


def test_a_reply_posted_while_the_author_deletes_her_note_is_never_lost(server, project):
    carol = member(project, "carol", Role.REVIEWER)
    bob = member(project, "bob", Role.MENTOR)
    version = VersionFactory(shot__project=project)
    for round_ in range(ROUNDS):
        note = CommentFactory(version=version, author=carol, body=f"note {round_}")

        def act(index: int, note=note) -> requests.Response:
            if index == 0:
                return requests.delete(
                    f"{server.url}/api/v1/comments/{note.pk}/", headers=token(carol), timeout=60
                )
            return requests.post(
                f"{server.url}/api/v1/versions/{version.pk}/comments/",
                json={"body": "wait, keep it", "parent": note.pk},
                headers=token(bob),
                timeout=60,
            )

        deleted, replied = all_at_once(2, act)
        assert deleted.status_code == 204, f"round {round_}: {deleted.status_code} {deleted.text}"
        if replied.status_code == 201:
            # The reply got in first: the note stays, as deleted, to keep it.
            assert Comment.objects.filter(pk=replied.json()["id"]).exists(), f"round {round_}"
            assert Comment.objects.get(pk=note.pk).deleted_at is not None
        else:
            # The delete got in first: the reply is refused, not half-stored.
            assert replied.status_code in (400, 404), f"round {round_}: {replied.status_code} {replied.text}"
            assert not Comment.objects.filter(pk=note.pk).exists()
