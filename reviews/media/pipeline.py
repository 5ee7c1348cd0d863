"""The media pipeline's core: claim a version, probe it, render its outputs, publish them.

Tasks in ``reviews.tasks`` call these functions with ids; the state machine is
queued → processing → ready | failed, and every step is a conditional UPDATE on
the version's current run, so a duplicate or stale job changes nothing.

Outputs are rendered into a scratch folder and published only when complete
(reviews.media.storage): a crash leaves no file that looks finished, and a
rerun leaves one clean set.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reviews.carry_over import carry_open_threads
from reviews.events import event_record, version_payload
from reviews.live import progress_publish
from reviews.media import ffmpeg, ffprobe, provenance, storage
from reviews.models import EventKind, ProcessingState, Version

logger = logging.getLogger(__name__)

# Share of the progress bar for the probe; rendering fills the rest.
_PROBED_PERCENT = 2


@dataclass(frozen=True)
class TimeLimits:
    soft: int
    hard: int


def time_limits(duration: float) -> TimeLimits:
    """How long rendering a clip may take: generous for the machine, capped by the broker's patience.

    A proxy encodes faster than real time here; four times the clip's length
    plus a fixed start-up allowance catches a stuck job without cutting off a
    slow but honest one.
    """
    soft = min(int(300 + 4 * duration), settings.CELERY_TASK_MAX_TIME_LIMIT - 120)
    return TimeLimits(soft=soft, hard=soft + 120)


def fail(version_id: int, run: str, message: str) -> None:
    logger.info("version %s failed: %s", version_id, message)
    with transaction.atomic():
        # A version already failed keeps its first reason: a duplicate job neither
        # overwrites it nor records the failure twice.
        failed = (
            Version.objects.filter(pk=version_id, processing_run=run)
            .exclude(processing_state__in=[ProcessingState.READY, ProcessingState.FAILED])
            .update(
                processing_state=ProcessingState.FAILED, processing_error=message, processed_at=timezone.now()
            )
        )
        if failed:
            version = Version.objects.select_related("shot").get(pk=version_id)
            event_record(
                kind=EventKind.VERSION_FAILED,
                project=version.shot.project_id,
                actor=None,
                subject=version,
                payload={**version_payload(version), "error": message},
            )


def upload_refusal(original_name: str) -> str | None:
    """Why an upload just stored (its storage name) is not a video at all, or None to accept it.

    Run in the upload request, before a version number is taken, so a text file, an audio track
    or a still image is refused with its reason and uses up nothing. It is the pipeline's probe,
    with its timeout and demuxer allow-list: it demuxes but never decodes. A file cut short, or
    one too slow to read, is accepted: that is a fault of a video, found and reported on the
    version while decoding, where a director can see it and delete the version.
    """
    try:
        with storage.original_path(original_name) as source:
            ffprobe.probe(source)
    except ffprobe.MediaTimeout:
        return None
    except ffprobe.MediaError as error:
        return None if str(error) == ffprobe.TRUNCATED else str(error)
    return None


def claim(version_id: int) -> str | None:
    """Start a new run for a queued (or interrupted) version; its id, or None if there is nothing to do."""
    run = uuid.uuid4().hex
    claimed = Version.objects.filter(
        pk=version_id, processing_state__in=[ProcessingState.QUEUED, ProcessingState.PROCESSING]
    ).update(
        processing_state=ProcessingState.PROCESSING,
        processing_run=run,
        processing_progress=0,
        processing_error="",
        processing_started_at=timezone.now(),
    )
    return run if claimed else None


def probe(version_id: int, run: str) -> ffprobe.Probe | None:
    """Read the clip's facts, and its provenance, onto the version; None (and the version failed)
    if it cannot be used."""
    version = Version.objects.filter(pk=version_id, processing_run=run).first()
    if version is None:
        return None
    try:
        with storage.original_path(version.file.name) as source:
            facts = ffprobe.probe(source)
            ffprobe.check_limits(
                facts, max_duration=settings.MAX_CLIP_SECONDS, max_pixels=settings.MAX_CLIP_PIXELS
            )
            # From the original, before any transcode: the proxy keeps no tag and no credential.
            found = read_provenance(source, version.original_filename)
    except ffprobe.MediaError as error:
        fail(version_id, run, str(error))
        return None
    Version.objects.filter(pk=version_id, processing_run=run).update(
        duration=facts.duration,
        fps_numerator=facts.fps.numerator,
        fps_denominator=facts.fps.denominator,
        variable_frame_rate=facts.variable_frame_rate,
        frame_count=facts.frame_count,
        width=facts.width,
        height=facts.height,
        video_codec=facts.video_codec,
        pixel_format=facts.pix_fmt,
        has_audio=facts.has_audio,
        video_stream_index=facts.video_stream,
        video_stream_count=facts.video_streams,
        provenance=found,
        processing_progress=_PROBED_PERCENT,
    )
    project_id = Version.objects.filter(pk=version_id).values_list("shot__project_id", flat=True).first()
    if project_id is not None:
        progress_publish(
            project_id=project_id,
            version_id=version_id,
            state=ProcessingState.PROCESSING,
            percent=_PROBED_PERCENT,
            force=True,
        )
    return facts


def read_provenance(source: Path, original_filename: str) -> dict:
    """What the original says of its making (reviews.media.provenance); never fails the version:
    a reader's own bug is logged and shown as a skipped source."""
    anchors = ""
    if settings.C2PA_TRUST_ANCHORS:
        try:
            anchors = Path(settings.C2PA_TRUST_ANCHORS).read_text()
        except (OSError, UnicodeDecodeError):
            logger.exception("REVIEWSVC_C2PA_TRUST_ANCHORS cannot be read; no C2PA signer is trusted")
    try:
        return provenance.read(
            source,
            original_filename=original_filename,
            trust_anchors_pem=anchors,
            timeout=settings.PROVENANCE_TIMEOUT,
        )
    except SoftTimeLimitExceeded:
        raise  # the probe task's own limit, not a reader's failure to hide
    except Exception:
        logger.exception("reading the provenance of %s failed", original_filename)
        return provenance.unreadable("reading the provenance failed; the error is in the worker's log")


