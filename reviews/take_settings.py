"""What made a take: its model, seed and prompt, as the director recorded them or the file says.

``generation`` is what the director says; when it says nothing of a setting, the file's own
provenance (docs/provenance.md) stands in: ComfyUI's first model, seed and positive prompt, then
what a generator's download name gives away. Used by the takes menu, the lineage tree, search
hits and the next prompt, so every place tells the same take the same way.
"""

from __future__ import annotations

from typing import Any

from reviews.models import Version

SETTINGS = ("model", "seed", "prompt")


def take_setting(version: Version, key: str) -> tuple[Any, bool]:
    """``(value, read_from_file)`` of one of ``SETTINGS``: the generation's value, else the file's
    (``read_from_file`` then True), else ``(None, False)``. Values keep their JSON type."""
    generation = version.generation if isinstance(version.generation, dict) else {}
    value = generation.get(key)
    if value is not None and value != "":
        return value, False
    value = _provenance_value(version, key)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None, False
    return value, True


def generation_value(version: Version, key: str) -> str | None:
    """A setting as text (a seed may be stored as a number), or None; a JSON object or list
    (some tools write the prompt as a graph) is None here."""
    value, _ = take_setting(version, key)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def take_settings(version: Version) -> dict[str, Any]:
    """``{"model", "seed", "prompt": str | None, "read_from_file": [names of those the file gave]}``."""
    settings: dict[str, Any] = {}
    from_file = []
    for key in SETTINGS:
        value, read_from_file = take_setting(version, key)
        settings[key] = None if value is None or isinstance(value, (dict, list)) else str(value)
        if read_from_file:
            from_file.append(key)
    return {**settings, "read_from_file": from_file}


# Bidirectional controls (U+202A..U+202E, U+2066..U+2069) in a file's tags would reverse how the
# rest of a line reads ("normal\u202egnp.exe"): what the file says is shown without them.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_controls(value: Any) -> Any:
    """``value`` without bidirectional controls if it is text; anything else as it is."""
    return value.translate(_BIDI_CONTROLS) if isinstance(value, str) else value


def _provenance_value(version: Version, key: str) -> Any:
    return without_bidi_controls(_from_provenance(version, key))


def _from_provenance(version: Version, key: str) -> Any:
    provenance = version.provenance if isinstance(version.provenance, dict) else {}
    comfyui = provenance.get("comfyui") if isinstance(provenance.get("comfyui"), dict) else {}
    guessed = provenance.get("filename") if isinstance(provenance.get("filename"), dict) else {}
    if key == "seed":
        return comfyui.get("seed")
    if key == "model":
        models = comfyui.get("models")
        return (models[0] if isinstance(models, list) and models else None) or guessed.get("model")
    if key == "prompt":
        return comfyui.get("positive_prompt") or guessed.get("prompt_start")
    return None
