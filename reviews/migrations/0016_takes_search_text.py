"""The versions' search index covers only the provenance's search_text (and model names by parts).

The expression is reviews/search.py's VERSION_DOCUMENT_SQL as of this migration, copied so a
later change of it needs a migration of its own. PostgreSQL only, as in 0014.
"""

from django.db import migrations

OLD_EXPRESSION = (
    "(setweight(jsonb_to_tsvector('english'::regconfig, \"generation\", '[\"string\", \"numeric\"]'::jsonb), 'A')"
    " || setweight(to_tsvector('english'::regconfig, \"note\"), 'B')"
    " || setweight(jsonb_to_tsvector('english'::regconfig, \"provenance\", '[\"string\"]'::jsonb), 'C'))"
)
NEW_EXPRESSION = (
    '(setweight(jsonb_to_tsvector(\'english\'::regconfig, "generation", \'["string", "numeric"]\'::jsonb)'
    " || to_tsvector('english'::regconfig, translate(coalesce(\"generation\" ->> 'model', ''), '._-', '   ')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, \"note\"), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(\"provenance\" ->> 'search_text', '') || ' '"
    " || translate(coalesce(\"provenance\" ->> 'search_text', ''), '._-', '   ')), 'C'))"
)


def _recreate(expression):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS version_search_idx")
        schema_editor.execute(
            f"CREATE INDEX version_search_idx ON reviews_version USING gin (({expression}))"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0015_invitation_email_key_mail_secret")]

    operations = [migrations.RunPython(_recreate(NEW_EXPRESSION), _recreate(OLD_EXPRESSION))]
