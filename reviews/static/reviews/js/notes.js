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
      let saved = comment[kind];
      // Chromium fires "change" on every arrow key of a closed select: a choice made by keyboard
      // is saved on Enter or when focus leaves; one picked with a pointer (or touch) at once.
      let browsing = false;
      const commit = async () => {
        browsing = false;
        if (node.value === saved) return;
        const value = node.value;
        try {
          await patch(`comments/${comment.id}/`, { [kind]: value });
          saved = value;
          onChanged();
        } catch (error) {
          node.value = saved;
          reportError(error);
        }
      };
      node.addEventListener("pointerdown", () => {
        browsing = false;
      });
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          commit();
        } else if (event.key === "Escape") {
          node.value = saved;
          browsing = false;
        } else if (event.key !== "Tab") {
          browsing = true;
        }
      });
      node.addEventListener("change", () => {
        if (!browsing) commit();
      });
      node.addEventListener("blur", () => commit());
      return node;
    };
    return [select("severity", types.severities, "Severity…"), select("category", types.categories, "Category…")];
  }
  return [
    comment.severity ? h("span", { class: `note-severity severity-${comment.severity}` }, label(types.severities, comment.severity)) : null,
    comment.category ? h("span", { class: "note-category" }, label(types.categories, comment.category)) : null,
  ];
}

// "from v2" on a thread carried from the previous take; and, for a carried note past the end of
// this clip, where it was: "from v1 · at 00:00:03:12 of v1 · past the end".
export function carriedNodes(comment) {
  const origin = comment.carried_from;
  if (!origin) return [];
  const where = origin.timecode ? ` (written at ${origin.timecode} of v${origin.written_on})` : "";
  return [
    h("span", { class: "carried-badge", title: `Carried over from v${origin.number}, where it is still open${where}` }, `from v${origin.number}`),
    comment.beyond_end && origin.timecode
      ? h("span", { class: "carried-origin", title: `Its time on v${origin.written_on}, the take it was written on` }, `at ${origin.timecode} of v${origin.written_on}`)
      : null,
    comment.beyond_end ? h("span", { class: "beyond-end-badge", title: "Its moment lies past the end of this clip" }, "past the end") : null,
  ];
}

async function copyNextPrompt(versionId) {
  const response = await fetch(`/api/v1/versions/${versionId}/next-prompt/?format=md`, {
    credentials: "same-origin",
    headers: { Accept: "text/markdown" },
  });
  const text = await response.text();
  if (!response.ok) {
    // Errors are JSON {"detail": ...} whatever was asked for.
    let detail = "";
    try {
      detail = JSON.parse(text).detail ?? "";
    } catch {
      detail = "";
    }
    throw new Error(detail || `The server answered ${response.status}; try again.`);
  }
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
