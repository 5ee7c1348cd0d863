"""The search indexes read angle brackets as U+2039 and U+203A: PostgreSQL's parser dropped "<lora:grain:0.8>"
and "a<b and c>d" as markup tags. The expressions are reviews/search.py's VERSION_DOCUMENT_SQL and
COMMENT_DOCUMENT_SQL as of this migration, copied so a later change needs a migration of its own.
PostgreSQL only, as in 0014 and 0016.
"""

from django.db import migrations

OLD_VERSION = (
    '(setweight(jsonb_to_tsvector(\'english\'::regconfig, "generation", \'["string", "numeric"]\'::jsonb)'
    " || to_tsvector('english'::regconfig, translate(coalesce(\"generation\" ->> 'model', ''), '._-', '   ')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, \"note\"), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(\"provenance\" ->> 'search_text', '') || ' '"
    " || translate(coalesce(\"provenance\" ->> 'search_text', ''), '._-', '   ')), 'C'))"
)
NEW_VERSION = (
    "(setweight(jsonb_to_tsvector('english'::regconfig, translate(\"generation\"::text, '<>', '\u2039\u203a')::jsonb,"
    ' \'["string", "numeric"]\'::jsonb)'
    " || to_tsvector('english'::regconfig, translate(coalesce(\"generation\" ->> 'model', ''), '._-', '   ')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, translate(\"note\", '<>', '\u2039\u203a')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, translate(coalesce(\"provenance\" ->> 'search_text', ''),"
    " '<>', '\u2039\u203a') || ' ' || translate(coalesce(\"provenance\" ->> 'search_text', ''), '._-', '   ')), 'C'))"
)
OLD_COMMENT = "to_tsvector('english'::regconfig, \"body\")"
NEW_COMMENT = "to_tsvector('english'::regconfig, translate(\"body\", '<>', '\u2039\u203a'))"


def _recreate(version_expression: str, comment_expression: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS version_search_idx")
        schema_editor.execute(
            f"CREATE INDEX version_search_idx ON reviews_version USING gin (({version_expression}))"
        )
        schema_editor.execute("DROP INDEX IF EXISTS comment_search_idx")
        schema_editor.execute(
            f"CREATE INDEX comment_search_idx ON reviews_comment USING gin (({comment_expression}))"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0017_email_change")]

    operations = [
        migrations.RunPython(_recreate(NEW_VERSION, NEW_COMMENT), _recreate(OLD_VERSION, OLD_COMMENT))
    ]
