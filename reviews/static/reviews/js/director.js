// What a director does on the project page, all through the public API: create shots, put them
// in order, upload clips by dropping them on a shot, and add people to the project.

import { ApiError, getAll, patch, post, upload } from "./api.js";
import { h, reportError, toast } from "./dom.js";

const ROLES = ["director", "mentor", "reviewer", "viewer"];
const ROLE_LABELS = { director: "Director", mentor: "Mentor", reviewer: "Reviewer", viewer: "Viewer" };

let uniqueId = 0;
const nextId = (prefix) => `${prefix}-${++uniqueId}`;

function field(label, input) {
  const id = input.id || nextId("field");
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

// The generation metadata sent with each upload of a shot, when any field is filled.
function generationOf(fields) {
  const generation = {};
  const model = fields.model.value.trim();
  const prompt = fields.prompt.value.trim();
  const seed = fields.seed.value.trim();
  if (model) generation.model = model;
  if (prompt) generation.prompt = prompt;
  if (seed) generation.seed = /^-?\d+$/.test(seed) ? Number(seed) : seed;
  return Object.keys(generation).length ? generation : null;
}

function progressRow(file) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Uploading ${file.name}` });
  const status = h("span", { class: "upload-status" }, "Waiting");
  const row = h("li", { class: "upload-row" }, h("span", { class: "upload-name", title: file.name }, file.name), bar, status);
  return { row, bar, status };
}

// Each file becomes the shot's next version, one after another so the numbers follow the files' order.
async function uploadFiles(shot, files, { list, fields, onUploaded }) {
  const rows = files.map((file) => ({ file, ...progressRow(file) }));
  list.append(...rows.map(({ row }) => row));
  for (const { file, row, bar, status } of rows) {
    const form = new FormData();
    form.append("file", file);
    const generation = generationOf(fields);
    if (generation) form.append("generation", JSON.stringify(generation));
    status.textContent = "Uploading";
    try {
      const version = await upload(`shots/${shot.id}/versions/`, form, (fraction) => {
        bar.value = Math.round(fraction * 100);
        status.textContent = `${Math.round(fraction * 100)}%`;
      });
      bar.value = 100;
      status.textContent = `Uploaded as v${version.number}`;
      row.classList.add("done");
      onUploaded();
      setTimeout(() => row.remove(), 4000);
    } catch (error) {
      row.classList.add("refused");
      status.textContent = error instanceof ApiError ? error.message.replace(/^file: /, "") : String(error);
      bar.remove();
    }
  }
}

// The drop zone and file picker of one shot, made once and kept across the page's refreshes.
export function uploadTools(shot, { onUploaded }) {
  const input = h("input", { type: "file", multiple: true, accept: "video/*,.mp4,.mov,.webm,.mkv,.avi,.gif", class: "visually-hidden" });
  const list = h("ol", { class: "upload-list", "aria-live": "polite" });
  const fields = {
    model: h("input", { type: "text", name: "model", autocomplete: "off" }),
    prompt: h("textarea", { name: "prompt", rows: "2" }),
    seed: h("input", { type: "text", name: "seed", inputmode: "numeric", autocomplete: "off" }),
  };
  const start = (files) => {
    if (files.length) uploadFiles(shot, [...files], { list, fields, onUploaded }).catch(reportError);
  };
  input.addEventListener("change", () => {
    start(input.files);
    input.value = "";
  });
  const pick = h("label", { class: "button small drop-pick" }, input, "Choose files");
  const tools = h(
    "div",
    { class: "upload-tools" },
    h("div", { class: "drop-hint" }, h("span", { class: "muted small" }, "Drop clips here, or"), pick),
    h(
      "details",
      { class: "generation-fields" },
      h("summary", {}, "Generation metadata"),
      field("Model", fields.model),
      field("Prompt", fields.prompt),
      field("Seed", fields.seed),
    ),
    list,
  );
  return { tools, start };
}

// Let files dropped anywhere on a shot's card become its next versions.
export function acceptDrops(card, start) {
  let depth = 0;
  card.addEventListener("dragenter", (event) => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    depth += 1;
    card.classList.add("drop-target");
  });
  card.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) card.classList.remove("drop-target");
  });
  card.addEventListener("dragover", (event) => {
    if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
  });
  card.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    card.classList.remove("drop-target");
    start(event.dataTransfer.files);
  });
}

// Move a shot one place up or down: every shot whose place changed gets its new `order`.
export async function moveShot(shots, shot, step) {
  const order = [...shots];
  const from = order.findIndex((item) => item.id === shot.id);
  const to = from + step;
  if (to < 0 || to >= order.length) return;
  order.splice(to, 0, ...order.splice(from, 1));
  const changed = order.map((item, index) => [item, index]).filter(([item, index]) => item.order !== index);
  await Promise.all(changed.map(([item, index]) => patch(`shots/${item.id}/`, { order: index })));
}

export function reorderButtons(shot, { onMove }) {
  return h(
    "div",
    { class: "reorder" },
    h("button", { type: "button", class: "icon-button move-up", "aria-label": `Move ${shot.code} earlier`, onclick: () => onMove(shot, -1) }, "↑"),
    h("button", { type: "button", class: "icon-button move-down", "aria-label": `Move ${shot.code} later`, onclick: () => onMove(shot, 1) }, "↓"),
  );
}

export function newShotForm(projectId, { onCreated }) {
  const code = h("input", { type: "text", name: "code", required: true, maxlength: "64", placeholder: "SH010", autocomplete: "off" });
  const title = h("input", { type: "text", name: "title", maxlength: "200", autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "inline-form", id: "new-shot", "aria-label": "New shot" },
    field("Shot code", code),
    field("Title", title),
    h("button", { type: "submit", class: "button primary" }, "Add shot"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const shot = await post(`projects/${projectId}/shots/`, { code: code.value.trim(), title: title.value.trim() });
      form.reset();
      toast(`Shot ${shot.code} added`);
      onCreated(shot);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  return form;
}

function roleSelect(name) {
  return h("select", { name }, ROLES.map((role) => h("option", { value: role }, ROLE_LABELS[role])));
}

// The people on the project; a director adds someone by their username and a role.
export async function membersPanel(project) {
  const list = h("ul", { class: "member-list" });
  const render = async () => {
    const members = await getAll(`projects/${project.id}/members/`);
    list.replaceChildren(
      ...members.map((member) =>
        h("li", { class: "member" }, h("span", {}, member.display_name || member.username), h("span", { class: "muted small" }, ROLE_LABELS[member.role])),
      ),
    );
  };
  await render();
  const panel = h("details", { class: "members-panel", id: "members" }, h("summary", {}, "People"), list);
  if (!project.my_actions.includes("manage_members")) return panel;
  const username = h("input", { type: "text", name: "username", required: true, autocomplete: "off", autocapitalize: "none" });
  const role = roleSelect("role");
  role.value = "reviewer";
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "inline-form", id: "add-member", "aria-label": "Add a person" },
    field("Username", username),
    field("Role", role),
    h("button", { type: "submit", class: "button" }, "Add"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const member = await post(`projects/${project.id}/members/`, { username: username.value.trim(), role: role.value });
      form.reset();
      role.value = "reviewer";
      toast(`${member.username} added as ${ROLE_LABELS[member.role].toLowerCase()}`);
      await render();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  panel.append(form);
  return panel;
}
