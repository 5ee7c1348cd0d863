// Live updates over server-sent events (docs/live.md). A page subscribes to kinds of event and
// learns whether the stream is up, so it polls rarely while it is and as before when it is not.
// The stream lives under the page's API base: a review link guest's under /api/v1/guest.

import { API } from "./api.js";

// After the server refused the stream (signed out, access removed) or the browser gave up,
// try again this much later; meanwhile the page polls.
const RETRY_MS = 15000;
// After the server closed a stream that fell behind: reconnect soon, with Last-Event-ID.
const BEHIND_RETRY_MS = 500;

export class LiveStream extends EventTarget {
  // path: "projects/3/events/" or "versions/12/events/", below the page's API base.
  constructor(path) {
    super();
    this.path = path;
    this.source = null;
    this.connected = false;
    this.ended = false;
    this.kinds = new Set();
    this.lastEventId = null;
  }

  // handler(data, event) for each event of the kind (e.g. "comment.created").
  on(kind, handler) {
    this.kinds.add(kind);
    this.addEventListener(kind, (event) => handler(event.detail.data, event.detail));
    return this;
  }

  start() {
    if (typeof EventSource === "undefined" || this.ended) return this;
    const query = this.lastEventId ? `?last_event_id=${encodeURIComponent(this.lastEventId)}` : "";
    const source = new EventSource(`${API}/${this.path}${query}`, { withCredentials: true });
    this.source = source;
    source.addEventListener("open", () => this.setConnected(true));
    for (const kind of this.kinds) {
      source.addEventListener(kind, (message) => {
        if (message.lastEventId) this.lastEventId = message.lastEventId;
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        this.dispatchEvent(new CustomEvent(kind, { detail: { data, id: message.lastEventId } }));
        // Someone did something here: the bell may have news (bell.js asks, a moment later).
        document.dispatchEvent(new CustomEvent("live:activity", { detail: { kind } }));
      });
    }
    // The server ends the stream on purpose. Signed out or access removed ("signed_out",
    // "removed"): final, the page polls. Fell too far behind ("behind"): reconnect at once from the
    // last event received, which catches up from the record.
    source.addEventListener("stream.closed", (message) => {
      let body = {};
      try {
        body = JSON.parse(message.data) ?? {};
      } catch {
        body = {};
      }
      this.stop();
      if (body.reason === "behind") {
        setTimeout(() => this.start(), BEHIND_RETRY_MS);
        return;
      }
      this.ended = true;
      this.dispatchEvent(new CustomEvent("ended", { detail: { detail: body.detail ?? "", reason: body.reason } }));
    });
    source.addEventListener("error", () => {
      // The browser reconnects by itself (with Last-Event-ID) unless the server refused it.
      this.setConnected(source.readyState === EventSource.OPEN);
      if (source.readyState === EventSource.CLOSED) {
        this.stop();
        setTimeout(() => this.start(), RETRY_MS);
      }
    });
    return this;
  }

  stop() {
    this.source?.close();
    this.source = null;
    this.setConnected(false);
  }

  setConnected(connected) {
    if (connected === this.connected) return;
    this.connected = connected;
    document.documentElement.dataset.live = connected ? "on" : "off";
    this.dispatchEvent(new CustomEvent("connection", { detail: { connected } }));
  }
}

// Call fn at most once per `ms`, after the last of a burst (twenty notes a second are one reload).
export function coalesce(fn, ms = 150) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
