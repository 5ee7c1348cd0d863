// The director's review links on the project page: share shots' chosen takes or particular
// versions with people who have no account, until a day and time; see who opened each link and the
// notes they left (each a link to its frame); revoke one after confirming. A link's address is
// shown once, when made.

import { del, getAll, post } from "./api.js";
import { h, reportError, toast } from "./dom.js";
import { copyText } from "./links.js";

const STATE_LABELS = { active: "active", expired: "expired", revoked: "revoked" };

let uniqueId = 0;
const nextId = (prefix) => `${prefix}-${++uniqueId}`;

function field(label, input) {
  input.id ||= nextId("link-field");
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
}

const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

// Who opened the link and what they wrote, loaded when the director opens the disclosure.
function activity(project, link) {
  const body = h("div", { class: "review-link-activity-body" }, h("p", { class: "muted small" }, "Loading…"));
  const details = h("details", { class: "review-link-activity" }, h("summary", {}, "Opens and notes"), body);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const base = `projects/${project.id}/review-links/${link.id}`;
      const [opens, notes] = await Promise.all([getAll(`${base}/opens/`), getAll(`${base}/notes/`)]);
      body.replaceChildren(
        h("h4", {}, "Opened"),
        opens.length
          ? h("ul", { class: "review-link-opens" }, ...opens.map((open) => h("li", {}, h("span", {}, open.name), h("time", { class: "muted small", datetime: open.opened_at }, when(open.opened_at)))))
          : h("p", { class: "muted small" }, "Nobody yet."),
        h("h4", {}, "Guests' notes"),
        notes.length
          ? h(
              "ul",
              { class: "review-link-notes" },
              ...notes.map((note) =>
                h(
                  "li",
                  {},
                  h("a", { href: note.link }, `${note.version.shot.code} v${note.version.number}${note.frame !== null ? ` · frame ${note.frame}` : ""}`),
                  h("span", { class: "muted small" }, ` guest: ${note.guest.name} · ${when(note.created_at)}`),
                  h("span", { class: "excerpt" }, note.excerpt),
                ),
              ),
            )
          : h("p", { class: "muted small" }, "No notes yet."),
      );
    } catch (error) {
      loaded = false;
      body.replaceChildren(h("p", { class: "form-error", role: "alert" }, error.message));
    }
  });
  return details;
}

// Revoking is for good, so it asks first: the button becomes "Revoke for good" and "Cancel".
function revokeControl(project, link, render) {
  const box = h("span", { class: "review-link-revoke" });
  const ask = () => {
    const confirm = h(
      "button",
      {
        type: "button",
        class: "button small danger",
        dataset: { action: "confirm-revoke" },
        onclick: async () => {
          try {
            await del(`projects/${project.id}/review-links/${link.id}/`);
            toast("Link revoked: its guests are out at once");
            await render();
          } catch (error) {
            reportError(error);
          }
        },
      },
      "Revoke for good",
    );
    const cancel = h("button", { type: "button", class: "button ghost small", dataset: { action: "cancel-revoke" }, onclick: idle }, "Cancel");
    box.replaceChildren(h("span", { class: "small", role: "status" }, "Its guests lose access at once."), confirm, cancel);
    confirm.focus();
  };
  function idle() {
    const start = h("button", { type: "button", class: "button ghost small danger", dataset: { action: "revoke" }, onclick: ask }, "Revoke");
    box.replaceChildren(start);
    return start;
  }
  idle();
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && box.querySelector("[data-action='cancel-revoke']")) idle().focus();
  });
  return box;
}

