"""Queue versions for processing again, and optionally follow them to the end.

manage.py reprocess 12 13          # these versions
manage.py reprocess --failed       # every failed version, e.g. after raising a limit
manage.py reprocess --failed --wait
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews import services
from reviews.models import ProcessingState, Version


class Command(BaseCommand):
    help = "Run the media pipeline again for some versions (by id, or every failed one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version_ids", nargs="*", type=int)
        parser.add_argument("--failed", action="store_true", help="Every version whose processing failed.")
        parser.add_argument("--wait", action="store_true", help="Print progress until every one is done.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait with --wait.")

    def handle(
        self, *args: Any, version_ids: list[int], failed: bool, wait: bool, timeout: float, **options: Any
    ) -> None:
        versions = Version.objects.select_related("shot").order_by("pk")
        if failed:
            versions = versions.filter(processing_state=ProcessingState.FAILED)
        elif version_ids:
            versions = versions.filter(pk__in=version_ids)
            missing = set(version_ids) - set(versions.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No version with id {', '.join(map(str, sorted(missing)))}.")
        else:
            raise CommandError("Name version ids, or pass --failed.")

        queued = list(versions)
        for index, version in enumerate(queued, start=1):
            services.version_reprocess(version=version)
            self.stdout.write(f"[{index}/{len(queued)}] queued {version} (id {version.pk})")
        if not queued:
            self.stdout.write("Nothing to reprocess.")
        if wait and queued:
            self._follow([version.pk for version in queued], timeout)

    def _follow(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_line = ""
        while time.monotonic() < deadline:
            states = list(
                Version.objects.filter(pk__in=ids).values_list("processing_state", "processing_progress")
            )
            done = sum(state in (ProcessingState.READY, ProcessingState.FAILED) for state, _ in states)
            overall = sum(100 if state == ProcessingState.READY else progress for state, progress in states)
            line = f"{done}/{len(ids)} done, {overall // max(len(states), 1)}% overall"
            if line != last_line:
                self.stdout.write(line)
                last_line = line
            if done == len(states):
                failed = Version.objects.filter(pk__in=ids, processing_state=ProcessingState.FAILED)
                for version in failed:
                    self.stderr.write(f"{version} (id {version.pk}) failed: {version.processing_error}")
                return
            time.sleep(1)
        raise CommandError(f"Still processing after {timeout:.0f} s; is a worker running?")
