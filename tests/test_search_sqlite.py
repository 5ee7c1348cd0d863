"""Search on a real SQLite database, `make run`'s default, where it has no full-text search.

The suite runs on PostgreSQL; these cases run ``manage.py`` against a SQLite file of their own,
because what broke there (a seed compared as JSON, letters escaped in stored JSON) is SQLite's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json
from reviews import search
from reviews.models import Project, Shot, Version

project = Project.objects.create(name="Sky", fps_numerator=24, fps_denominator=1)
shot = Shot.objects.create(project=project, code="SH010")
def take(number, generation):
    return Version.objects.create(shot=shot, number=number, file="originals/x.mp4", original_filename="x.mp4",
                                  size_bytes=1, sha256="0" * 64, generation=generation).pk
takes = {
    "number_seed": take(1, {"prompt": "a wide sky at dawn", "seed": 42}),
    "text_seed": take(2, {"prompt": "a wide sky at dusk", "seed": "7"}),
    "accents": take(3, {"prompt": "un ciel très large, café au lait, 広い空"}),
}
def found(**query):
    return sorted(version.pk for version in search.search_versions(project=project, **query))
def snippet(q):
    return search.snippet_of(search.search_versions(project=project, q=q)[0], q)
print(json.dumps({
    "takes": takes,
    "seed 42": found(q="sky", seed="42"),
    "seed 7": found(q="sky", seed="7"),
    "seed abc": found(q="sky", seed="abc"),
    "seed quoted": found(q="sky", seed='"7'),
    "très": found(q="très"),
    "café": found(q="CAFÉ".lower()),
    "広い空": found(q="広い空"),
    "snippet": snippet("dusk"),
    "any": found(q="which seed made the wide sky shot", match="any"),
    "all": found(q="which seed made the wide sky shot"),
}))
"""


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict:
    database = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "CELERY_BROKER_URL": "memory://"}
    env.pop("REDIS_URL", None)

    def manage(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--no-input", "-v", "0")
    output = manage("shell", "-c", SCRIPT)
    return json.loads(output.strip().splitlines()[-1])


def test_the_seed_is_compared_as_text_whether_stored_as_a_number_or_a_string(answers):
    takes = answers["takes"]
    assert answers["seed 42"] == [takes["number_seed"]]
    assert answers["seed 7"] == [takes["text_seed"]]
    # Not JSON: no 503 for words, quotes or anything else; just no take.
    assert answers["seed abc"] == []
    assert answers["seed quoted"] == []


def test_words_with_letters_beyond_ascii_are_found_in_the_prompt(answers):
    accents = [answers["takes"]["accents"]]
    assert answers["très"] == accents
    assert answers["café"] == accents
    assert answers["広い空"] == accents


def test_the_snippet_marks_the_words_found(answers):
    assert answers["snippet"] == "a wide sky at «dusk» 7"


def test_a_question_typed_as_a_sentence_finds_takes_with_some_of_its_words(answers):
    takes = answers["takes"]
    assert answers["all"] == []
    assert answers["any"] == sorted([takes["number_seed"], takes["text_seed"]])
