"""``createsuperuser`` with the username rules of every other way in (reviews.accounts).

Django's command looks a name up exactly, so a case or width twin of an existing
account got past it and then failed on the ``lower(username)`` index with a
traceback. Here it is refused with the same sentence as an exact duplicate
(Django's user manager stores the name NFKC-normalised).
"""

from __future__ import annotations

from django.contrib.auth.management.commands import createsuperuser

from reviews.accounts import normalize_username, username_problem


class Command(createsuperuser.Command):
    def _validate_username(self, username: str, verbose_field_name: str, database: str) -> str | None:
        problem = username_problem(normalize_username(username)) if username else None
        if problem:
            return f"Error: {problem}"
        return super()._validate_username(normalize_username(username), verbose_field_name, database)