function linkRow(project, link, render) {
  const opens = link.open_count === 1 ? "1 open" : `${link.open_count} opens`;
  const notes = link.guest_comment_count === 1 ? "1 note" : `${link.guest_comment_count} notes`;
  const expiry = link.expires_at ? ` · ${link.state === "expired" ? "expired" : "expires"} ${when(link.expires_at)}` : "";
  return h(
    "li",
    { class: `review-link ${link.state}`, dataset: { linkId: link.id } },
    h("span", { class: "label" }, link.label || `Link ${link.id}`),
    h("span", { class: "muted small" }, `${STATE_LABELS[link.state]} · ${opens} · ${notes}${link.has_passphrase ? " · passphrase" : ""}${expiry}`),
    link.state === "active" ? revokeControl(project, link, render) : null,
    activity(project, link),
  );
}

export async function reviewLinksPanel(project) {
  const list = h("ul", { class: "review-link-list" });
  const render = async () => {
    const links = await getAll(`projects/${project.id}/review-links/`);
    list.replaceChildren(...links.map((link) => linkRow(project, link, render)));
  };
  const shots = await getAll(`projects/${project.id}/shots/`);
  const label = h("input", { type: "text", name: "label", maxlength: "200", placeholder: "For the client" });
  const passphrase = h("input", { type: "password", name: "passphrase", autocomplete: "new-password", minlength: "4" });
  const expires = h("input", { type: "datetime-local", name: "expires" });
  const canComment = h("input", { type: "checkbox", name: "can_comment", checked: true });
  const boxes = shots.map((shot) => h("input", { type: "checkbox", name: "shots", value: String(shot.id) }));
  const takes = shots.flatMap((shot) => (shot.versions ?? []).map((version) => ({ shot, version })));
  const versionBoxes = takes.map(({ version }) => h("input", { type: "checkbox", name: "versions", value: String(version.id) }));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const created = h("div", { class: "review-link-created", hidden: true });
  const form = h(
    "form",
    { class: "inline-form", id: "new-review-link", "aria-label": "Share a review link" },
    h(
      "fieldset",
      { class: "review-link-shots" },
      h("legend", {}, "Shots (their chosen take, else the latest)"),
      ...shots.map((shot, index) => h("label", {}, boxes[index], `${shot.code}${shot.title ? ` ${shot.title}` : ""}`)),
    ),
    takes.length
      ? h(
          "fieldset",
          { class: "review-link-shots review-link-versions" },
          h("legend", {}, "Or particular versions"),
          ...takes.map(({ shot, version }, index) => h("label", {}, versionBoxes[index], `${shot.code} v${version.number}`)),
        )
      : null,
    field("Label", label),
    field("Passphrase (optional)", passphrase),
    field("Expires (optional)", expires),
    h("div", { class: "review-link-options" }, h("label", {}, canComment, "Guests may comment")),
    h("button", { type: "submit", class: "button", id: "create-review-link" }, "Create link"),
    error,
    created,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = {
      label: label.value.trim(),
      shots: boxes.filter((box) => box.checked).map((box) => Number(box.value)),
      versions: versionBoxes.filter((box) => box.checked).map((box) => Number(box.value)),
      can_comment: canComment.checked,
    };
    if (passphrase.value) body.passphrase = passphrase.value;
    // The chosen moment, in the director's time zone.
    if (expires.value) body.expires_at = new Date(expires.value).toISOString();
    try {
      const link = await post(`projects/${project.id}/review-links/`, body);
      form.reset();
      canComment.checked = true;
      const address = h("input", { type: "text", readonly: true, value: link.url, id: "review-link-url", "aria-label": "The link's address" });
      const copy = h(
        "button",
        {
          type: "button",
          class: "button primary small",
          onclick: async () => {
            address.select();
            toast((await copyText(link.url)) ? "Link copied" : "Select the address and copy it");
          },
        },
        "Copy",
      );
      created.replaceChildren(h("span", { class: "small" }, "Copy it now: it is shown only once."), address, copy);
      created.hidden = false;
      address.focus();
      address.select();
      await render();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  await render();
  return h("details", { class: "review-links-panel", id: "review-links" }, h("summary", {}, "Review links"), list, form);
}
