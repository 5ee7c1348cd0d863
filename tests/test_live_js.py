"""The live pages' scripts under Node, with a stand-in EventSource and document (docs/live.md):
how a page treats each reason a stream was closed, and where a page (a member's, a guest's) opens its stream.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent.parent / "reviews" / "static" / "reviews" / "js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")

# Globals a browser would give: meta tags, <html>'s dataset, EventSource (recording each one made).
PRELUDE = """
globalThis.META = {};
globalThis.document = {
  documentElement: { dataset: {} },
  querySelector: (selector) => {
    const name = /meta\\[name="([^"]+)"\\]/.exec(selector)?.[1];
    return name && name in META ? { content: META[name] } : null;
  },
  querySelectorAll: () => [],
  getElementById: () => null,
  addEventListener: () => {},
  // What the page announced on the document (live.js's "live:activity", for the bell).
  dispatched: [],
  dispatchEvent(event) {
    this.dispatched.push(event.type);
    return true;
  },
};
globalThis.window = globalThis;
globalThis.SOURCES = [];
globalThis.EventSource = class {
  static OPEN = 1;
  static CLOSED = 2;
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.listeners = {};
    SOURCES.push(this);
  }
  addEventListener(kind, fn) {
    (this.listeners[kind] ??= []).push(fn);
  }
  emit(kind, data, lastEventId = "") {
    for (const fn of this.listeners[kind] ?? []) fn({ data: JSON.stringify(data), lastEventId });
  }
  close() {
    this.readyState = 2;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
"""


def run_node(tmp_path: Path, body: str) -> dict:
    """Run body (an async module with the prelude) against a copy of the scripts; its printed JSON."""
    copy = tmp_path / "js"
    shutil.copytree(JS, copy)
    (copy / "package.json").write_text('{"type": "module"}')
    script = copy / "check.js"
    script.write_text(PRELUDE + body)
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_stream_closed_for_falling_behind_reconnects_from_the_last_event(tmp_path):
    result = run_node(
        tmp_path,
        """
const { LiveStream } = await import("./live.js");
const stream = new LiveStream("projects/3/events/");
let ended = false;
stream.on("comment.created", () => {});
stream.addEventListener("ended", () => (ended = true));
stream.start();
SOURCES[0].emit("comment.created", { id: 41 }, "41");
SOURCES[0].emit("stream.closed", { detail: "behind", reason: "behind" });
await sleep(1500);
console.log(JSON.stringify({ ended, urls: SOURCES.map((s) => s.url), firstClosed: SOURCES[0].readyState }));
process.exit(0);
""",
    )
    assert result["ended"] is False
    assert result["firstClosed"] == 2
    assert result["urls"] == ["/api/v1/projects/3/events/", "/api/v1/projects/3/events/?last_event_id=41"]


@pytest.mark.parametrize("reason", ["removed", "signed_out"])
def test_a_stream_closed_because_access_ended_does_not_reconnect(tmp_path, reason):
    result = run_node(
        tmp_path,
        f"""
const {{ LiveStream }} = await import("./live.js");
const stream = new LiveStream("versions/5/events/");
let ended = null;
stream.addEventListener("ended", (event) => (ended = event.detail));
stream.start();
SOURCES[0].emit("stream.closed", {{ detail: "Gone.", reason: "{reason}" }});
await sleep(1500);
console.log(JSON.stringify({{ ended, sources: SOURCES.length }}));
process.exit(0);
""",
    )
    assert result == {"ended": {"detail": "Gone.", "reason": reason}, "sources": 1}


@pytest.mark.parametrize(
    ("api_base", "url"),
    [
        ("/api/v1/guest", "/api/v1/guest/versions/5/events/"),
        ("/api/v1", "/api/v1/versions/5/events/"),
        (None, "/api/v1/versions/5/events/"),
    ],
)
def test_the_version_page_opens_the_stream_under_its_api_base_for_members_and_guests(tmp_path, api_base, url):
    meta = "" if api_base is None else f'META["api-base"] = "{api_base}";'
    result = run_node(
        tmp_path,
        f"""
{meta}
const {{ followVersion }} = await import("./versionlive.js");
const state = {{ versions: {{}} }};
followVersion({{ versionId: 5, state, loadComments: async () => {{}}, onStatus: () => {{}} }});
console.log(JSON.stringify({{ urls: SOURCES.map((s) => s.url), live: Boolean(state.live) }}));
process.exit(0);
""",
    )
    assert result == {"urls": [url], "live": True}
