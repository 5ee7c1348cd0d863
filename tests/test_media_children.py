"""ffmpeg and ffprobe die with the process that started them: a Celery pool process killed
outright (SIGKILL) must not leave its render running for minutes (reviews/media/children.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.clips import make_video
from harness.processes import ROOT, children, wait_for

# Starts processes and renders media with a real ffmpeg.
pytestmark = pytest.mark.slow

RENDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from reviews.media import ffmpeg, ffprobe

    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    probe = ffprobe.probe(source)
    ffmpeg.render(
        source, probe, proxy=out / "proxy.mp4", poster=out / "poster.jpg",
        filmstrip=out / "filmstrip.jpg", timeout=3600,
    )
    """
)

RUN = textwrap.dedent(
    """
    import sys
    from reviews.media import children

    children.run(sys.argv[1:], timeout=3600)
    """
)


def long_clip(directory: Path) -> Path:
    """A 320x180 clip of half an hour: two seconds made with lavfi, repeated by stream copy
    (a second's work), so rendering it takes far longer than the test waits."""
    short = make_video(directory / "short.mp4", seconds=2, width=320, height=180)
    long = directory / "long.mp4"
    loop = ["-stream_loop", "899", "-i", str(short), "-c", "copy", str(long)]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *loop], check=True, timeout=120)
    return long


def command_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def running(pid: int) -> bool:
    """Whether pid is a live process: not gone, and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # "pid (comm) state …"; comm may hold spaces and parentheses, the state follows the last ")".
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill_parent_then_watch(command: list[str], tool: str) -> tuple[int, bool]:
    """Start command, wait for its child named `tool`, SIGKILL the command; the tool's pid and
    whether it was still running 5 s later (then it is killed here, to leave nothing behind)."""
    parent = subprocess.Popen(command, cwd=ROOT)
    tool_pid = 0
    try:
        tool_pid = wait_for(
            lambda: next((pid for pid in children(parent.pid) if command_name(pid) == tool), None),
            timeout=60,
            what=f"{tool} starting under {command[:3]}",
        )
        time.sleep(0.5)
        assert running(tool_pid), f"{tool} ended on its own before the test killed its parent"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while running(tool_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return tool_pid, running(tool_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if tool_pid and running(tool_pid) and command_name(tool_pid) == tool:
            os.kill(tool_pid, signal.SIGKILL)


def test_a_render_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    source = long_clip(tmp_path)
    out = tmp_path / "out"
    out.mkdir()

    pid, still_running = kill_parent_then_watch(
        [sys.executable, "-c", RENDER, str(source), str(out)], "ffmpeg"
    )

    assert not still_running, f"ffmpeg (pid {pid}) kept rendering after its parent was killed"


def test_a_tool_started_by_run_dies_with_its_parent() -> None:
    # subprocess.run's path (every ffprobe but one), with a tool that would wait a minute.
    pid, still_running = kill_parent_then_watch([sys.executable, "-c", RUN, "sleep", "60"], "sleep")

    assert not still_running, f"sleep (pid {pid}) kept running after its parent was killed"
