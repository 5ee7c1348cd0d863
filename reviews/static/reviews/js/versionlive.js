// Live updates of the version page: others' notes, status and decision changes, and processing
// progress arrive over the version's event stream (docs/live.md) instead of by polling.

import { get } from "./api.js";
import { renderProcessing, renderStatusControl } from "./details.js";
import { reportError, toast } from "./dom.js";
import { coalesce, LiveStream } from "./live.js";

const COMMENT_KINDS = ["comment.created", "comment.updated", "comment.resolved", "comment.reopened", "comment.deleted"];

// A review link guest's page (API under /api/v1/guest) follows the guest stream of the same path:
// only this version's events, as the guest API shows them (docs/review-links.md).
export function followVersion({ versionId, state, loadComments, onStatus }) {
  const live = new LiveStream(`versions/${versionId}/events/`);
  // Others' notes, replies, edits, resolutions: one reload of the conversation per burst.
  const reloadComments = coalesce(() => loadComments().catch(reportError));
  for (const kind of COMMENT_KINDS) live.on(kind, reloadComments);
  const reloadVersion = coalesce(async () => {
    try {
      const updated = await get(`versions/${versionId}/`);
      renderStatusControl(updated, onStatus);
      state.versions.show(updated);
    } catch (error) {
      reportError(error);
    }
  });
  live.on("version.review_status_changed", reloadVersion);
  // Any take of the shot: selecting one unselects another, whose page hears it here too. The
  // takes are read again and compared, so the decision control follows (docs/takes.md).
  const refreshTakes = coalesce(() => state.versions.refresh().catch(reportError));
  for (const kind of ["version.decision_changed", "version.recommended", "version.recommendation_withdrawn"]) {
    live.on(kind, refreshTakes);
  }
  live.on("version.created", refreshTakes);
  live.on("version.progress", (data) => {
    if (state.player || data.version.id !== versionId) return;
    renderProcessing({ processing: { state: data.state, progress: data.percent } });
  });
  for (const kind of ["version.ready", "version.failed"]) live.on(kind, () => state.wakeProxyWait?.());
  live.addEventListener("ended", (event) =>
    toast(event.detail.detail || "Live updates stopped; reload the page.", { error: true }),
  );
  state.live = live.start();
}
