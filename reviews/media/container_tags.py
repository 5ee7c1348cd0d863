"""The metadata tags of an uploaded file's container and streams, read with bounds on their size.

A tag can be as large as the container allows: an MP4 carries a 20 MB ComfyUI ``workflow`` as one
string, and ffprobe prints it whole. So ffprobe's JSON is read as it comes, one line at a time
(its JSON writer puts every tag on its own line, escaping newlines inside values), and a line
longer than ``MAX_TAG_BYTES`` is drained without being kept: that tag is reported as skipped and
every other tag still reads. No Django here, like ffprobe.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from reviews.media import children
from reviews.media.ffprobe import FFPROBE, untrusted_input

# A tag's line of ffprobe JSON (its escaped value plus the key) longer than this is not kept.
MAX_TAG_BYTES = 1024 * 1024
# Tags kept of one file, all sections together; past this the rest are skipped.
MAX_TAGS = 200
# The tags provenance reads (reviews/media/provenance.py): kept even past MAX_TAGS, so junk tags
# written first cannot hide a file's AIGC label or its ComfyUI graph. Compared case-blind; the
# output's byte cap still bounds them.
ALWAYS_KEPT = frozenset(
    {
        "aigc",
        "prompt",
        "workflow",
        "comment",
        "encoder",
        "creation_time",
        "software",
        "title",
        "artist",
        "description",
    }
)
# Output kept (the lines not skipped as overlong); past this ffprobe is stopped and what was read is
# kept. Skipped lines are read and dropped, so they cost time (bounded by the timeout), not memory.
MAX_OUTPUT_BYTES = 16 * 1024 * 1024

_KEY = re.compile(rb'^\s*"((?:[^"\\]|\\.)*)"\s*:')
_INDEX = re.compile(rb'^\s*"index"\s*:\s*(\d+)\s*,?\s*$')


@dataclass
class Tags:
    """The tags read: the container's, each stream's (by stream index), and what was left out.

    Keys are kept as the file spells them; ``format_tag`` looks them up case-insensitively.
    ``skipped`` holds ``{"source": "tag:<key>", "reason": "..."}`` entries.
    """

    format: dict[str, str] = field(default_factory=dict)
    streams: dict[int, dict[str, str]] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def format_tag(self, name: str) -> str | None:
        """The container's tag called ``name`` in any case, or None."""
        wanted = name.lower()
        return next((value for key, value in self.format.items() if key.lower() == wanted), None)

    def any_tag(self, name: str) -> str | None:
        """The container's tag ``name``, else the first stream's that has it (any case), or None."""
        found = self.format_tag(name)
        if found is not None:
            return found
        wanted = name.lower()
        for index in sorted(self.streams):
            for key, value in self.streams[index].items():
                if key.lower() == wanted:
                    return value
        return None


def read_tags(path: Path, *, timeout: float = 30) -> Tags:
    """Every tag of the file's container and streams, each at most ``MAX_TAG_BYTES``.

    Never raises for what the file holds: ffprobe failing, running past ``timeout`` seconds or
    printing more than ``MAX_OUTPUT_BYTES`` ends the reading, with a ``skipped`` entry saying so.
    """
    command = [FFPROBE, "-v", "quiet", "-threads", "1", "-of", "json"]
    command += ["-show_entries", "format_tags:stream=index:stream_tags", *untrusted_input(path)]
    tags = Tags()
    timed_out = threading.Event()
    with children.popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            _read_lines(process, tags)
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
            process.wait()
    if timed_out.is_set():
        tags.skipped.append({"source": "tags", "reason": f"reading the tags took longer than {timeout:g} s"})
    return tags


def _read_lines(process: subprocess.Popen, tags: Tags) -> None:
    assert process.stdout is not None
    section: str | None = None
    stream_index = 0
    in_tags = False
    total = 0
    kept = 0
    while True:
        line = process.stdout.readline(MAX_TAG_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_TAG_BYTES and not line.endswith(b"\n"):
            _drain_line(process)
            if in_tags:
                key = _KEY.match(line)
                name = _unquote(key.group(1)) if key else "?"
                tags.skipped.append({"source": f"tag:{name}", "reason": "larger than 1 MiB"})
            continue
        total += len(line)
        if in_tags:
            stripped = line.strip()
            if stripped in (b"}", b"},"):
                in_tags = False
                continue
            pair = _tag_pair(stripped)
            if pair is None:
                continue
            key, value = pair
            if kept >= MAX_TAGS and key.casefold() not in ALWAYS_KEPT:
                if kept == MAX_TAGS:
                    tags.skipped.append({"source": "tags", "reason": f"more than {MAX_TAGS} tags"})
                    kept += 1
                continue
            kept += 1
            if section == "format":
                tags.format[key] = value
            else:
                tags.streams.setdefault(stream_index, {})[key] = value
        else:
            stripped = line.strip()
            if stripped.startswith(b'"streams"'):
                section = "streams"
            elif stripped.startswith(b'"format"'):
                section = "format"
            elif stripped.startswith(b'"tags"'):
                in_tags = True
            elif (index := _INDEX.match(line)) is not None:
                stream_index = int(index.group(1))
        if total > MAX_OUTPUT_BYTES:
            tags.skipped.append(
                {"source": "tags", "reason": f"the tags add up to more than {MAX_OUTPUT_BYTES >> 20} MiB"}
            )
            process.kill()
            return


def _tag_pair(line: bytes) -> tuple[str, str] | None:
    """``"key": "value",`` as a pair of strings, or None for any other line."""
    try:
        pair = json.loads(b"{" + line.rstrip(b",") + b"}")
    except ValueError:
        return None
    if len(pair) != 1:
        return None
    ((key, value),) = pair.items()
    return (key, value) if isinstance(value, str) else None


def _drain_line(process: subprocess.Popen) -> int:
    """Read and drop the rest of an overlong line; how many bytes that was."""
    assert process.stdout is not None
    dropped = 0
    while True:
        chunk = process.stdout.readline(MAX_TAG_BYTES)
        dropped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return dropped


def _unquote(raw: bytes) -> str:
    try:
        return json.loads(b'"' + raw + b'"')[:100]
    except ValueError:
        return raw.decode("utf-8", "replace")[:100]
