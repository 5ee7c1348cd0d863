// The director's review links on the project page: share shots' chosen takes with people who
// have no account, see who opened each link, revoke one. A link's address is shown once, when made.

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

function linkRow(project, link, render) {
  const opens = link.open_count === 1 ? "1 open" : `${link.open_count} opens`;
  const notes = link.guest_comment_count === 1 ? "1 note" : `${link.guest_comment_count} notes`;
  const revoke =
    link.state === "active"
      ? h(
          "button",
          {
            type: "button",
            class: "button ghost small danger",
            dataset: { action: "revoke" },
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
          "Revoke",
        )
      : null;
  return h(
    "li",
    { class: `review-link ${link.state}`, dataset: { linkId: link.id } },
    h("span", { class: "label" }, link.label || `Link ${link.id}`),
    h("span", { class: "muted small" }, `${STATE_LABELS[link.state]} · ${opens} · ${notes}${link.has_passphrase ? " · passphrase" : ""}`),
    revoke,
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
  const expires = h("input", { type: "date", name: "expires" });
  const canComment = h("input", { type: "checkbox", name: "can_comment", checked: true });
  const boxes = shots.map((shot) => h("input", { type: "checkbox", name: "shots", value: String(shot.id) }));
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
      can_comment: canComment.checked,
    };
    if (passphrase.value) body.passphrase = passphrase.value;
    // The end of the chosen day, in the director's time zone.
    if (expires.value) body.expires_at = new Date(`${expires.value}T23:59:59`).toISOString();
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
