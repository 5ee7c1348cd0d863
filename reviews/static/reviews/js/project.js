// /review/projects/{id}/: the shots in order, each showing its latest version.

import { get, getAll } from "./api.js";
import { $, h, reportError, STATE_LABELS, statusPill, timeAgo } from "./dom.js";

const page = $("#project-page");
const projectId = page.dataset.projectId;
const POLL_MS = 2000;

function poster(shot) {
  const latest = shot.latest_version;
  if (!latest) return h("div", { class: "poster poster-empty" }, h("span", {}, "No version yet"));
  const ready = latest.processing_state === "ready";
  return h(
    "div",
    { class: "poster" },
    ready && latest.poster_url
      ? h("img", { src: latest.poster_url, alt: `${shot.code}, version ${latest.number}`, loading: "lazy" })
      : h("span", { class: `processing-badge state-${latest.processing_state}` }, STATE_LABELS[latest.processing_state]),
    h("span", { class: "version-badge" }, `v${latest.number}`),
  );
}

// How much of the latest version's conversation is still open.
function notesBadge(version) {
  const open = version.open_thread_count;
  return h(
    "span",
    {
      class: `notes${open ? " open" : ""}`,
      title: `${version.comment_count} ${version.comment_count === 1 ? "comment" : "comments and replies"} on v${version.number}`,
    },
    open ? `${open} open ${open === 1 ? "note" : "notes"}` : "all resolved",
  );
}

function shotCard(shot) {
  const latest = shot.latest_version;
  const body = [
    poster(shot),
    h(
      "div",
      { class: "shot-body" },
      h("div", { class: "shot-title" }, h("span", { class: "shot-code" }, shot.code), h("span", { class: "muted" }, shot.title)),
      h(
        "div",
        { class: "shot-meta" },
        statusPill(shot.status),
        latest && latest.processing_state !== "ready"
          ? h("span", { class: `state state-${latest.processing_state}` }, STATE_LABELS[latest.processing_state])
          : null,
        latest?.comment_count ? notesBadge(latest) : null,
        latest ? h("time", { class: "muted small", datetime: latest.created_at }, timeAgo(latest.created_at)) : null,
      ),
    ),
  ];
  return h(
    "li",
    { class: "shot-card", dataset: { shotId: shot.id } },
    latest ? h("a", { href: `/review/versions/${latest.id}/`, class: "shot-link" }, body) : h("div", { class: "shot-link" }, body),
  );
}

function renderFacts(project, shots) {
  const count = (status) => shots.filter((shot) => shot.status === status).length;
  const facts = [
    ["Shots", shots.length],
    ["Approved", count("approved")],
    ["Changes", count("changes_requested")],
    ["Frame rate", `${project.fps} fps`],
  ];
  $("#project-facts").replaceChildren(...facts.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, String(value)))));
}

async function refreshShots(project) {
  const shots = await getAll(`projects/${projectId}/shots/`);
  $("#shots").replaceChildren(...shots.map(shotCard));
  $("#shots").removeAttribute("aria-busy");
  $("#shots-empty").hidden = shots.length > 0;
  renderFacts(project, shots);
  // Keep watching while a clip is still being processed.
  if (shots.some((shot) => ["queued", "processing"].includes(shot.latest_version?.processing_state))) {
    setTimeout(() => refreshShots(project).catch(reportError), POLL_MS);
  }
}

async function main() {
  const project = await get(`projects/${projectId}/`);
  document.title = `${project.name} · reviewsvc`;
  $("#crumb-project").textContent = project.name;
  $("#project-name").textContent = project.name;
  $("#project-description").textContent = project.description;
  await refreshShots(project);
}

main().catch(reportError);
