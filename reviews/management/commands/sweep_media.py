"""Remove media files no row owns, as the workers do every REVIEWSVC_SWEEP_SECONDS.

manage.py sweep_media               # remove them, one line each as it goes
manage.py sweep_media --dry-run     # only list them
manage.py sweep_media --grace 0     # also what changed just now (no upload or render running!)

The upload temp folder still waits out REVIEWSVC_TASK_MAX_TIME_LIMIT: a render may read a copy there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from reviews.media import sweep
from reviews.media.storage import Leftover


class Command(BaseCommand):
    help = "Remove media files (originals, run folders, scratch, temporary uploads) that no version owns."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )
        parser.add_argument(
            "--grace",
            type=int,
            default=settings.SWEEP_GRACE_SECONDS,
            help="Seconds a file must have been left unchanged to be removed (default: REVIEWSVC_SWEEP_GRACE_SECONDS).",
        )

    def handle(self, *args: Any, dry_run: bool, grace: int, **options: Any) -> None:
        verb = "would remove" if dry_run else "removing"

        def report(orphan: Leftover) -> None:
            self.stdout.write(f"{verb} {orphan.kind} {orphan.name}")

        orphans = sweep.sweep(grace=timedelta(seconds=max(grace, 0)), dry_run=dry_run, on_orphan=report)
        done = "would be removed" if dry_run else "removed"
        self.stdout.write(f"{len(orphans)} {'entry' if len(orphans) == 1 else 'entries'} no row owns {done}.")
