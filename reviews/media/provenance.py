"""Where an uploaded clip says it came from, read from the original file before any transcode.

``read()`` gathers, each part on its own and each failure kept apart as a ``skipped`` entry:
C2PA content credentials (``c2pa_credentials``), container and stream tags (``container_tags``)
with ComfyUI's graphs (``comfyui``) and the AIGC label of GB 45438-2025, and, only when none of
these says anything, what known generators' download names give away. The result is one JSON
object of bounded size for ``Version.provenance``, with a ``search_text`` of the searchable
words. Reading provenance never fails: whatever cannot be read becomes ``skipped``. No Django.
Shapes, caps and the C2PA state mapping: docs/provenance.md.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from reviews.bounded import OutOfBounds, loads_json
from reviews.media import c2pa_credentials, comfyui
from reviews.media.container_tags import Tags, read_tags

# Bumped when the shape changes, so a version read by an older reader can be told apart.
SCHEMA = 1
MAX_SEARCH_TEXT = 4096
MAX_TAG_TEXT = 1024
# ComfyUI graphs nest a little (inputs inside nodes inside the graph); this is plenty.
MAX_GRAPH_DEPTH = 32
MAX_SKIPPED = 50

# The proxy is ffmpeg's re-encode of the picture and sound: no tag, no credential survives it.
PROXY = {
    "credentialed": False,
    "carries_tags": False,
    "note": "The proxy is a re-encode made for review: it carries no content credentials and no "
    "tags of the original. Provenance is read from the uploaded original only.",
}

# GB 45438-2025, implicit metadata label: what its Label element states.
AIGC_LABELS = {"1": "AI-generated", "2": "possibly AI-generated", "3": "suspected AI-generated"}
_AIGC_FIELDS = {
    "Label": "label",
    "ContentProducer": "content_producer",
    "ProduceID": "produce_id",
    "ReservedCode1": "reserved_code1",
    "ContentPropagator": "content_propagator",
    "PropagateID": "propagate_id",
    "ReservedCode2": "reserved_code2",
}
_PLAIN_TAGS = ("comment", "encoder", "creation_time", "title", "artist", "description", "software")

# Runway: "Gen-4 Turbo 2283402836, a wide sky over the sea, ….mp4"
_RUNWAY = re.compile(
    r"(?P<model>(?:(?:Gen|Act)-\d[\w.]*|Aleph)(?: (?:Alpha|Turbo|References|Aleph))*) (?P<number>\d{5,}), "
    r"(?P<prompt>.+?)\.(?:mp4|mov|webm)",
    re.IGNORECASE,
)
_COPY_SUFFIX = re.compile(r" \(\d{1,3}\)(\.\w+)$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Kling: "kling_20250301_Text_to_Video_A_cat_on_a_roof_1234_0.mp4"
_KLING = re.compile(
    r"kling_(?P<date>\d{8})_(?P<mode>[A-Za-z]+_to_[A-Za-z]+|[A-Za-z]+)_(?P<prompt>.+?)_(?P<n>\d+)_(?P<i>\d+)"
    r"\.(?:mp4|mov|webm)",
    re.IGNORECASE,
)


def read(
    path: Path,
    *,
    original_filename: str,
    trust_anchors_pem: str = "",
    timeout: float = 60,
) -> dict[str, Any]:
    """Everything the original at ``path`` says of its making; never raises for its content.

    ``{"schema": 1, "c2pa": {...}, "tags": {...}, "comfyui": {...}|None, "aigc": {...}|None,
    "filename": {...}|None, "ai_generated": bool|None, "proxy": PROXY,
    "skipped": [{"source", "reason"}], "search_text": str}``. ``timeout`` bounds the whole
    reading (seconds): the tags get what the credentials left, at least one second.
    """
    deadline = time.monotonic() + timeout
    skipped: list[dict[str, str]] = []
    try:
        c2pa = c2pa_credentials.read(path, trust_anchors_pem=trust_anchors_pem, timeout=timeout)
    except c2pa_credentials.ReadFailed as error:
        c2pa = {"state": "unread"}
        skipped.append({"source": "c2pa", "reason": str(error)})
    if c2pa.get("remote_manifest_url"):
        skipped.append(
            {
                "source": "c2pa",
                "reason": "the file points to a remote manifest, which is not fetched (reading is offline)",
            }
        )
    if c2pa.get("error"):
        skipped.append({"source": "c2pa", "reason": f"the manifest cannot be read: {c2pa['error']}"})
    tags = read_tags(path, timeout=max(1.0, deadline - time.monotonic()))
    skipped += tags.skipped
    comfy = _comfyui(tags, skipped)
    aigc = _aigc(tags, skipped)
    plain = {name: _cut(value) for name in _PLAIN_TAGS if (value := tags.any_tag(name))}
    if comfy is not None and _json_object(plain.get("comment", "")) is not None:
        # ComfyUI-VideoHelperSuite keeps its graphs as JSON in "comment": shown as ComfyUI's.
        del plain["comment"]
    said_anything = c2pa["state"] not in ("absent", "unread") or comfy or aigc
    guessed = None if said_anything else guess_from_filename(original_filename)
    provenance = {
        "schema": SCHEMA,
        "c2pa": c2pa,
        "tags": plain,
        "comfyui": comfy,
        "aigc": aigc,
        "filename": guessed,
        "ai_generated": _ai_generated(c2pa, aigc),
        "proxy": PROXY,
        "skipped": skipped[:MAX_SKIPPED],
    }
    provenance["search_text"] = search_text(provenance)
    return storable(provenance)


def unreadable(reason: str) -> dict[str, Any]:
    """The provenance of a file whose reading failed outright (a bug, not its content)."""
    return {
        "schema": SCHEMA,
        "c2pa": {"state": "unread"},
        "tags": {},
        "comfyui": None,
        "aigc": None,
        "filename": None,
        "ai_generated": None,
        "proxy": PROXY,
        "skipped": [{"source": "provenance", "reason": reason[:MAX_TAG_TEXT]}],
        "search_text": "",
    }


def _comfyui(tags: Tags, skipped: list[dict[str, str]]) -> dict[str, Any] | None:
    prompt_text, workflow_text = tags.any_tag("prompt"), tags.any_tag("workflow")
    prompt_source, workflow_source = "tag:prompt", "tag:workflow"
    comment = _json_object(tags.any_tag("comment") or "")
    if prompt_text is None and workflow_text is None and isinstance(comment, dict):
        # ComfyUI-VideoHelperSuite: {"prompt": "<json>" or {...}, "workflow": ...} in "comment".
        prompt_text, workflow_text = comment.get("prompt"), comment.get("workflow")
        prompt_source, workflow_source = "tag:comment:prompt", "tag:comment:workflow"
    if prompt_text is None and workflow_text is None:
        return None
    summary: dict[str, Any] = {}
    prompt = _graph(prompt_text, prompt_source, skipped)
    if prompt is not None:
        try:
            settings = comfyui.summarize_prompt(prompt)
        except comfyui.NotAGraph as error:
            skipped.append({"source": prompt_source, "reason": str(error)})
        else:
            for name, reason in settings.pop("unreadable").items():
                skipped.append({"source": f"{prompt_source}:{name}", "reason": reason})
            summary.update(settings)
    workflow = _graph(workflow_text, workflow_source, skipped)
    if workflow is not None:
        try:
            summary["workflow"] = comfyui.summarize_workflow(workflow)
        except comfyui.NotAGraph as error:
            skipped.append({"source": workflow_source, "reason": str(error)})
    return summary or None


def _graph(value: Any, source: str, skipped: list[dict[str, str]]) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        return value  # already parsed, inside a JSON comment
    try:
        return loads_json(value, max_depth=MAX_GRAPH_DEPTH)
    except OutOfBounds as error:
        skipped.append({"source": source, "reason": str(error)[:MAX_TAG_TEXT]})
        return None


def _aigc(tags: Tags, skipped: list[dict[str, str]]) -> dict[str, Any] | None:
    text = tags.any_tag("AIGC")
    if text is None:
        return None
    try:
        label = loads_json(text, max_depth=4)
    except OutOfBounds as error:
        skipped.append({"source": "tag:AIGC", "reason": str(error)[:MAX_TAG_TEXT]})
        return None
    if isinstance(label, dict) and isinstance(label.get("AIGC"), dict):
        label = label["AIGC"]
    if not isinstance(label, dict) or "Label" not in label:
        skipped.append({"source": "tag:AIGC", "reason": "not a GB 45438-2025 label (no Label element)"})
        return None
    found = {ours: _cut(str(label[theirs])) for theirs, ours in _AIGC_FIELDS.items() if theirs in label}
    found["label_meaning"] = AIGC_LABELS.get(found["label"], "")
    return found


def guess_from_filename(name: str) -> dict[str, Any] | None:
    """What a known generator's download name says, marked ``"guessed_from": "filename"``.

    Runway: ``{"tool": "Runway", "model", "number", "prompt_start"}``; Kling: ``{"tool": "Kling",
    "date", "mode", "prompt_start"}``; None for any other name.
    """
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    # A browser's second download of a name: "….mp4" saved as "… (1).mp4".
    base = _COPY_SUFFIX.sub(r"\1", base)
    if match := _RUNWAY.fullmatch(base):
        return {
            "guessed_from": "filename",
            "tool": "Runway",
            "model": match["model"],
            "number": match["number"],
            "prompt_start": match["prompt"].rstrip(" ,.…"),
        }
    if (match := _KLING.fullmatch(base)) and _is_date(match["date"]):
        date = match["date"]
        return {
            "guessed_from": "filename",
            "tool": "Kling",
            "date": f"{date[:4]}-{date[4:6]}-{date[6:]}",
            "mode": match["mode"].replace("_", " "),
            "prompt_start": match["prompt"].replace("_", " "),
        }
    return None


def _ai_generated(c2pa: dict[str, Any], aigc: dict[str, Any] | None) -> bool | None:
    """True if signed credentials (even unverified) or a GB 45438 label say so; None if nothing says,
    or a label says only "possibly" or "suspected" (labels 2 and 3)."""
    if c2pa.get("state") in ("valid", "untrusted", "invalid") and (
        c2pa.get("ai_generated") or c2pa.get("composite_with_ai")
    ):
        return True
    if aigc is not None and aigc.get("label") == "1":
        return True
    if aigc is not None and aigc.get("label") in ("2", "3"):
        return None
    if c2pa.get("state") in ("valid", "untrusted") or aigc is not None:
        return False
    return None


def search_text(provenance: dict[str, Any]) -> str:
    """The words a person searches by (prompts, model names, sampler, seed, signer, generator),
    one line each, at most ``MAX_SEARCH_TEXT`` characters."""
    words: list[Any] = []
    c2pa = provenance.get("c2pa") or {}
    signer = c2pa.get("signer") or {}
    words += [c2pa.get("claim_generator"), signer.get("common_name"), signer.get("issuer")]
    words += [action.get("software_agent") for action in c2pa.get("actions") or []]
    comfy = provenance.get("comfyui") or {}
    words += [comfy.get("positive_prompt"), *comfy.get("models", []), *comfy.get("loras", [])]
    words += [comfy.get("sampler_name"), comfy.get("scheduler"), comfy.get("seed")]
    aigc = provenance.get("aigc") or {}
    words += [aigc.get("content_producer"), aigc.get("content_propagator")]
    guessed = provenance.get("filename") or {}
    words += [guessed.get("tool"), guessed.get("model"), guessed.get("prompt_start")]
    tags = provenance.get("tags") or {}
    words += [tags.get("encoder"), tags.get("software"), tags.get("comment")]
    lines: list[str] = []
    for word in words:
        text = str(word).strip() if word not in (None, "") else ""
        if text and text not in lines:
            lines.append(text)
    return "\n".join(lines)[:MAX_SEARCH_TEXT]


def storable(value: Any) -> Any:
    """A copy of JSON-shaped data whose every text (keys included) PostgreSQL can store.

    A tag or manifest may hold a NUL or a lone UTF-16 surrogate: PostgreSQL's JSON refuses
    the first, and no encoder can write the second. Each becomes U+FFFD, the replacement character.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def _is_date(digits: str) -> bool:
    try:
        datetime.strptime(digits, "%Y%m%d")
    except ValueError:
        return False
    return digits >= "2020"


def _json_object(text: str) -> Any:
    if not text.lstrip().startswith("{"):
        return None
    try:
        return loads_json(text, max_depth=MAX_GRAPH_DEPTH)
    except OutOfBounds:
        return None


def _cut(text: str) -> str:
    return text[:MAX_TAG_TEXT]
