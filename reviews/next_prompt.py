"""Notes as the next prompt: a version's generation settings and its open notes, ready to paste
into the next generation.

``next_prompt`` reads (one version's open threads, carried ones included); ``next_prompt_markdown``
is a pure format of what it returns, testable like ``reviews.timecode``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reviews import selectors
from reviews.carry_over import carried_from
from reviews.models import Comment, NoteCategory, Severity, Version
from reviews.take_settings import SETTINGS, take_setting
from reviews.timecode import frame_to_timecode, rate_label

# Notes whose author did not say, after the said ones.
UNCATEGORISED_LABEL = "Not categorised"
_SEVERITY_ORDER = {Severity.MUST_FIX: 0, Severity.SUGGESTION: 1, "": 2}
_CATEGORY_ORDER = {value: index for index, value in enumerate([*NoteCategory.values, ""])}


def _has_drawing(comment: Comment) -> bool:
    annotation = comment.annotation
    return isinstance(annotation, dict) and bool(annotation.get("shapes"))


def _replies(comment: Comment) -> list[dict[str, str]]:
    """Every live reply of a thread, in the order written, at any depth."""
    found = []
    for reply in comment.replies:
        if reply.deleted_at is None:
            found.append({"author": reply.author.get_username() if reply.author else "", "body": reply.body})
        found += _replies(reply)
    return found


def _note(comment: Comment, rate: Any) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "severity": comment.severity,
        "frame": comment.frame,
        "frame_end": comment.frame_end,
        "timecode": None if comment.frame is None else frame_to_timecode(comment.frame, rate),
        "timecode_end": None if comment.frame_end is None else frame_to_timecode(comment.frame_end, rate),
        "beyond_end": bool(getattr(comment, "beyond_end", False)),
        "body": comment.body,
        "author": comment.author.get_username() if comment.author else "",
        "has_drawing": _has_drawing(comment),
        "carried_from": carried_from(comment),
        "replies": _replies(comment),
    }


def next_prompt(version: Version) -> dict[str, Any]:
    """What to tell the next generation of ``version``'s shot.

    Shape: ``{"version": {"id", "number", "shot": {"id", "code", "title"}}, "generation":
    {"model", "prompt", "seed"} (each null when not recorded; generation's, else what the file says:
    reviews/take_settings.py), "read_from_file": [those the file gave], "rate": "24", "open_note_count",
    "groups": [{"category": value or "", "label", "notes": [note, ...]}]}``. Groups follow the
    documented category order, uncategorised last; notes in a group go must-fix first, then
    suggestion, then unsaid, each by time. A note: ``id, severity, frame, frame_end, timecode,
    timecode_end, beyond_end, body, author, has_drawing, carried_from, replies: [{author, body}]``.
    Open means not resolved and not deleted; threads carried from the previous take count.
    """
    rate = version.timecode_rate
    threads = selectors.comment_threads(version=version).filter(resolved=False, deleted_at__isnull=True)
    threads = selectors.attach_replies(threads)
    ordered = sorted(
        threads,
        key=lambda comment: (
            _CATEGORY_ORDER[comment.category],
            _SEVERITY_ORDER[comment.severity],
            getattr(comment, "beyond_end", False),
            -1 if comment.frame is None else comment.frame,
            comment.created_at,
        ),
    )
    groups: list[dict[str, Any]] = []
    for comment in ordered:
        if not groups or groups[-1]["category"] != comment.category:
            label = NoteCategory(comment.category).label if comment.category else UNCATEGORISED_LABEL
            groups.append({"category": comment.category, "label": label, "notes": []})
        groups[-1]["notes"].append(_note(comment, rate))
    settings = {key: take_setting(version, key) for key in SETTINGS}
    return {
        "version": {
            "id": version.pk,
            "number": version.number,
            "shot": {"id": version.shot_id, "code": version.shot.code, "title": version.shot.title},
        },
        "generation": {key: settings[key][0] for key in ("model", "prompt", "seed")},
        "read_from_file": [key for key in ("model", "prompt", "seed") if settings[key][1]],
        "rate": rate_label(rate),
        "open_note_count": len(ordered),
        "groups": groups,
    }


_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&])")
_BACKTICKS = re.compile(r"`+")


def _inline(text: Any) -> str:
    """A short value (a name, a shot code) as literal inline Markdown: one line, punctuation escaped."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def _literal(value: Any) -> str:
    """A setting as text: strings as they are, anything else (numbers, lists, objects) as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _code_span(value: Any) -> str:
    """A setting as a one-line code span: a string with a line break is shown as JSON (``"a\\nb"``),
    so it cannot start a line of its own; the backtick run is longer than any inside."""
    text = _literal(value)
    if "".join(text.splitlines()) != text or text != text.strip():
        text = json.dumps(text)  # ASCII: no line separator of any kind survives
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fenced(text: str, *, indent: str = "", info: str = "text") -> list[str]:
    """Text people wrote, verbatim in a fenced block: nothing in it is Markdown (headings, lists,
    fences of its own: the fence is longer than any backtick run inside). Blank lines stay
    empty, with no trailing spaces."""
    lines = [line.rstrip() for line in str(text).strip("\n").splitlines()] or [""]
    fence = "`" * max([3, *(len(run) + 1 for run in _BACKTICKS.findall(str(text)))])
    body = [f"{indent}{line}" if line else "" for line in lines]
    return [f"{indent}{fence}{info}", *body, f"{indent}{fence}"]


def _when(note: dict[str, Any]) -> str:
    if note["beyond_end"]:
        origin = note["carried_from"] or {}
        if origin.get("timecode"):
            return f"past the end of this clip (was at {origin['timecode']} of v{origin['written_on']})"
        return "past the end of this clip"
    if note["timecode"] is None:
        return "whole clip"
    if note["timecode_end"] is not None and note["timecode_end"] != note["timecode"]:
        return f"{note['timecode']} to {note['timecode_end']}"
    return note["timecode"]


def next_prompt_markdown(data: dict[str, Any]) -> str:
    """``next_prompt``'s answer as Markdown: the prompt, the settings, then the notes by category.

    Safe to paste: what people wrote (the prompt, note bodies, replies) is quoted verbatim in
    fenced blocks, so it cannot become a heading, a list item or a setting line; a note's
    marks (severity, time, "has a drawing", "from v1") are on the list item's own line, before
    its text; settings that are not strings are JSON.
    """
    version, generation = data["version"], data["generation"]
    title = f"{_inline(version['shot']['code'])} v{version['number']}"
    lines = [f"# Next prompt for {title}", "", "## Prompt", ""]
    prompt = generation["prompt"]
    if prompt in (None, ""):
        lines.append("(no prompt recorded)")
    elif isinstance(prompt, str):
        lines += _fenced(prompt)
    else:
        lines += _fenced(json.dumps(prompt, ensure_ascii=False, indent=2, sort_keys=True), info="json")
    settings = [(name, generation[name]) for name in ("model", "seed") if generation[name] not in (None, "")]
    if settings:
        lines += [""] + [f"- {name.capitalize()}: {_code_span(value)}" for name, value in settings]
    if data.get("read_from_file"):
        lines += ["", f"({', '.join(data['read_from_file']).capitalize()}: read from the file's metadata.)"]
    count = data["open_note_count"]
    lines += ["", f"## Notes to address ({count} open, timecodes at {data['rate']} fps)"]
    if not count:
        lines += ["", "No open notes."]
    severity_labels = dict(Severity.choices)
    for group in data["groups"]:
        lines += ["", f"### {group['label']}"]
        for note in group["notes"]:
            severity = severity_labels.get(note["severity"])
            marks = [f"**{severity}**"] if severity else []
            marks.append(_when(note))
            if note["has_drawing"]:
                marks.append("has a drawing")
            if note["carried_from"]:
                marks.append(f"from v{note['carried_from']['number']}")
            lines += ["", f"- {' · '.join(marks)}", ""]
            lines += _fenced(note["body"], indent="  ")
            for reply in note["replies"]:
                lines += ["", f"  - {_inline(reply['author'] or 'someone')} replied:", ""]
                lines += _fenced(reply["body"], indent="    ")
    return "\n".join(lines) + "\n"