def start_render(version_id: int, run: str) -> bool:
    """Count an attempt at the heavy step; False (and the version failed) after too many.

    A clip that kills its worker comes back to this point every time the job is
    redelivered, so the count is what stops it looping forever.
    """
    started = Version.objects.filter(
        pk=version_id,
        processing_run=run,
        processing_state=ProcessingState.PROCESSING,
        processing_attempts__lt=settings.MAX_PROCESSING_ATTEMPTS,
    ).update(processing_attempts=F("processing_attempts") + 1)
    if started:
        return True
    attempts = Version.objects.filter(pk=version_id, processing_run=run).values_list(
        "processing_attempts", flat=True
    )
    if attempts and attempts[0] >= settings.MAX_PROCESSING_ATTEMPTS:
        fail(
            version_id,
            run,
            f"Processing stopped after {attempts[0]} attempts that each crashed or timed out; "
            "the file may be damaged or unusually heavy. Re-export it and upload a new version.",
        )
    return False


def _progress_writer(version_id: int, run: str) -> Callable[[float], None]:
    last = {"percent": _PROBED_PERCENT}
    project_id = Version.objects.filter(pk=version_id).values_list("shot__project_id", flat=True).first()

    def write(fraction: float) -> None:
        # ffmpeg reports about once a second; only whole-percent changes reach the database.
        percent = _PROBED_PERCENT + int(fraction * (99 - _PROBED_PERCENT))
        if percent > last["percent"]:
            last["percent"] = percent
            Version.objects.filter(pk=version_id, processing_run=run).update(processing_progress=percent)
            if project_id is not None:
                # Live pages see it move without an Event row per percent (reviews/live.py).
                progress_publish(
                    project_id=project_id,
                    version_id=version_id,
                    state=ProcessingState.PROCESSING,
                    percent=percent,
                )

    return write


