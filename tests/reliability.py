"""Figures for docs/reliability.md, written by the tests that measure them.

When ``REVIEWSVC_RELIABILITY_LOG`` names a file, each call of ``record`` adds a
JSON line to it; ``scripts/reliability-report`` runs the reliability tests with
it set and renders the markdown from those lines, so every number in the
document comes from a run. Without the variable nothing is written.
"""

from __future__ import annotations

import json
import os
import time

LOG_ENV = "REVIEWSVC_RELIABILITY_LOG"


def record(section: str, **facts: object) -> None:
    path = os.getenv(LOG_ENV)
    if not path:
        return
    line = json.dumps({"section": section, "at": time.time(), **facts}, default=str)
    with open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")
