"""`make run` with a PostgreSQL DATABASE_URL: create the database it names if it is not there.

A new user following the README's PostgreSQL line got a traceback ("database … does not
exist"). Only for `make run` (scripts/run-local); production creates its database as it deploys.
"""

from __future__ import annotations

import psycopg
from django.db import connection
from psycopg import sql


def ensure_database() -> None:
    """Create ``DATABASES["default"]``'s database on its server if it is PostgreSQL and missing.

    Connects to the server's ``postgres`` database with the same credentials. Prints what it did.
    Raises psycopg's errors when the server cannot be reached or refuses (the message says why).
    """
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return
    params = {
        "dbname": "postgres",
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
    }
    name = settings["NAME"]
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as server:
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created the PostgreSQL database {name!r}.")
