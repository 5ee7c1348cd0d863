// The conversation beside the player: threads in frame order, each with its reply tree,
// and what a person may do to each comment (reply, resolve, edit and delete their own), as the
// server says in each comment's my_actions.

import { del, patch, post } from "./api.js";
import { h, initial, reportError, timeAgo } from "./dom.js";
import { attachMentions, mentionedNames } from "./mentions.js";
import { carriedNodes, matchesNoteFilter, noteTypeNodes } from "./notes.js";

// The body as text, with the people it mentions highlighted: the names the server
// reported in `mentions`, found where the server found them.
function bodyNodes(comment) {
  if (comment.deleted) return [h("span", { class: "deleted-note" }, "This note was deleted")];
  const mentioned = new Set(comment.mentions);
  const nodes = [];
  let last = 0;
  for (const { name, index } of mentionedNames(comment.body)) {
    if (!mentioned.has(name)) continue;
    nodes.push(comment.body.slice(last, index), h("span", { class: "mention" }, `@${name}`));
    last = index + 1 + name.length;
  }
  nodes.push(comment.body.slice(last));
  return nodes;
}

// Whether anyone but the author has replied somewhere under a comment.
function othersReplied(comment, authorId = comment.author?.id) {
  return (comment.replies ?? []).some((reply) => (!reply.deleted && reply.author?.id !== authorId) || othersReplied(reply, authorId));
}

