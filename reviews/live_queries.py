"""Live pages: the queries the hub (reviews/live_feed.py) runs on its own thread, with its own connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min

from reviews.models import Event, ProcessingState, Version


def _guarded(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except Exception:
        connection.close()
        raise


def _close_connection() -> None:
    connection.close()


def _settled_start() -> int:
    """Where a new hub starts: the newest event older than the gap window, so that anything
    younger (perhaps with a gap still filling) is read through ``settle``. With none that old,
    just before the oldest there is; with none at all, the last id the table's sequence gave
    out. Ids below those may belong to deleted events, which must not be waited for as gaps."""
    from datetime import timedelta

    from django.utils import timezone

    horizon = timezone.now() - timedelta(milliseconds=settings.LIVE_GAP_MS)
    newest_old = Event.objects.filter(created_at__lt=horizon).aggregate(newest=Max("id"))["newest"]
    if newest_old is not None:
        return newest_old
    oldest = Event.objects.aggregate(oldest=Min("id"))["oldest"]
    return _last_id_given_out() if oldest is None else oldest - 1


def _last_id_given_out() -> int:
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                return 0
            # The name comes from PostgreSQL itself, schema-qualified and quoted as needed.
            cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")
            return int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    return 0


def _events_after(settled: int, limit: int) -> list[Event]:
    return list(Event.objects.filter(id__gt=settled).select_related("actor").order_by("id")[:limit])


def _project_of_version(version_id: int) -> int | None:
    return Version.objects.filter(pk=version_id).values_list("shot__project_id", flat=True).first()


def _processing_rows(project_ids: list[int]) -> list[tuple[int, int, str, int]]:
    return list(
        Version.objects.filter(
            shot__project_id__in=project_ids,
            processing_state__in=[ProcessingState.QUEUED, ProcessingState.PROCESSING],
        ).values_list("id", "shot__project_id", "processing_state", "processing_progress")
    )


def settle(
    settled: int, rows: list[Event], gaps: dict[int, float], *, now: float, wall: float
) -> tuple[int, list[Event]]:
    """Move the settled point over the rows read past it (ascending ids), stopping at a young gap.

    ``gaps`` (missing id → monotonic time first seen) is updated in place. A missing id is
    given up on once it has been missing for ``LIVE_GAP_MS``, or at once when the event after
    it was created longer ago than that (it was allocated before that event). Returns the new
    settled id and the rows now settled, in order.
    """
    grace = settings.LIVE_GAP_MS / 1000
    ready: list[Event] = []
    expected = settled + 1
    for row in rows:
        if row.pk > expected:
            row_age = wall - row.created_at.timestamp()
            for missing in range(expected, row.pk):
                first_seen = gaps.setdefault(missing, now)
                if now - first_seen < grace and row_age < grace:
                    # Hold back: this id may still commit, and must be sent before what follows it.
                    for later in range(missing + 1, row.pk):
                        gaps.setdefault(later, now)
                    _forget_gaps_below(gaps, missing)
                    return missing - 1, ready
        ready.append(row)
        expected = row.pk + 1
    _forget_gaps_below(gaps, expected)
    return expected - 1, ready


def _forget_gaps_below(gaps: dict[int, float], first_open: int) -> None:
    for missing in [m for m in gaps if m < first_open]:
        del gaps[missing]
