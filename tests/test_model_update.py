"""services.model_update: the one way the update services change a row."""

from __future__ import annotations

from fractions import Fraction

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.models import Project


def test_it_saves_only_the_columns_that_changed(project):
    with CaptureQueriesContext(connection) as queries:
        _, changed = services.model_update(instance=project, data={"name": "Night Swim", "description": ""})
    assert changed == ["name"]
    assert len(queries) == 1
    assert '"description"' not in queries[0]["sql"]
    assert Project.objects.get(pk=project.pk).name == "Night Swim"


def test_it_saves_the_columns_behind_a_property(project):
    _, changed = services.model_update(instance=project, data={"fps": Fraction(30000, 1001)})
    assert changed == ["fps_numerator", "fps_denominator"]
    assert Project.objects.get(pk=project.pk).fps == Fraction(30000, 1001)


def test_it_writes_nothing_when_nothing_changed(project):
    with CaptureQueriesContext(connection) as queries:
        _, changed = services.model_update(instance=project, data={"name": project.name})
    assert (changed, len(queries)) == ([], 0)
