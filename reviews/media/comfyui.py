"""What a ComfyUI graph says about how a clip was made: prompts, sampler settings, models.

ComfyUI writes two graphs into the files it saves: ``prompt``, the API-format graph that ran
(``{"<node id>": {"class_type": ..., "inputs": {...}}}``, an input wired to another node being
``["<node id>", <output index>]``), and ``workflow``, the editor's graph (``{"nodes": [...]}``).
Both arrive here already parsed from untrusted text; every shape is checked, nothing is assumed,
strings are cut to ``MAX_TEXT``. Pure functions, no Django.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from reviews.bounded import OutOfBounds, read_integer

MAX_TEXT = 4096
MAX_NODES = 5000
MAX_NAMES = 20
MAX_NODE_TYPES = 50
# Sampling steps a graph may name; ComfyUI's own KSampler allows 1 to 10000.
MAX_STEPS = 10000

# Nodes whose inputs hold the sampling settings; "positive"/"negative" wire in the conditioning.
_SAMPLER_SETTINGS = ("seed", "noise_seed", "sampler_name", "scheduler", "steps", "cfg")
_TEXT_INPUTS = ("text", "text_g", "text_l", "prompt", "positive_prompt", "value", "string")
_MODEL_INPUTS = ("ckpt_name", "unet_name", "model_name", "gguf_name", "model")
_LORA_INPUTS = ("lora_name", "lora")


class NotAGraph(ValueError):
    """The text parsed as JSON but is not a graph of this kind; str() says what it is instead."""


def summarize_prompt(graph: Any) -> dict[str, Any]:
    """The settings an API-format graph ran with.

    ``{"positive_prompt": str, "negative_prompt": str, "seed": int|None, "sampler_name": str,
    "scheduler": str, "steps": int|None, "cfg": float|None, "models": [str], "loras": [str],
    "sampler_count": int, "unreadable": {setting: reason}}``: a seed, steps or cfg the sampler
    has but that is no number of its kind (a 21-digit seed, ``"NaN"``) is null, and
    ``unreadable`` says why. Raises ``NotAGraph`` if ``graph`` is not such a graph at all.
    """
    if not isinstance(graph, dict):
        raise NotAGraph(f"a JSON {type(graph).__name__}, not a node graph (API format)")
    nodes = {
        str(node_id): node
        for node_id, node in list(graph.items())[:MAX_NODES]
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict)
    }
    if not nodes:
        raise NotAGraph("no nodes with inputs, not a node graph (API format)")
    samplers = [node_id for node_id in sorted(nodes, key=_node_order) if _is_sampler(nodes, node_id)]
    positive: list[str] = []
    negative: list[str] = []
    for node_id in samplers:
        for polarity, texts in (("positive", positive), ("negative", negative)):
            for text in _conditioning_texts(nodes, node_id, polarity):
                if text not in texts:
                    texts.append(text)
    settings: dict[str, Any] = {}
    if samplers:
        settings = _sampler_settings(nodes, samplers[0])
    seed = settings.get("seed", settings.get("noise_seed"))
    read = {
        "seed": _seed(seed),
        "steps": settings.get("steps")
        if _is_int(settings.get("steps")) and 0 < settings["steps"] <= MAX_STEPS
        else None,
        "cfg": float(settings["cfg"]) if _is_number(settings.get("cfg")) else None,
    }
    found = {"seed": seed, "steps": settings.get("steps"), "cfg": settings.get("cfg")}
    return {
        "positive_prompt": "\n".join(positive)[:MAX_TEXT],
        "negative_prompt": "\n".join(negative)[:MAX_TEXT],
        "seed": read["seed"],
        "sampler_name": _short(settings.get("sampler_name")),
        "scheduler": _short(settings.get("scheduler")),
        "steps": read["steps"],
        "cfg": read["cfg"],
        "models": _names(nodes, _MODEL_INPUTS),
        "loras": _names(nodes, _LORA_INPUTS),
        "sampler_count": len(samplers),
        "unreadable": {
            name: f"{_UNREADABLE[name]}: {_excerpt(found[name])}"
            for name in read
            if read[name] is None and found[name] is not None and not isinstance(found[name], list)
        },
    }


def summarize_workflow(workflow: Any) -> dict[str, Any]:
    """The editor's graph in a line: ``{"node_count": int, "node_types": {type: count}}``
    (the ``MAX_NODE_TYPES`` most frequent types). Raises ``NotAGraph`` for anything else."""
    nodes = workflow.get("nodes") if isinstance(workflow, dict) else None
    if not isinstance(nodes, list):
        raise NotAGraph("not a ComfyUI workflow (no list of nodes)")
    types = Counter(_short(node.get("type")) or "?" for node in nodes[:MAX_NODES] if isinstance(node, dict))
    return {"node_count": len(nodes), "node_types": dict(types.most_common(MAX_NODE_TYPES))}


def _is_sampler(nodes: dict[str, dict], node_id: str) -> bool:
    """A node that samples: a KSampler's inputs (model, positive, negative), a guider's, or a node
    named as a sampler with a positive input (custom samplers, trimmed graphs)."""
    inputs = nodes[node_id]["inputs"]
    named = "Sampler" in str(nodes[node_id].get("class_type", "")) and "positive" in inputs
    return (
        ("positive" in inputs and "negative" in inputs and "model" in inputs) or "guider" in inputs or named
    )


def _conditioning_texts(nodes: dict[str, dict], sampler_id: str, polarity: str) -> list[str]:
    """The prompt texts wired, through any conditioning nodes, into a sampler's ``polarity`` input
    (through its guider for SamplerCustomAdvanced)."""
    opposite = "negative" if polarity == "positive" else "positive"
    inputs = nodes[sampler_id]["inputs"]
    start = inputs.get(polarity)
    if start is None and (guider := _linked(nodes, inputs.get("guider"))) is not None:
        start = nodes[guider]["inputs"].get(polarity) or nodes[guider]["inputs"].get("conditioning")
    texts: list[str] = []
    seen: set[str] = set()
    pending = [start]
    while pending and len(seen) < MAX_NODES:
        node_id = _linked(nodes, pending.pop())
        if node_id is None or node_id in seen:
            continue
        seen.add(node_id)
        node_inputs = nodes[node_id]["inputs"]
        if "TextEncode" in str(nodes[node_id].get("class_type", "")):
            for name in _TEXT_INPUTS:
                text = _text_value(nodes, node_inputs.get(name))
                if text and text not in texts:
                    texts.append(text)
            continue
        for name, value in node_inputs.items():
            if opposite in name:
                continue
            if polarity in name or "conditioning" in name or name == "cond":
                pending.append(value)
    return texts


def _text_value(nodes: dict[str, dict], value: Any) -> str:
    """A string input, or the string a primitive node wired into it gives."""
    for _ in range(10):
        if isinstance(value, str):
            return value[:MAX_TEXT]
        node_id = _linked(nodes, value)
        if node_id is None:
            return ""
        inputs = nodes[node_id]["inputs"]
        value = next((inputs[name] for name in _TEXT_INPUTS if name in inputs), None)
    return ""


def _sampler_settings(nodes: dict[str, dict], sampler_id: str) -> dict[str, Any]:
    """Seed, sampler, scheduler, steps and cfg: on the sampler itself, or (SamplerCustomAdvanced)
    on the nodes wired into it; a value wired from a primitive node is followed."""
    found: dict[str, Any] = {}
    inputs = nodes[sampler_id]["inputs"]
    neighbours = [node_id for value in inputs.values() if (node_id := _linked(nodes, value))]
    for name in _SAMPLER_SETTINGS:
        for source in [inputs, *(nodes[node_id]["inputs"] for node_id in neighbours)]:
            if name in source:
                value = _primitive(nodes, source[name])
                if value is not None:
                    found[name] = value
                    break
    return found


def _primitive(nodes: dict[str, dict], value: Any) -> Any:
    for _ in range(10):
        node_id = _linked(nodes, value)
        if node_id is None:
            return value if isinstance(value, (str, int, float)) else None
        inputs = nodes[node_id]["inputs"]
        value = next(
            (inputs[name] for name in ("value", "seed", "noise_seed", "int", "float") if name in inputs), None
        )
    return None


def _names(nodes: dict[str, dict], input_names: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for node in nodes.values():
        for name in input_names:
            value = node["inputs"].get(name)
            if isinstance(value, str) and value and value[:MAX_TEXT] not in names:
                names.append(_short(value))
    return names[:MAX_NAMES]


def _linked(nodes: dict[str, dict], value: Any) -> str | None:
    """The node id an input is wired to (``["12", 0]``), if that node exists."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int)):
        node_id = str(value[0])
        return node_id if node_id in nodes else None
    return None


_UNREADABLE = {
    "seed": "not a whole number from 0 to 2**64",
    "steps": f"not a whole number from 1 to {MAX_STEPS}",
    "cfg": "not a number below a million",
}


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _node_order(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() and len(node_id) < 12 else (1 << 40, node_id)


def _short(value: Any) -> str:
    return value[:256] if isinstance(value, str) else ""


def _seed(value: Any) -> int | None:
    # A seed is a whole number up to 2**64; one written as text ("42") is read too.
    try:
        return read_integer(value, minimum=0, maximum=2**64)
    except OutOfBounds:
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e6