export class Conversation extends EventTarget {
  constructor(list, { versionId, members, seenBefore = null, userId = null }) {
    super();
    this.list = list;
    this.versionId = versionId;
    this.members = members;
    this.seenBefore = seenBefore ? new Date(seenBefore) : null;
    this.userId = userId;
    this.comments = [];
    this.selectedId = null;
    this.showResolved = true;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  set(comments) {
    this.comments = comments;
    this.render();
  }

  find(id, comments = this.comments) {
    for (const comment of comments) {
      if (comment.id === id) return comment;
      const reply = this.find(id, comment.replies ?? []);
      if (reply) return reply;
    }
    return null;
  }

  render() {
    const visible = this.comments.filter((comment) => (this.showResolved || !comment.resolved) && matchesNoteFilter(comment));
    this.list.replaceChildren(...visible.map((comment) => this.commentNode(comment, true)));
    this.list.removeAttribute("aria-busy");
    this.emit("rendered", { count: this.comments.length, visible: visible.length });
  }

  select(id, { scroll = true } = {}) {
    this.selectedId = id;
    for (const node of this.list.querySelectorAll(".comment.top")) {
      const selected = Number(node.dataset.commentId) === id;
      node.classList.toggle("selected", selected);
      if (selected && scroll) node.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }

  // Written by someone else after the person's previous visit to this version.
  isNew(comment) {
    return Boolean(this.seenBefore) && comment.author?.id !== this.userId && new Date(comment.created_at) > this.seenBefore;
  }

  commentNode(comment, top) {
    const ranged = comment.frame_end !== null && comment.frame_end !== comment.frame;
    // A carried note past this clip's end is not "General": carriedNodes says where it was.
    const anchor = top && !comment.beyond_end
      ? h(
          "span",
          { class: `chip${comment.frame === null ? " general" : ""}` },
          comment.frame === null ? "General" : ranged ? `${comment.timecode} → ${comment.timecode_end}` : comment.timecode,
        )
      : null;
    const card = h(
      "div",
      { class: "comment-card" },
      h(
        "header",
        { class: "comment-head" },
        h("span", { class: `avatar role-${comment.author?.role ?? "none"}` }, initial(comment.author)),
        h("span", { class: "author" }, comment.author?.display_name ?? "Former member"),
        comment.author?.role ? h("span", { class: "role-badge small" }, comment.author.role) : null,
        h("time", { class: "muted small", datetime: comment.created_at, title: new Date(comment.created_at).toLocaleString() }, timeAgo(comment.created_at)),
        comment.edited_at ? h("span", { class: "edited muted small", title: new Date(comment.edited_at).toLocaleString() }, "· edited") : null,
        this.isNew(comment) ? h("span", { class: "unread-label new-since", title: "New since your last visit" }, "New") : null,
      ),
      top
        ? h(
            "div",
            { class: "comment-anchor" },
            anchor,
            ...carriedNodes(comment),
            ...noteTypeNodes(comment, { editable: comment.my_actions.includes("edit") && !comment.deleted, onChanged: () => this.emit("changed", {}) }),
            comment.annotation?.shapes?.length ? h("span", { class: "drawing-badge", title: "Has a drawing" }, "✎ drawing") : null,
            comment.resolved
              ? h("span", { class: "resolved-badge" }, `✓ Resolved${comment.resolved_by ? ` by ${comment.resolved_by.display_name}` : ""}`)
              : null,
          )
        : null,
      h("p", { class: "comment-body" }, bodyNodes(comment)),
      this.actions(comment, top),
    );
    const node = h(
      "li",
      { class: `comment${top ? " top" : " reply"}${this.isNew(comment) ? " new" : ""}${comment.deleted ? " deleted" : ""}${comment.resolved && top ? " resolved" : ""}${comment.id === this.selectedId ? " selected" : ""}`, dataset: { commentId: comment.id } },
      card,
    );
    if (top) {
      card.addEventListener("click", (event) => {
        if (event.target.closest("button, textarea, a, form")) return;
        this.emit("select", { id: comment.id });
      });
    }
    if (comment.replies?.length) {
      node.append(h("ol", { class: "replies" }, comment.replies.map((reply) => this.commentNode(reply, false))));
    }
    return node;
  }

  actions(comment, top) {
    const buttons = [];
    const button = (label, action, handler) =>
      h("button", { type: "button", class: "link-button", dataset: { action }, onclick: handler }, label);
    const may = (what) => comment.my_actions.includes(what);
    if (may("reply")) buttons.push(button("Reply", "reply", (event) => this.openReply(comment, event)));
    if (top && may("resolve")) {
      buttons.push(
        button(comment.resolved ? "Reopen" : "Resolve", "resolve", () =>
          this.change(patch(`comments/${comment.id}/`, { resolved: !comment.resolved })),
        ),
      );
    }
    // Anyone who reads the note may pass on a link to it; the link opens its frame with it selected.
    buttons.push(button("Link", "link", () => this.emit("link", { id: comment.id })));
    if (may("edit")) buttons.push(button("Edit", "edit", (event) => this.openEdit(comment, event)));
    if (may("delete")) buttons.push(button("Delete", "delete", (event) => this.confirmDelete(comment, event)));
    return h("div", { class: "comment-actions" }, buttons);
  }

  // Run a write, then have the page reload the conversation from the server.
  async change(promise) {
    try {
      const result = await promise;
      this.emit("changed", { comment: result });
      return result;
    } catch (error) {
      reportError(error);
      return null;
    }
  }

  inlineForm(card, { value = "", placeholder, submitLabel, onSubmit }) {
    card.querySelector(".inline-form")?.remove();
    const textarea = h("textarea", { rows: 2, placeholder, "aria-label": placeholder });
    textarea.value = value;
    const error = h("p", { class: "form-error small", hidden: true });
    const form = h(
      "form",
      { class: "inline-form" },
      h("div", { class: "mention-field" }, textarea),
      h(
        "div",
        { class: "inline-form-bar" },
        h("button", { type: "button", class: "button ghost small", onclick: () => form.remove() }, "Cancel"),
        h("button", { type: "submit", class: "button primary small" }, submitLabel),
      ),
      error,
    );
    attachMentions(textarea, this.members);
    const submit = async () => {
      if (!textarea.value.trim()) return textarea.focus();
      form.querySelector('[type="submit"]').disabled = true;
      try {
        await onSubmit(textarea.value.trim());
        this.emit("changed", {});
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        form.querySelector('[type="submit"]').disabled = false;
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submit();
      } else if (event.key === "Escape") form.remove();
    });
    card.append(form);
    textarea.focus();
    textarea.setSelectionRange(value.length, value.length);
    return form;
  }

  openReply(comment, event) {
    const card = event.target.closest(".comment-card");
    this.inlineForm(card, {
      placeholder: `Reply to ${comment.author?.display_name ?? "this comment"}…`,
      submitLabel: "Reply",
      onSubmit: (body) => post(`versions/${this.versionId}/comments/`, { body, parent: comment.id }),
    });
  }

  openEdit(comment, event) {
    const card = event.target.closest(".comment-card");
    this.inlineForm(card, {
      value: comment.body,
      placeholder: "Edit your comment",
      submitLabel: "Save",
      onSubmit: (body) => patch(`comments/${comment.id}/`, { body }),
    });
  }

  // What deleting will do, as the server decides it (services.comment_delete).
  deleteQuestion(comment) {
    if (!comment.replies?.length) return "Delete this comment?";
    // Only the author may edit, so an author deleting her own note is asked about her note alone.
    if (comment.my_actions?.includes("edit") && othersReplied(comment)) return "Delete it? The replies stay.";
    return "Delete it and its replies?";
  }

  confirmDelete(comment, event) {
    const actions = event.target.closest(".comment-actions");
    const restore = [...actions.childNodes];
    actions.replaceChildren(
      h("span", { class: "danger-text" }, this.deleteQuestion(comment)),
      h("button", { type: "button", class: "link-button danger", dataset: { action: "confirm-delete" }, onclick: () => this.change(del(`comments/${comment.id}/`)) }, "Delete"),
      h("button", { type: "button", class: "link-button", onclick: () => actions.replaceChildren(...restore) }, "Keep"),
    );
  }
}
