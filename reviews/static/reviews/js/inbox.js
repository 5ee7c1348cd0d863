// /review/inbox/: your notifications grouped per version, newest activity first; unread ones
// are marked, opening one marks it read and goes to its exact frame and thread.

import { get, getAll, post } from "./api.js";
import { $, h, reportError, timeAgo } from "./dom.js";

const REASONS = {
  mentioned: "mentioned you",
  reply: "replied in your thread",
  note_on_your_version: "left a note on your version",
  new_version: "uploaded a new version",
  your_version_ready: "Your version is ready",
  your_version_failed: "Your version failed to process",
  review_status_changed: "changed the review status",
  decision_changed: "changed the chosen take",
  take_recommended: "recommends this take",
  your_note_resolved: "resolved your note",
};

let unreadOnly = false;
const EMPTY = "Nothing yet. You hear here when someone mentions you, answers you, or leaves a note on your clips.";
let nextPage = null;

function sentence(notification) {
  // A change of the chosen take or the review status says what it became (the server's summary).
  const first = notification.reasons[0];
  const told = ["decision_changed", "review_status_changed"].includes(first) && notification.summary;
  const what = told || REASONS[first] || notification.kind;
  const who = notification.actor?.display_name;
  return who && what[0] === what[0].toLowerCase() ? `${who} ${what}` : what;
}

function changed() {
  document.dispatchEvent(new CustomEvent("notifications:changed"));
}

function item(notification) {
  const row = h(
    "li",
    { class: `inbox-item${notification.unread ? " unread" : ""}`, dataset: { id: notification.id } },
    h(
      "a",
      { href: notification.link, class: "inbox-link" },
      notification.unread ? h("span", { class: "unread-dot", role: "img", "aria-label": "unread" }) : h("span", { class: "read-dot", "aria-hidden": "true" }),
      h(
        "span",
        { class: "inbox-text" },
        h("span", { class: "inbox-what" }, sentence(notification)),
        notification.comment?.excerpt ? h("span", { class: "inbox-excerpt" }, notification.comment.excerpt) : null,
        h(
          "span",
          { class: "inbox-meta muted small" },
          notification.comment && notification.comment.frame !== null ? `frame ${notification.comment.frame} · ` : "",
          h("time", { datetime: notification.created_at, title: new Date(notification.created_at).toLocaleString() }, timeAgo(notification.created_at)),
        ),
      ),
    ),
  );
  // Marked read before the page leaves, so the bell is right when the person comes back.
  row.querySelector("a").addEventListener("click", async (event) => {
    if (!notification.unread || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    try {
      await post(`notifications/${notification.id}/read/`);
    } catch (failure) {
      reportError(failure);
    }
    window.location.assign(notification.link);
  });
  return row;
}

function group(entry) {
  const version = entry.version;
  const title = version ? `${version.shot.code} v${version.number}` : "Elsewhere";
  const markRead = entry.unread_count && version
    ? h("button", { type: "button", class: "button ghost small", "aria-label": `Mark ${title} read` }, "Mark read")
    : null;
  markRead?.addEventListener("click", async () => {
    try {
      await post("notifications/read-all/", { version: version.id });
      changed();
      await load();
    } catch (failure) {
      reportError(failure);
    }
  });
  const more = entry.count - entry.notifications.length;
  return h(
    "li",
    { class: `inbox-group${entry.unread_count ? " has-unread" : ""}` },
    h(
      "header",
      { class: "inbox-group-head" },
      h(
        "div",
        {},
        h("h2", {}, version ? h("a", { href: `/review/versions/${version.id}/` }, title) : title),
        h("p", { class: "muted small" }, entry.project?.name ?? ""),
      ),
      entry.unread_count ? h("span", { class: "unread-label" }, `${entry.unread_count} new`) : null,
      markRead,
    ),
    h("ol", { class: "inbox-items" }, entry.notifications.map(item)),
    more > 0 && version ? earlier(version, more) : null,
    more > 0 && !version ? h("p", { class: "muted small inbox-more-note" }, `and ${more} earlier`) : null,
  );
}

// "Show 6 earlier": the group's whole list (?version=), in place, newest first.
function earlier(version, more) {
  const button = h(
    "button",
    { type: "button", class: "button ghost small inbox-more-note", "aria-label": `Show ${more} earlier notifications on ${version.shot.code} v${version.number}` },
    `Show ${more} earlier`,
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const items = await getAll(`notifications/?version=${version.id}${unreadOnly ? "&unread=true" : ""}`);
      const list = button.closest(".inbox-group").querySelector(".inbox-items");
      list.replaceChildren(...items.map(item));
      list.querySelector(`li:nth-child(${items.length - more + 1}) a`)?.focus();
      button.remove();
    } catch (failure) {
      button.disabled = false;
      reportError(failure);
    }
  });
  return button;
}

function summarize(page) {
  $("#inbox-summary").textContent = page.unread_count ? `${page.unread_count} unread` : "All read";
  $("#read-all").disabled = page.unread_count === 0;
}

async function load(append = false) {
  const list = $("#inbox");
  list.setAttribute("aria-busy", "true");
  const path = append && nextPage ? nextPage : `notifications/?group=version${unreadOnly ? "&unread=true" : ""}`;
  const page = await get(path);
  nextPage = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
  const groups = page.results.map(group);
  if (append) list.append(...groups);
  else list.replaceChildren(...groups);
  list.setAttribute("aria-busy", "false");
  $("#inbox-empty").hidden = list.children.length > 0;
  $("#inbox-empty").textContent = unreadOnly ? "No unread notifications." : EMPTY;
  $("#inbox-more").hidden = !nextPage;
  summarize(page);
}

function choose(onlyUnread) {
  unreadOnly = onlyUnread;
  $("#show-all").setAttribute("aria-pressed", String(!onlyUnread));
  $("#show-unread").setAttribute("aria-pressed", String(onlyUnread));
  load().catch(reportError);
}

$("#show-all").addEventListener("click", () => choose(false));
$("#show-unread").addEventListener("click", () => choose(true));
$("#inbox-more").addEventListener("click", () => load(true).catch(reportError));
$("#read-all").addEventListener("click", async () => {
  try {
    await post("notifications/read-all/", {});
    changed();
    await load();
  } catch (failure) {
    reportError(failure);
  }
});
load().catch(reportError);
