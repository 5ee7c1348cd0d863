"""C2PA content credentials of an uploaded file, read offline with c2pa-python in a child process.

The reader is native code (c2pa-rs) given a hostile file, so it runs in its own short-lived
process (``python -m reviews.media.c2pa_credentials PATH``, settings on stdin, a summary as JSON
on stdout) with a time limit: a crash, a hang or a memory blow-up ends that process, never the
worker, and the version is processed anyway. Nothing reaches the network: remote manifests and
OCSP are not fetched, and no host is allowed (``OFFLINE_SETTINGS``). No Django here.

The summary's ``state`` (see docs/provenance.md):
- ``valid``: c2pa-rs says ``Trusted``: signature and hashes check and the signer chains to a
  configured trust anchor;
- ``untrusted``: c2pa-rs says ``Valid``: signature and hashes check, the signer is not trusted
  (its only failure is ``signingCredential.untrusted``);
- ``invalid``: c2pa-rs says ``Invalid`` (the media was altered after signing, the signature does
  not check, ...), or the manifest is there but cannot be read;
- ``absent``: no manifest in the file, a format C2PA is not read from (WebM, MKV), or only a
  reference to a remote manifest (reported as ``remote_manifest_url``, not fetched);
- ``unread``: the reader crashed or ran out of time (the reason is in the provenance's skipped).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from reviews.media import children

# Reading never reaches the network: no remote manifest, no OCSP, no host allowed at all.
OFFLINE_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": True},
    "core": {"allowed_network_hosts": []},
}
# The child's summary is small; anything longer than this is not believed.
MAX_SUMMARY_BYTES = 256 * 1024
MAX_ACTIONS = 50
MAX_TEXT = 512

_AI = "trainedAlgorithmicMedia"
_COMPOSITE_AI = "compositeWithTrainedAlgorithmicMedia"
_STATES = {"Trusted": "valid", "Valid": "untrusted", "Invalid": "invalid"}


class ReadFailed(Exception):
    """The child process crashed, ran out of time or answered nonsense; str() says which."""


def read(path: Path, *, trust_anchors_pem: str = "", timeout: float = 60) -> dict[str, Any]:
    """The file's content credentials summarised (``{"state": ..., ...}``, see the module doc).

    ``trust_anchors_pem``: PEM certificates added to c2pa's trust anchors (state ``valid``).
    Raises ``ReadFailed`` when the reading process fails; a file without credentials, or with
    broken ones, is an answer (``absent``, ``invalid``), not an error.
    """
    settings = json.loads(json.dumps(OFFLINE_SETTINGS))
    if trust_anchors_pem:
        settings["trust"] = {"user_anchors": trust_anchors_pem}
    command = [sys.executable, "-m", "reviews.media.c2pa_credentials", str(path.resolve())]
    try:
        result = children.run(
            command, input=json.dumps(settings), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise ReadFailed(f"reading the content credentials took longer than {timeout:g} s") from None
    if result.returncode != 0:
        raise ReadFailed(f"the content credentials reader stopped (exit status {result.returncode})")
    if len(result.stdout) > MAX_SUMMARY_BYTES:
        raise ReadFailed("the content credentials reader answered too much")
    try:
        summary = json.loads(result.stdout)
    except ValueError:
        raise ReadFailed("the content credentials reader answered nonsense") from None
    if not isinstance(summary, dict) or summary.get("state") not in (*_STATES.values(), "absent"):
        raise ReadFailed("the content credentials reader answered nonsense")
    return summary


def _read_in_child(path: str, settings: dict[str, Any]) -> dict[str, Any]:
    from c2pa import C2paError, Context, Reader  # native library: loaded in the child only

    # Bad settings (an unreadable trust anchor) are the operator's to fix: the child fails loudly.
    context = Context.from_dict(settings)
    try:
        with context, open(path, "rb") as stream:
            reader = Reader.try_create(stream, context=context)
            if reader is None:
                return {"state": "absent"}
            with reader:
                return summarize(json.loads(reader.json()))
    except C2paError.NotSupported:
        return {"state": "absent"}
    except C2paError as error:
        message = str(error)
        if message.startswith("Remote"):
            url = message.rsplit(" ", 1)[-1] if "url" in message else ""
            return {"state": "absent", "remote_manifest_url": url[:MAX_TEXT]}
        return {"state": "invalid", "error": message[:MAX_TEXT]}


def summarize(store: dict[str, Any]) -> dict[str, Any]:
    """The part of a c2pa manifest store (``Reader.json()``) a reviewer reads, of bounded size.

    ``{"state", "claim_generator", "title", "signer": {"issuer", "common_name", "algorithm"},
    "signed_at", "actions": [{"action", "digital_source_type", "software_agent", "when"}],
    "ai_generated", "composite_with_ai", "failures": [code, ...], "manifest_count"}``.
    """
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active = manifests.get(store.get("active_manifest")) or {}
    if not isinstance(active, dict):
        active = {}
    results = store.get("validation_results")
    active_results = results.get("activeManifest") if isinstance(results, dict) else None
    failures = [
        _text(entry.get("code"))
        for entry in (active_results or {}).get("failure", [])
        if isinstance(entry, dict)
    ][:20]
    if not active_results:
        failures = [
            _text(entry.get("code"))
            for entry in store.get("validation_status") or []
            if isinstance(entry, dict)
        ][:20]
    state = _STATES.get(store.get("validation_state"))
    if state is None:
        state = "untrusted" if set(failures) <= {"signingCredential.untrusted"} else "invalid"
    signature = active.get("signature_info") if isinstance(active.get("signature_info"), dict) else {}
    actions = _actions(active.get("assertions"))
    source_types = {action["digital_source_type"] for action in actions if action["digital_source_type"]}
    return {
        "state": state,
        "claim_generator": _claim_generator(active),
        "title": _text(active.get("title")),
        "signer": {
            "issuer": _text(signature.get("issuer")),
            "common_name": _text(signature.get("common_name")),
            "algorithm": _text(signature.get("alg")),
        },
        # Only a trusted timestamp (RFC 3161, from a TSA at signing) dates a signature.
        "signed_at": _text(signature.get("time")) or None,
        "actions": actions,
        "ai_generated": any(source.endswith("/" + _AI) or source == _AI for source in source_types),
        "composite_with_ai": any(source.endswith(_COMPOSITE_AI) for source in source_types),
        "failures": failures,
        "manifest_count": len(manifests),
    }


def _claim_generator(manifest: dict[str, Any]) -> str:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = _text(info[0].get("name")), _text(info[0].get("version"))
        return f"{name} {version}".strip()
    return _text(manifest.get("claim_generator"))


def _actions(assertions: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for assertion in assertions if isinstance(assertions, list) else []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        for action in data.get("actions", []) if isinstance(data, dict) else []:
            if not isinstance(action, dict) or len(found) >= MAX_ACTIONS:
                continue
            agent = action.get("softwareAgent")
            found.append(
                {
                    "action": _text(action.get("action")),
                    "digital_source_type": _text(action.get("digitalSourceType")),
                    "software_agent": _text(agent.get("name") if isinstance(agent, dict) else agent),
                    "when": _text(action.get("when")) or None,
                }
            )
    return found


def _text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


if __name__ == "__main__":
    print(json.dumps(_read_in_child(sys.argv[1], json.loads(sys.stdin.read()))))
