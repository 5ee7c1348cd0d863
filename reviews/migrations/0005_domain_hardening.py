"""A note deleted by its author while others' replies stay, and shot codes unique without regard to case.

Existing shots may already hold codes that differ only by case, or by an
invisible character: their codes are normalised as new ones are
(reviews.identifiers, copied here so this migration never changes), and every
twin but the oldest is renamed "SH010 (2)", "SH010 (3)"… before the constraint
is added.
"""

import re
import unicodedata

import django.db.models.functions.text
from django.db import migrations, models

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def _clean(code):
    code = unicodedata.normalize("NFKC", code)
    code = "".join(
        char
        for char in code
        if not _INVISIBLE.match(char) and unicodedata.category(char) not in ("Cc", "Cf", "Co", "Cs", "Cn")
    )
    return " ".join(code.split())


def rename_look_alike_codes(apps, schema_editor):
    Shot = apps.get_model("reviews", "Shot")
    for shot in Shot.objects.only("id", "code"):
        clean = _clean(shot.code)[:64] or f"shot {shot.pk}"
        if clean != shot.code:
            Shot.objects.filter(pk=shot.pk).update(code=clean)
    # The database's lower(), not Python's: the constraint is built on it.
    keyed = Shot.objects.annotate(key=django.db.models.functions.text.Lower("code"))
    seen = set()
    for shot in keyed.order_by("project_id", "key", "id").only("id", "project_id", "code"):
        if (shot.project_id, shot.key) not in seen:
            seen.add((shot.project_id, shot.key))
            continue
        number = 2
        while True:
            suffix = f" ({number})"
            candidate = shot.code[: 64 - len(suffix)] + suffix
            if not keyed.filter(
                project_id=shot.project_id, key=django.db.models.functions.text.Lower(models.Value(candidate))
            ).exists():
                break
            number += 1
        Shot.objects.filter(pk=shot.pk).update(code=candidate)
    if schema_editor.connection.vendor == "postgresql":
        # Deferred foreign-key checks of the rows just written must run now: PostgreSQL
        # will not build the constraint's index over a table with checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_auth_hardening"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="shot",
            name="shot_unique_code",
        ),
        migrations.AddField(
            model_name="comment",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(rename_look_alike_codes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="shot",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("code"),
                models.F("project"),
                name="shot_unique_code_nocase",
            ),
        ),
    ]
