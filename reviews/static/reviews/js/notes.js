// Typed notes on the version page: a thread's category and severity, set in the composer and
// shown (or, for its author, changed) on the thread; the conversation filtered by them; threads
// carried from the previous take marked "from v2"; and the open notes copied as the next prompt.
// The values and their labels are the server's (GET /api/v1/note-categories/).

import { get, patch } from "./api.js";
import { $, h, reportError, toast } from "./dom.js";
import { copyText } from "./links.js";

const types = { categories: [], severities: [] };
const label = (list, value) => list.find((entry) => entry.value === value)?.label ?? value;

// What the conversation shows: every thread, or those of one category and/or severity.
export const noteFilter = { category: "", severity: "" };

export function matchesNoteFilter(comment) {
  return (
    (!noteFilter.category || comment.category === noteFilter.category) &&
    (!noteFilter.severity || comment.severity === noteFilter.severity)
  );
}

function fill(select, list, empty) {
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, empty), ...list.map(({ value, label }) => h("option", { value }, label)));
  select.value = chosen;
}

export async function loadNoteTypes() {
  Object.assign(types, await get("note-categories/"));
  for (const select of document.querySelectorAll("select[data-note-type]")) {
    const kind = select.dataset.noteType;
    fill(select, kind === "category" ? types.categories : types.severities, select.dataset.empty);
  }
}

// The composer's category and severity, what a new note is posted with.
export function composerNoteType(form) {
  return { category: $("#note-category", form)?.value ?? "", severity: $("#note-severity", form)?.value ?? "" };
}

export function resetComposerNoteType(form) {
  for (const select of form.querySelectorAll("select[data-note-type]")) select.value = "";
}

// A thread's type: chips to read, or, for its author, two selects that save on change.
export function noteTypeNodes(comment, { editable, onChanged }) {
  if (editable) {
    const select = (kind, list, empty) => {
      const node = h("select", { class: `note-type-select ${kind}`, "aria-label": `${kind === "category" ? "Category" : "Severity"} of this note`, dataset: { field: kind } });
      fill(node, list, empty);
      node.value = comment[kind];
      node.addEventListener("change", async () => {
        try {
          await patch(`comments/${comment.id}/`, { [kind]: node.value });
          onChanged();
        } catch (error) {
          node.value = comment[kind];
          reportError(error);
        }
      });
      return node;
    };
    return [select("severity", types.severities, "Severity…"), select("category", types.categories, "Category…")];
  }
  return [
    comment.severity ? h("span", { class: `note-severity severity-${comment.severity}` }, label(types.severities, comment.severity)) : null,
    comment.category ? h("span", { class: "note-category" }, label(types.categories, comment.category)) : null,
  ];
}

// "from v2" on a thread carried from the previous take; and why a carried note has no frame.
export function carriedNodes(comment) {
  if (!comment.carried_from) return [];
  return [
    h("span", { class: "carried-badge", title: `Carried over from v${comment.carried_from.number}, where it is still open` }, `from v${comment.carried_from.number}`),
    comment.beyond_end ? h("span", { class: "beyond-end-badge", title: "Its moment lies past the end of this clip" }, "past the end") : null,
  ];
}

async function copyNextPrompt(versionId) {
  const response = await fetch(`/api/v1/versions/${versionId}/next-prompt/?format=md`, {
    credentials: "same-origin",
    headers: { Accept: "text/markdown" },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(text.trim() || `The server answered ${response.status}; try again.`);
  const dialog = $("#next-prompt");
  $("#next-prompt-text", dialog).value = text;
  if (await copyText(text)) toast("Next prompt copied");
  // The text stays in view to read or copy by hand, where the browser keeps the clipboard to itself.
  dialog.showModal();
  $("#next-prompt-text", dialog).select();
}

export function setUpNoteTools({ versionId, onFilter }) {
  for (const kind of ["category", "severity"]) {
    $(`#filter-${kind}`).addEventListener("change", (event) => {
      noteFilter[kind] = event.target.value;
      onFilter();
    });
  }
  $("#copy-next-prompt").addEventListener("click", () => copyNextPrompt(versionId).catch(reportError));
}
