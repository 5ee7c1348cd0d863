"""A reply lives on the same version as the comment it answers, enforced by the database.

Django has no composite foreign keys, so this adds one by hand on PostgreSQL
(parent and thread, each with the version, must match a comment's id and
version) and the equivalent triggers on SQLite.
"""

from __future__ import annotations

from django.db import migrations

POSTGRES_FORWARD = [
    f"""ALTER TABLE reviews_comment ADD CONSTRAINT comment_{column}_same_version
        FOREIGN KEY ({column}_id, version_id) REFERENCES reviews_comment (id, version_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"""
    for column in ("parent", "thread")
]
POSTGRES_BACKWARD = [
    f"ALTER TABLE reviews_comment DROP CONSTRAINT comment_{column}_same_version"
    for column in ("parent", "thread")
]
SQLITE_FORWARD = [
    f"""CREATE TRIGGER comment_{column}_same_version_{event.split()[0].lower()}
        BEFORE {event} ON reviews_comment
        WHEN NEW.{column}_id IS NOT NULL
         AND (SELECT version_id FROM reviews_comment WHERE id = NEW.{column}_id) IS NOT NEW.version_id
        BEGIN SELECT RAISE(ABORT, 'a reply must be on the same version as its parent'); END"""
    for column in ("parent", "thread")
    for event in ("INSERT", f"UPDATE OF {column}_id, version_id")
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER comment_{column}_same_version_{event}"
    for column in ("parent", "thread")
    for event in ("insert", "update")
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
