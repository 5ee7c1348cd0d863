// A shot on the project page: the version that matters large, every version one click away,
// each with its own status, open notes, processing state and unread activity.

import { h, STATE_LABELS, STATUS_LABELS, statusPill, timeAgo } from "./dom.js";

// A shot's status as the pages show it: its landing version's (the one with the newest
// activity), so a fresh re-upload does not hide "Changes requested" on the take before it.
// The API's shot.status stays the contract's: the latest version's.
export function shotStatus(shot) {
  return shot.landing_version?.review_status ?? "no_version";
}

// What a version's processing looks like to a person waiting for it.
export function processingLabel(version) {
  // queue_position is a number while the version waits for a worker (queued, or probed and
  // waiting for its render), null once a worker renders it.
  if (typeof version.queue_position === "number") return `Waiting for a worker (${version.queue_position} ahead)`;
  if (version.processing_state === "queued") return "Waiting for a worker";
  if (version.processing_state === "processing") return `Processing · ${version.processing_progress}%`;
  return STATE_LABELS[version.processing_state];
}

const versionUrl = (version) => `/review/versions/${version.id}/`;

function poster(shot, landing) {
  if (!landing) return h("div", { class: "poster poster-empty" }, h("span", {}, "No version yet"));
  const ready = landing.processing_state === "ready" && landing.poster_url;
  return h(
    "div",
    { class: "poster" },
    ready
      ? h("img", { src: landing.poster_url, alt: `${shot.code}, version ${landing.number}`, loading: "lazy" })
      : h("span", { class: `processing-badge state-${landing.processing_state}` }, processingLabel(landing)),
    h("span", { class: "version-badge" }, `v${landing.number}`),
    landing.decision === "selected" ? h("span", { class: "take-badge", title: "The director's chosen take" }, "Selected take") : null,
  );
}

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

// This version beside the one that matters, in sync, on the compare page.
function compareLink(version, landing) {
  if (!landing || version.id === landing.id || [version, landing].some((each) => each.processing_state === "failed")) return null;
  return h(
    "a",
    {
      href: `/review/compare/?a=${version.id}&b=${landing.id}`,
      class: "compare-link",
      title: `Compare v${version.number} with v${landing.number}, side by side and in sync`,
      "aria-label": `Compare v${version.number} with v${landing.number}`,
    },
    `⇄ v${landing.number}`,
  );
}

// One line per version: its number, status, open notes and whether something is new there.
function versionRow(version, landing, { canDelete, onDelete }) {
  const details = [
    version.decision === "selected" ? "selected take" : version.decision === "rejected" ? "rejected" : null,
    version.processing_state === "ready" ? STATUS_LABELS[version.review_status] : processingLabel(version),
    version.open_thread_count ? `${version.open_thread_count} open` : null,
  ].filter(Boolean);
  return h(
    "li",
    {
      class: `version-row status-${version.review_status} state-${version.processing_state} decision-${version.decision}${version.id === landing?.id ? " landing" : ""}`,
      dataset: { versionId: version.id },
    },
    h(
      "a",
      {
        href: versionUrl(version),
        class: "version-link",
        "aria-current": version.id === landing?.id ? "true" : null,
        title: version.last_activity_at ? `Last note or decision ${timeAgo(version.last_activity_at)}` : "No notes yet",
      },
      h("span", { class: "version-number" }, `v${version.number}`),
      h("span", { class: "version-detail" }, details.join(" · ")),
      version.unread ? h("span", { class: "unread-dot", role: "img", "aria-label": "unread activity", title: "New since you last looked" }) : null,
    ),
    compareLink(version, landing),
    canDelete && version.processing_state === "failed"
      ? h(
          "button",
          { type: "button", class: "link-button danger delete-version", "aria-label": `Delete failed v${version.number}`, onclick: () => onDelete(version) },
          "Delete",
        )
      : null,
  );
}

// The part of a card that polling redraws; the director's tools beside it are kept as they are.
export function shotSummary(shot, options) {
  const landing = shot.landing_version;
  const unread = shot.versions.some((version) => version.unread);
  const head = h(
    "div",
    { class: "shot-body" },
    h(
      "div",
      { class: "shot-title" },
      h("span", { class: "shot-code" }, shot.code),
      h("span", { class: "muted" }, shot.title),
      unread ? h("span", { class: "unread-label" }, "New") : null,
      shot.selected_version ? h("span", { class: "chosen-take", title: "The director's chosen take" }, `take v${shot.selected_version.number}`) : null,
    ),
    h(
      "div",
      { class: "shot-meta" },
      statusPill(shotStatus(shot)),
      landing?.comment_count ? notesBadge(landing) : null,
      landing ? h("time", { class: "muted small", datetime: landing.created_at }, timeAgo(landing.created_at)) : null,
    ),
  );
  const picture = poster(shot, landing);
  return [
    landing ? h("a", { href: versionUrl(landing), class: "shot-link" }, picture, head) : h("div", { class: "shot-link" }, picture, head),
    shot.versions.length > 1
      ? h(
          "ol",
          { class: "version-list", "aria-label": `Versions of ${shot.code}` },
          [...shot.versions].reverse().map((version) => versionRow(version, landing, options)),
        )
      : null,
  ].filter(Boolean);
}