def render(version_id: int, run: str, *, timeout: float) -> bool:
    """Render proxy, poster and filmstrip and publish them; False if the version failed or went away."""
    version = Version.objects.filter(
        pk=version_id, processing_run=run, processing_state=ProcessingState.PROCESSING
    ).first()
    if version is None:
        return False
    published = False
    try:
        published = _render_and_publish(version, run, timeout=timeout)
        return published
    finally:
        if not published:
            _discard(version_id)


def _discard(version_id: int, outputs_dir: str = "") -> None:
    """Remove what a run made that no row owns: everything of a version deleted meanwhile (the
    delete removed its folder at its commit, and this run's scratch folder, made before or after
    that, may have made it again), or the published `outputs_dir` of a version reprocessed meanwhile."""
    if not Version.objects.filter(pk=version_id).exists():
        storage.remove_version(version_id, "")
    elif outputs_dir:
        storage.remove_outputs(outputs_dir)


def _render_and_publish(version: Version, run: str, *, timeout: float) -> bool:
    version_id = version.pk
    with storage.scratch(version_id, run) as scratch, storage.original_path(version.file.name) as source:
        try:
            started = time.monotonic()
            # Probing again is a few milliseconds, and spares the job from carrying state.
            facts = ffprobe.probe(source)
            rendered = ffmpeg.render(
                source,
                facts,
                **storage.rendered_paths(scratch),
                max_width=settings.PROXY_MAX_WIDTH,
                max_height=settings.PROXY_MAX_HEIGHT,
                timeout=timeout,
                on_progress=_progress_writer(version_id, run),
                max_pixels=settings.MAX_CLIP_PIXELS,
            )
            logger.info("version %s rendered in %.1f s", version_id, time.monotonic() - started)
        except ffprobe.MediaError as error:
            fail(version_id, run, str(error))
            return False
        return publish(version_id, run, scratch, rendered)


def publish(version_id: int, run: str, scratch: Path, rendered: ffmpeg.Rendered) -> bool:
    """Move the finished outputs into place and mark the version ready; False if the version
    was deleted or reprocessed meanwhile (the outputs are then removed)."""
    outputs_dir = storage.publish(version_id, run, scratch)
    geometry = rendered.filmstrip_geometry
    with transaction.atomic():
        published = Version.objects.filter(
            pk=version_id, processing_run=run, processing_state=ProcessingState.PROCESSING
        ).update(
            processing_state=ProcessingState.READY,
            processing_progress=100,
            processing_error="",
            processed_at=timezone.now(),
            outputs_dir=outputs_dir,
            # The probe's frame count and duration were read from headers, before edit lists,
            # dropped frames and late starts were settled; the proxy's are the clip's timeline.
            frame_count=rendered.frame_count,
            duration=rendered.duration,
            poster_frame=rendered.poster_frame,
            filmstrip={
                "columns": geometry.columns,
                "rows": geometry.rows,
                "tile_width": geometry.tile_width,
                "tile_height": geometry.tile_height,
                "interval": geometry.interval,
            },
        )
        if published:
            version = Version.objects.select_related("shot").get(pk=version_id)
            event_record(
                kind=EventKind.VERSION_READY,
                project=version.shot.project_id,
                actor=None,
                subject=version,
                payload={
                    **version_payload(version),
                    "duration": version.duration,
                    "frame_count": version.frame_count,
                },
            )
            # Now that the clip's own rate and length are final (reviews.carry_over).
            carry_open_threads(version=version)
    if not published:
        # Deleted or reprocessed while we worked: these outputs belong to nobody.
        _discard(version_id, outputs_dir)
        return False
    storage.remove_other_runs(version_id, keep=outputs_dir)
    return True
