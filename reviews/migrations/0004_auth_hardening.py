"""Usernames are unique regardless of case (reviews.accounts): "Alice" cannot be created beside "alice".

An index on an expression of another app's table is not something Django's
model state can describe, so it is plain SQL, the same on PostgreSQL and SQLite.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("reviews", "0003_event"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX reviews_username_lower_uniq ON auth_user (LOWER(username))",
            reverse_sql="DROP INDEX reviews_username_lower_uniq",
        ),
    ]
