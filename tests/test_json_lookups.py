"""No query in reviews/ uses a JSON lookup SQLite lacks: `make run` runs on SQLite, the tests on PostgreSQL.

Django raises NotSupportedError on SQLite for ``contains`` and ``contained_by`` on a JSONField
(editing a note to add a mention crashed that way). This finds every such lookup, whatever
the model, so the kind of mistake cannot come back unseen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import NotSupportedError, connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.models import JSONField

from reviews.models import Notification, NotificationReason

ROOT = Path(__file__).resolve().parent.parent / "reviews"
LOOKUP = re.compile(r"\b(\w+?)__(contains|contained_by)\b")


def json_field_names() -> set[str]:
    return {
        field.name
        for model in apps.get_app_config("reviews").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, JSONField)
    }


def test_no_code_in_reviews_uses_a_json_lookup_that_sqlite_refuses():
    names = json_field_names()
    assert "reasons" in names
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in LOOKUP.finditer(line):
                # The field is the last part before the lookup (``event__payload__contains``: payload).
                field = match.group(1).rsplit("__", 1)[-1]
                if field in names:
                    found.append(f"{path.relative_to(ROOT.parent)}:{number}: {line.strip()}")
    assert found == []


def test_a_json_contains_lookup_is_what_sqlite_refuses():
    """The check above looks for the right thing: this query cannot even be compiled for SQLite."""
    sqlite = DatabaseWrapper(
        {**connections["default"].settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    )
    query = Notification.objects.filter(reasons__contains=[NotificationReason.MENTIONED]).query
    with pytest.raises(NotSupportedError):
        query.get_compiler(connection=sqlite).as_sql()
    fixed = (
        Notification.objects.filter(event__subject_type="comment")
        .values_list("recipient_id", "reasons")
        .query
    )
    fixed.get_compiler(connection=sqlite).as_sql()
