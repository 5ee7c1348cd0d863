// The new-comment box: a note at the current frame (or the marked in/out range, or a
// general note), with the annotation drawn on the paused frame attached.
// Starting a note (C, a click into the box, a first stroke) pauses the player and freezes the
// note's anchor there: typing takes seconds, and the note belongs to the frame it was started on.

import { post } from "./api.js";
import { $, h } from "./dom.js";
import { COLORS } from "./annotate.js";
import { attachMentions } from "./mentions.js";
import { composerNoteType, resetComposerNoteType } from "./notes.js";

export class Composer extends EventTarget {
  // anchor() returns {frame, frame_end, label} for where the note goes, or null before the clip is ready.
  constructor(form, { versionId, members, annotationCanvas, anchor }) {
    super();
    this.form = form;
    this.versionId = versionId;
    this.annotationCanvas = annotationCanvas;
    this.anchor = anchor;
    this.general = false;
    this.frozen = null; // the anchor taken when the note was started, until it is posted or dropped
    this.body = $("#comment-body", form);
    this.anchorChip = $("#anchor", form);
    this.error = $("#composer-error", form);
    this.annotationNote = $("#drawing-note", form);
    attachMentions(this.body, members);
    this.body.addEventListener("focus", () => this.begin());
    this.body.addEventListener("blur", () => this.refresh());
    this.setUpTools();
    this.anchorChip.addEventListener("click", () => {
      this.general = !this.general;
      this.refresh();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.submit();
      }
    });
    annotationCanvas.addEventListener("change", () => this.refresh());
    form.hidden = false;
  }

  setUpTools() {
    const swatches = $("#swatches", this.form);
    swatches.replaceChildren(
      ...COLORS.map((color, index) =>
        h("button", {
          type: "button",
          class: `swatch${index === 0 ? " active" : ""}`,
          style: { "--swatch": color },
          title: `Colour ${color}`,
          "aria-label": `Colour ${color}`,
          dataset: { color },
          onclick: (event) => {
            this.annotationCanvas.setColor(color);
            for (const swatch of swatches.children) swatch.classList.toggle("active", swatch === event.currentTarget);
            if (!this.annotationCanvas.tool) this.setTool("stroke");
          },
        }),
      ),
    );
    for (const button of this.form.querySelectorAll("[data-tool]")) {
      button.addEventListener("click", () => {
        const tool = button.dataset.tool;
        if (tool === "undo") this.annotationCanvas.undo();
        else if (tool === "clear") this.annotationCanvas.clearDraft();
        else this.setTool(this.annotationCanvas.tool === tool ? null : tool);
      });
    }
  }

  setTool(tool) {
    this.annotationCanvas.setTool(tool);
    for (const button of this.form.querySelectorAll(".tool[data-tool]")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    }
    this.dispatchEvent(new CustomEvent("tool", { detail: { tool } }));
  }

  focus() {
    this.begin();
    this.body.focus();
  }

  // Start a note: the page pauses the player (on "begin"), then the anchor is taken there.
  begin() {
    if (this.frozen) return;
    this.dispatchEvent(new CustomEvent("begin"));
    this.frozen = this.anchor();
    this.refresh();
  }

  // The marks were changed on purpose while a note is open: it goes to the new range.
  reanchor() {
    if (this.frozen) this.frozen = this.anchor();
    this.refresh();
  }

  get started() {
    return document.activeElement === this.body || this.body.value.trim() !== "" || this.annotationCanvas.draft.length > 0;
  }

  where() {
    if (this.general) return null;
    return this.frozen ?? this.anchor();
  }

  // Where the note would go now, shown on the chip and in the placeholder. An empty box
  // nobody is typing in follows the player again.
  refresh() {
    if (this.frozen && !this.started) this.frozen = null;
    const where = this.where();
    this.anchorChip.textContent = where ? where.label : "General note";
    this.anchorChip.classList.toggle("general", !where);
    this.anchorChip.classList.toggle("range", Boolean(where && where.frame_end !== null));
    // Guests see no members, so they mention no one (guest_version.html says so).
    const hint = document.querySelector('meta[name="can-mention"]')?.content === "false" ? "" : " (@ to mention)";
    this.body.placeholder = where ? `Leave a note at ${where.label}…${hint}` : `Leave a note on the whole clip…${hint}`;
    this.annotationNote.hidden = this.annotationCanvas.draft.length === 0;
  }

  async submit() {
    const body = this.body.value.trim();
    if (!body) {
      this.body.focus();
      return;
    }
    const where = this.where();
    const payload = { body, annotation: this.annotationCanvas.annotation(), ...composerNoteType(this.form) };
    if (where) {
      payload.frame = where.frame;
      if (where.frame_end !== null) payload.frame_end = where.frame_end;
    }
    const button = $("#post-comment", this.form);
    button.disabled = true;
    this.error.hidden = true;
    try {
      const comment = await post(`versions/${this.versionId}/comments/`, payload);
      this.body.value = "";
      this.annotationCanvas.clearDraft();
      resetComposerNoteType(this.form);
      this.setTool(null);
      this.general = false;
      this.frozen = null;
      // Back to the player: the keys step frames again, not type into the box.
      this.body.blur();
      this.dispatchEvent(new CustomEvent("posted", { detail: { comment } }));
    } catch (error) {
      this.error.textContent = error.message;
      this.error.hidden = false;
    } finally {
      button.disabled = false;
      this.refresh();
    }
  }
}
