"""Open notes carry onto the next version of a shot, anchored by time.

When a version is published (``reviews.media.pipeline.publish``, in the transaction that makes it
ready, so its frame rate and length are the proxy's own), the open threads of the version it
follows are linked to it with ``CarriedThread``: never copied, so each thread keeps one history.
Which version it follows: its ``parent_version`` if set and ready, else the newest ready
version before it (``carry_source``: failed and unprocessed takes are skipped). A thread's moment is mapped by seconds onto the new clip's frames; a moment past the
new clip's end is marked ``beyond_end`` and left without a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Q

from reviews.models import CarriedThread, Comment, ProcessingState, Version
from reviews.timecode import frame_to_seconds, frame_to_timecode, seconds_to_frame


@dataclass(frozen=True)
class Anchor:
    """A thread's place on the new version: frames of its timeline, or none."""

    frame: int | None
    frame_end: int | None
    beyond_end: bool = False


def map_anchor(
    *,
    frame: int | None,
    frame_end: int | None,
    from_rate: Fraction,
    to_rate: Fraction,
    frame_count: int | None,
) -> Anchor:
    """The frame on screen on the new clip at the same second as ``frame`` on the old one.

    ``from_rate``/``to_rate`` are frames per second; ``frame_count`` the new clip's length in
    frames (None if unknown: nothing is then past its end). A start past the end gives
    ``Anchor(None, None, beyond_end=True)``; an end past it is clamped to the last frame, so a
    range that runs off the new clip covers what is left of it.
    """
    if frame is None:
        return Anchor(None, None)
    start = seconds_to_frame(frame_to_seconds(frame, from_rate), to_rate)
    if frame_count is not None and start >= frame_count:
        return Anchor(None, None, beyond_end=True)
    if frame_end is None:
        return Anchor(start, None)
    end = max(start, seconds_to_frame(frame_to_seconds(frame_end, from_rate), to_rate))
    if frame_count is not None:
        end = min(end, frame_count - 1)
    return Anchor(start, end)


def carry_source(version: Version) -> Version | None:
    """The version whose open threads ``version`` takes over, or None.

    Only a READY take is a source: a failed or unprocessed one was never published, so nothing
    was carried onto it and its clip cannot be reviewed. The source is the ``parent_version`` when
    it is ready; when it is not (failed, still processing), the parent's own source, found the
    same way; without a parent (or one from another shot), the newest ready version numbered
    before. So a failed take in the middle of a run loses no open note.
    """
    seen = {version.pk}
    while True:
        parent = None
        if version.parent_version_id is not None and version.parent_version_id not in seen:
            parent = Version.objects.filter(pk=version.parent_version_id, shot_id=version.shot_id).first()
        if parent is None:
            return (
                Version.objects.filter(
                    shot_id=version.shot_id, number__lt=version.number, processing_state=ProcessingState.READY
                )
                .exclude(pk__in=seen)
                .order_by("-number")
                .first()
            )
        if parent.processing_state == ProcessingState.READY:
            return parent
        seen.add(parent.pk)
        version = parent


def carry_open_threads(*, version: Version) -> int:
    """Link the open threads of ``version``'s source (its own and those carried onto it) to it;
    how many. Call inside the transaction that publishes ``version``, once its rate and frame
    count are final.

    Safe to run again (a second processing run): a thread already linked keeps its one row,
    its anchor recomputed from the same seconds. Threads resolved or deleted are not carried.
    """
    source = carry_source(version)
    if source is None or version.fps is None:
        return 0
    threads = (
        Comment.objects.filter(
            Q(version=source) | Q(pk__in=CarriedThread.objects.filter(version=source).values("thread")),
            parent__isnull=True,
            resolved=False,
            deleted_at__isnull=True,
        )
        .exclude(version=version)
        .select_related("version__shot__project")
    )
    rows = []
    for thread in threads:
        anchor = map_anchor(
            frame=thread.frame,
            frame_end=thread.frame_end,
            from_rate=thread.version.timecode_rate,
            to_rate=version.fps,
            frame_count=version.frame_count,
        )
        rows.append(
            CarriedThread(
                thread=thread,
                version=version,
                from_version=source,
                from_number=source.number,
                frame=anchor.frame,
                frame_end=anchor.frame_end,
                beyond_end=anchor.beyond_end,
            )
        )
    CarriedThread.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["thread", "version"],
        update_fields=["from_version", "from_number", "frame", "frame_end", "beyond_end"],
    )
    return len(rows)


def rehome_carried_threads(*, version: Version) -> int:
    """Before ``version`` is deleted: move its own threads that are shown on later takes onto the
    first of those (the lowest number), with their replies, at the moment mapped there; how many.

    Without this the delete took them from every take they were carried onto. A thread whose
    moment lay past that take's end becomes a general note of it: the frame it named was on the
    clip being deleted. Its carried rows onto later takes stay as they are.
    """
    homes: dict[int, CarriedThread] = {}
    links = CarriedThread.objects.filter(thread__version=version).order_by("thread_id", "version__number")
    for link in links:
        homes.setdefault(link.thread_id, link)
    for thread_id, link in homes.items():
        Comment.objects.filter(pk=thread_id).update(
            version_id=link.version_id, frame=link.frame, frame_end=link.frame_end
        )
        # One by one, parents first: SQLite's triggers check each reply against its parent's version.
        for reply_id in (
            Comment.objects.filter(thread_id=thread_id).order_by("id").values_list("pk", flat=True)
        ):
            # A reply is at its thread's moment, which is now the one mapped onto the new take.
            Comment.objects.filter(pk=reply_id).update(
                version_id=link.version_id, frame=link.frame, frame_end=link.frame_end
            )
        link.delete()
    return len(homes)


def reply_version(*, version: Version, parent: Comment | None) -> Version:
    """The version a reply posted on ``version`` lives on: the thread's own version when the
    thread was carried onto ``version`` (so the thread stays one), else ``version`` itself."""
    if parent is None or parent.version_id == version.pk:
        return version
    top_id = parent.thread_id or parent.pk
    if CarriedThread.objects.filter(version=version, thread_id=top_id).exists():
        return parent.version
    return version


def carried_from(comment: Comment) -> dict[str, Any] | None:
    """Where a thread on a version's list (``selectors.comment_threads`` + ``attach_replies``)
    came from, or None for the version's own threads.

    Shape: ``{"version": id or None (the take it came through; null once deleted), "number": 2,
    "written_on": 1 (the number of the take it was written on), "frame", "frame_end",
    "timecode", "timecode_end"}`` — its own moment on the take it was written on, at that take's
    rate (null for a general note), so a note past the new clip's end still says where it was.
    """
    if getattr(comment, "carried_link_id", None) is None:
        return None
    rate = Fraction(comment.origin_rate_numerator, comment.origin_rate_denominator)
    frame = getattr(comment, "origin_frame", comment.frame)
    frame_end = getattr(comment, "origin_frame_end", comment.frame_end)
    return {
        "version": comment.carried_from_id,
        "number": comment.carried_from_number,
        "written_on": comment.origin_number,
        "frame": frame,
        "frame_end": frame_end,
        "timecode": None if frame is None else frame_to_timecode(frame, rate),
        "timecode_end": None if frame_end is None else frame_to_timecode(frame_end, rate),
    }
