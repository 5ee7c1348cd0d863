// /review/projects/{id}/: the shots in order, each with the conversation of all its versions,
// kept live by server-sent events (polling only while the stream is down); a director creates,
// orders and uploads here.

import { del, get, getAll } from "./api.js";
import { acceptDrops, membersPanel, moveShot, newShotForm, reorderButtons, uploadTools } from "./director.js";
import { $, h, reportError, toast } from "./dom.js";
import { reviewLinksPanel } from "./reviewlinks.js";
import { projectSearch } from "./search.js";
import { coalesce, LiveStream } from "./live.js";
import { invitationsPanel } from "./invitations.js";
import { shotStatus, shotSummary } from "./shotcard.js";

const page = $("#project-page");
const projectId = page.dataset.projectId;
// Often enough to see a render move and a new version arrive, rarely enough to cost nothing.
const POLL_MS = 4000;
// While the live stream is up it announces every change the page shows; this only checks.
const LIVE_POLL_MS = 60000;

const state = { project: null, shots: [], cards: new Map(), timer: null, live: null };

const canManage = () => state.project.my_actions.includes("manage_shots");

function renderFacts() {
  const { shots, project } = state;
  const count = (status) => shots.filter((shot) => shotStatus(shot) === status).length;
  const versions = shots.flatMap((shot) => shot.versions);
  const versionCount = (status) => versions.filter((version) => version.review_status === status).length;
  const facts = [
    ["Shots", shots.length, "shots"],
    ["Approved", count("approved"), "approved"],
    ["Changes", count("changes_requested"), "changes"],
    ["Versions", versions.length, "versions"],
    ["Frame rate", `${project.fps} fps`, "fps"],
  ];
  $("#project-facts").replaceChildren(
    ...facts.map(([label, value, key]) => h("div", { dataset: { fact: key } }, h("dt", {}, label), h("dd", {}, String(value)))),
  );
  $("#version-counts").textContent = versions.length
    ? `Across all versions: ${versionCount("approved")} approved, ${versionCount("changes_requested")} with changes requested, ${versionCount("pending")} pending.`
    : "";
}

async function deleteVersion(version) {
  if (!window.confirm(`Delete v${version.number}? Its file and notes go with it.`)) return;
  await del(`versions/${version.id}/`);
  toast(`v${version.number} deleted`);
  await refresh();
}

async function move(shot, step) {
  await moveShot(state.shots, shot, step);
  await refresh();
  // The buttons were redrawn with the card: keep the keyboard on the shot that moved.
  state.cards.get(shot.id)?.querySelector(step < 0 ? ".move-up" : ".move-down")?.focus();
}

// A card is made once per shot; refreshes redraw its summary and leave its tools (uploads in
// flight, half-typed metadata) alone.
function cardFor(shot) {
  let card = state.cards.get(shot.id);
  if (!card) {
    const summary = h("div", { class: "shot-summary" });
    card = h("li", { class: "shot-card", dataset: { shotId: shot.id } }, summary);
    if (canManage()) {
      const { tools, start } = uploadTools(shot, { onUploaded: () => refresh().catch(reportError) });
      card.append(h("div", { class: "shot-tools" }, h("div", { class: "reorder-slot" }), tools));
      acceptDrops(card, start);
    }
    state.cards.set(shot.id, card);
  }
  const options = { canDelete: canManage(), onDelete: (version) => deleteVersion(version).catch(reportError) };
  card.querySelector(".shot-summary").replaceChildren(...shotSummary(shot, options));
  const slot = card.querySelector(".reorder-slot");
  if (slot) slot.replaceChildren(reorderButtons(shot, { onMove: (moved, step) => move(moved, step).catch(reportError) }));
  return card;
}

function renderShots() {
  const list = $("#shots");
  const cards = state.shots.map(cardFor);
  const ids = new Set(state.shots.map((shot) => shot.id));
  for (const [id, card] of state.cards) {
    if (!ids.has(id)) {
      card.remove();
      state.cards.delete(id);
    }
  }
  // Moving a node drops its focus and an open file dialog's target: only when the order changed.
  const inPlace = cards.length === list.children.length && cards.every((card, index) => list.children[index] === card);
  if (!inPlace) list.replaceChildren(...cards);
  list.removeAttribute("aria-busy");
  $("#shots-empty").hidden = state.shots.length > 0;
}

async function refresh() {
  state.shots = await getAll(`projects/${projectId}/shots/`);
  renderShots();
  renderFacts();
}

// Poll while someone is looking; a hidden tab asks nothing and catches up when shown again.
function schedule() {
  clearTimeout(state.timer);
  if (document.hidden) return;
  state.timer = setTimeout(async () => {
    try {
      await refresh();
    } catch (error) {
      reportError(error);
    }
    schedule();
  }, state.live?.connected ? LIVE_POLL_MS : POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    clearTimeout(state.timer);
    return;
  }
  refresh().catch(reportError).finally(schedule);
});

async function main() {
  state.project = await get(`projects/${projectId}/`);
  const { project } = state;
  document.title = `${project.name} · reviewsvc`;
  $("#crumb-project").textContent = project.name;
  $("#project-name").textContent = project.name;
  $("#project-description").textContent = project.description;
  const tools = [];
  if (canManage()) {
    tools.push(newShotForm(projectId, { onCreated: () => refresh().catch(reportError) }));
    $("#shots-empty").textContent = "No shots yet. Add the first one above, then drop its clips on it.";
  }
  tools.push(await membersPanel(project));
  if (project.my_actions.includes("manage_members")) tools.push(await reviewLinksPanel(project));
  const invitations = await invitationsPanel(project);
  if (invitations) tools.push(invitations);
  $("#project-tools").replaceChildren(...tools);
  projectSearch(projectId);
  await refresh();
  schedule();
  startLive();
}

// New versions, their processing and their review: one refresh of the shots per burst.
const LIVE_KINDS = [
  "version.created",
  "version.ready",
  "version.failed",
  "version.progress",
  "version.review_status_changed",
  "version.decision_changed",
  "comment.created",
  "comment.resolved",
  "comment.reopened",
  "comment.deleted",
];

function startLive() {
  const live = new LiveStream(`projects/${projectId}/events/`);
  const update = coalesce(() => {
    if (!document.hidden) refresh().catch(reportError);
  }, 300);
  for (const kind of LIVE_KINDS) live.on(kind, update);
  live.addEventListener("connection", schedule);
  live.addEventListener("ended", (event) =>
    toast(event.detail.detail || "Live updates stopped; reload the page.", { error: true }),
  );
  state.live = live.start();
}

main().catch(reportError);
