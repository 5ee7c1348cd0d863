"""Media pipeline: an upload's commit to `ready` through the real worker, against one hand-written
ffmpeg command that makes the same proxy, poster and filmstrip from the same file.

The worker's extra time is what the service adds around ffmpeg: the queue (two hops through
Redis, process_version then render_version), probing, database updates and progress reports.
"""

from __future__ import annotations

import math
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.stack import SOURCES, Service, TreeSampler, mib
from harness.processes import wait_for

RATE = 24
WIDTH, HEIGHT = 1920, 1080
# Only when to look: the end time is the worker's own `processed_at`, so polling rarely
# costs no accuracy and steals less CPU from ffmpeg on a 2-core machine.
POLL_PERIOD = 0.1


def source(seconds: int) -> Path:
    """A 1080p24 H.264 + AAC clip of `seconds`, made once and kept in var/bench/sources."""
    from harness import clips

    path = SOURCES / f"testsrc2-{seconds}s-{HEIGHT}p{RATE}.mp4"
    if not path.exists():
        partial = path.with_suffix(".part.mp4")
        clips.make_video(partial, seconds=seconds, width=WIDTH, height=HEIGHT, rate=str(RATE))
        partial.rename(path)
    return path


def baseline_command(path: Path, seconds: int, out_dir: Path) -> list[str]:
    """What a person would type: one decode, split three ways, the same outputs and encoder
    settings as the service's (720p H.264 High veryfast CRF 23, a keyframe a second, AAC 128k,
    faststart; a thumbnail-picked poster a third in; a 10-column sprite of at most 100 tiles)."""
    frames = seconds * RATE
    step = math.ceil(frames / 100)
    tiles = math.ceil(frames / step)
    columns = min(tiles, 10)
    rows = math.ceil(tiles / columns)
    poster_at = frames // 3
    graph = (
        "[0:v]scale=1280:720,format=yuv420p,split=3[proxy][poster_in][strip_in];"
        f"[poster_in]trim=start_frame={poster_at}:end_frame={poster_at + RATE},thumbnail={RATE}[poster];"
        f"[strip_in]select='not(mod(n\\,{step}))',scale=160:90,tile={columns}x{rows}[strip]"
    )
    return [
        *("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(path)),
        *("-filter_complex", graph),
        *("-map", "[proxy]", "-map", "0:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"),
        *("-profile:v", "high", "-g", str(RATE), "-c:a", "aac", "-b:a", "128k", "-ac", "2"),
        *("-movflags", "+faststart", str(out_dir / "proxy.mp4")),
        *("-map", "[poster]", "-frames:v", "1", "-q:v", "3", str(out_dir / "poster.jpg")),
        *("-map", "[strip]", "-frames:v", "1", "-q:v", "5", str(out_dir / "filmstrip.jpg")),
    ]


@dataclass
class Run:
    seconds: float
    # CPU time suffers far less than wall time from other work on the machine.
    cpu_seconds: float
    peak_rss: int
    proxy_bytes: int
    # Only for the service: where the time went.
    queued: float = 0.0  # commit → claimed by process_version
    before_ffmpeg: float = 0.0  # claimed → ffmpeg seen (probe, DB, second queue hop, probe again)
    ffmpeg: float = 0.0
    after_ffmpeg: float = 0.0  # ffmpeg gone → ready (checks, rename, publish)


def run_baseline(path: Path, seconds: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        out_dir = Path(folder)
        command = baseline_command(path, seconds, out_dir)
        cpu_before = _children_cpu()
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sampler = TreeSampler(process.pid)
        _, stderr = process.communicate()
        elapsed = time.monotonic() - started
        cpu = _children_cpu() - cpu_before
        sampler.stop()
        if process.returncode != 0:
            raise RuntimeError(f"the baseline ffmpeg failed: {stderr.decode()[-500:]}")
        return Run(
            seconds=elapsed,
            cpu_seconds=cpu,
            peak_rss=sampler.peak,
            proxy_bytes=(out_dir / "proxy.mp4").stat().st_size,
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_service(path: Path, *, shot: object, user: object, worker: Service) -> Run:
    """Upload through reviews.services.version_upload; the clock starts when the upload commits."""
    from django.conf import settings
    from django.core.files import File
    from django.db import transaction

    from reviews import services
    from reviews.media import storage
    from reviews.models import ProcessingState, Version

    committed: dict[str, float] = {}

    def on_commit() -> None:
        # Registered before version_upload's own hook (the enqueue), so it runs first.
        worker.sampler.reset()
        committed["at"] = time.time()
        committed["cpu"] = worker.sampler.cpu_seconds()

    with path.open("rb") as handle, transaction.atomic():
        transaction.on_commit(on_commit)
        version = services.version_upload(
            shot=shot, uploaded_by=user, file=File(handle, name=path.name), note="benchmark"
        )

    def finished() -> dict | None:
        row = Version.objects.values(
            "processing_state", "processing_error", "processing_started_at", "processed_at", "outputs_dir"
        ).get(pk=version.pk)
        return row if row["processing_state"] in (ProcessingState.READY, ProcessingState.FAILED) else None

    row = wait_for(finished, timeout=900, every=POLL_PERIOD, what=f"processing of version {version.pk}")
    if row["processing_state"] != ProcessingState.READY:
        raise RuntimeError(f"processing failed: {row['processing_error']}")

    # Both ends are wall-clock times taken on this machine: the commit here, `processed_at` by
    # the worker as it published.
    ready = row["processed_at"].timestamp()
    claimed = row["processing_started_at"].timestamp()
    sampler = worker.sampler
    ffmpeg_first = sampler.watched_first or claimed
    ffmpeg_last = sampler.watched_last or ready
    proxy = Path(settings.MEDIA_ROOT) / storage.output_name(row["outputs_dir"], "proxy")
    run = Run(
        seconds=ready - committed["at"],
        cpu_seconds=sampler.cpu_seconds() - committed["cpu"],
        peak_rss=sampler.peak,
        proxy_bytes=proxy.stat().st_size,
        queued=claimed - committed["at"],
        before_ffmpeg=ffmpeg_first - claimed,
        ffmpeg=ffmpeg_last - ffmpeg_first,
        after_ffmpeg=ready - ffmpeg_last,
    )
    services.version_delete(version=Version.objects.get(pk=version.pk))
    return run


def seed() -> tuple[object, object]:
    from django.contrib.auth import get_user_model

    from reviews import services

    alice = get_user_model().objects.create_user("pipeline-alice")
    project = services.project_create(created_by=alice, name="Pipeline bench", fps=RATE)
    return services.shot_create(project=project, code="SH010", title="Bench"), alice


def run(
    worker: Service, *, durations: tuple[int, ...], repeats: int, log: Callable[[str], None]
) -> list[dict]:
    shot, alice = seed()
    sources = {seconds: source(seconds) for seconds in durations}
    # A first small clip loads the worker's imports and connections, as any running worker has.
    from harness import clips

    warm_up = SOURCES / "warm-up-2s.mp4"
    if not warm_up.exists():
        clips.make_video(warm_up, seconds=2)
    run_service(warm_up, shot=shot, user=alice, worker=worker)

    results = []
    for seconds in durations:
        pairs: list[tuple[Run, Run]] = []
        for repeat in range(repeats):
            # Alternate which goes first, so drift in the machine's load falls on both sides.
            if repeat % 2 == 0:
                base = run_baseline(sources[seconds], seconds)
                ours = run_service(sources[seconds], shot=shot, user=alice, worker=worker)
            else:
                ours = run_service(sources[seconds], shot=shot, user=alice, worker=worker)
                base = run_baseline(sources[seconds], seconds)
            pairs.append((ours, base))
            log(
                f"  {seconds:>4} s clip #{repeat + 1}: service {ours.seconds:6.2f} s"
                f" (queue {ours.queued:.2f}, before ffmpeg {ours.before_ffmpeg:.2f},"
                f" ffmpeg {ours.ffmpeg:.2f}, after {ours.after_ffmpeg:.2f})"
                f"  baseline {base.seconds:6.2f} s  ratio {ours.seconds / base.seconds:.3f}"
                f"  CPU {ours.cpu_seconds:.1f}/{base.cpu_seconds:.1f} s = {ours.cpu_seconds / base.cpu_seconds:.3f}"
            )
        results.append(summarise(seconds, pairs))
    return results


def summarise(seconds: int, pairs: list[tuple[Run, Run]]) -> dict:
    ours = [pair[0] for pair in pairs]
    base = [pair[1] for pair in pairs]
    service_seconds = statistics.median(run.seconds for run in ours)
    return {
        "clip_seconds": seconds,
        "repeats": len(pairs),
        "service_seconds": round(service_seconds, 3),
        "baseline_seconds": round(statistics.median(run.seconds for run in base), 3),
        # The median of ratios measured side by side, so a slow minute hits both.
        "ratio": round(statistics.median(o.seconds / b.seconds for o, b in pairs), 3),
        "realtime_factor": round(seconds / service_seconds, 2),
        "service_cpu_seconds": round(statistics.median(run.cpu_seconds for run in ours), 2),
        "baseline_cpu_seconds": round(statistics.median(run.cpu_seconds for run in base), 2),
        "cpu_ratio": round(statistics.median(o.cpu_seconds / b.cpu_seconds for o, b in pairs), 3),
        "worker_peak_rss_mib": round(mib(max(run.peak_rss for run in ours)), 1),
        "baseline_peak_rss_mib": round(mib(max(run.peak_rss for run in base)), 1),
        "overhead_seconds": {
            "queue": round(statistics.median(run.queued for run in ours), 3),
            "before_ffmpeg": round(statistics.median(run.before_ffmpeg for run in ours), 3),
            "ffmpeg": round(statistics.median(run.ffmpeg for run in ours), 3),
            "after_ffmpeg": round(statistics.median(run.after_ffmpeg for run in ours), 3),
        },
        "proxy_mib": {
            "service": round(mib(statistics.median(run.proxy_bytes for run in ours)), 2),
            "baseline": round(mib(statistics.median(run.proxy_bytes for run in base)), 2),
        },
    }
