// A director's invitations on the project page, through the public API: invite an address with a
// role, and see, resend or revoke the invitations not yet accepted. Buttons and a form only, so
// keyboard and touch work alike; every answer (a 429 included) is said in words next to the form.

import { del, get, post } from "./api.js";
import { h, toast } from "./dom.js";

const ROLES = ["director", "mentor", "reviewer", "viewer"];
const ROLE_LABELS = { director: "Director", mentor: "Mentor", reviewer: "Reviewer", viewer: "Viewer" };

const when = (iso) =>
  // dateStyle cannot be combined with timeZoneName: the fields one by one.
  new Date(iso).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });

export async function invitationsPanel(project) {
  if (!project.my_actions.includes("manage_members")) return null;
  const base = `projects/${project.id}/invitations/`;
  const list = h("ul", { class: "invitation-list", id: "invitation-list" });
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  const say = (failure) => {
    status.textContent = failure.message;
    status.hidden = false;
  };

  const row = (invitation) => {
    const resend = h("button", { type: "button", class: "button small" }, "Resend");
    const revoke = h("button", { type: "button", class: "button small danger" }, "Revoke");
    resend.setAttribute("aria-label", `Resend the invitation to ${invitation.email}`);
    revoke.setAttribute("aria-label", `Revoke the invitation to ${invitation.email}`);
    resend.addEventListener("click", async () => {
      status.hidden = true;
      try {
        await post(`${base}${invitation.id}/resend/`);
        toast(`Invitation mailed again to ${invitation.email}`);
        await render();
      } catch (failure) {
        say(failure);
      }
    });
    revoke.addEventListener("click", async () => {
      status.hidden = true;
      try {
        await del(`${base}${invitation.id}/`);
        toast(`Invitation to ${invitation.email} revoked`);
        await render();
      } catch (failure) {
        say(failure);
      }
    });
    const state = invitation.state === "expired" ? "expired" : `until ${when(invitation.expires_at)}`;
    return h(
      "li",
      { class: "invitation-row" },
      h("span", { class: "invitation-email" }, invitation.email),
      h("span", { class: "muted small" }, `${ROLE_LABELS[invitation.role]} · ${state}`),
      h("span", { class: "invitation-actions" }, resend, revoke),
    );
  };

  const render = async () => {
    const invitations = await get(base);
    list.replaceChildren(
      ...(invitations.length ? invitations.map(row) : [h("li", { class: "muted small" }, "No open invitations.")]),
    );
  };

  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off", id: "invite-email" });
  const role = h("select", { name: "role", id: "invite-role" }, ROLES.map((name) => h("option", { value: name }, ROLE_LABELS[name])));
  role.value = "reviewer";
  const form = h(
    "form",
    { class: "inline-form", id: "invite", "aria-label": "Invite by email", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "invite-email" }, "Email"), email),
    h("div", { class: "field" }, h("label", { for: "invite-role" }, "Role"), role),
    h("button", { type: "submit", class: "button" }, "Invite"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.hidden = true;
    try {
      const invitation = await post(base, { email: email.value.trim(), role: role.value });
      form.reset();
      role.value = "reviewer";
      toast(`Invitation mailed to ${invitation.email}`);
      await render();
    } catch (failure) {
      say(failure);
      email.focus();
    }
  });

  await render();
  return h("details", { class: "members-panel invitations-panel", id: "invitations" }, h("summary", {}, "Invitations"), list, form, status);
}
