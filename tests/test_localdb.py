"""`make run` with a PostgreSQL DATABASE_URL creates the database it names (reviewsvc/localdb.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_creates_the_postgresql_database_the_url_names():
    name = f"localdb_{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}
    command = [
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        "from reviewsvc.localdb import ensure_database; ensure_database()",
    ]
    try:
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr[-2000:]
        assert f"Created the PostgreSQL database '{name}'." in first.stdout
        assert again.returncode == 0
        assert "Created" not in again.stdout  # there already: nothing to do
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}"')
