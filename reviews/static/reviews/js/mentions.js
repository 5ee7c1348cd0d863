// @name autocomplete for a textarea, from the project's members.

import { h, initial } from "./dom.js";

// The server's mention pattern (reviews/services.py, _MENTION): Python's \w is
// Unicode (letters, numbers, underscore), JavaScript's is ASCII, so it is spelt
// out with Unicode properties; @józef is a mention on both sides.
const NAME = "\\p{L}\\p{N}_.@+-";
export const MENTION = new RegExp(`(?<![${NAME}])@([${NAME}]+)`, "gu");
const TYPING_MENTION = new RegExp(`(?:^|[^${NAME}])@([${NAME}]*)$`, "u");

// The names a body mentions, as the server reads them: a trailing dot ends the sentence.
export function mentionedNames(body) {
  return [...body.matchAll(MENTION)].map((match) => ({ name: match[1].replace(/\.+$/, ""), index: match.index }));
}

export function attachMentions(textarea, members) {
  const list = h("ul", { class: "mention-list", role: "listbox", hidden: true });
  textarea.after(list);
  textarea.setAttribute("aria-autocomplete", "list");
  let matches = [];
  let active = 0;
  let start = -1;

  const close = () => {
    list.hidden = true;
    matches = [];
  };

  const pick = (member) => {
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, start) + `@${member.username} `;
    textarea.value = before + textarea.value.slice(caret);
    textarea.setSelectionRange(before.length, before.length);
    close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  };

  const render = () => {
    list.replaceChildren(
      ...matches.map((member, index) =>
        h(
          "li",
          {
            role: "option",
            class: index === active ? "active" : "",
            "aria-selected": index === active ? "true" : "false",
            dataset: { username: member.username },
            // mousedown, not click: a click would first blur the textarea and close the list.
            onmousedown: (event) => {
              event.preventDefault();
              pick(member);
            },
          },
          h("span", { class: "avatar small" }, initial(member)),
          h("span", { class: "mention-name" }, member.display_name),
          h("span", { class: "muted" }, `@${member.username}`),
          h("span", { class: "role-badge small" }, member.role),
        ),
      ),
    );
    list.hidden = matches.length === 0;
  };

  textarea.addEventListener("input", () => {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const typed = TYPING_MENTION.exec(before);
    if (!typed) return close();
    const query = typed[1].toLowerCase();
    start = before.length - typed[1].length - 1;
    matches = members
      .filter(
        (member) =>
          member.username.toLowerCase().startsWith(query) || member.display_name.toLowerCase().includes(query),
      )
      .slice(0, 6);
    active = 0;
    render();
  });

  textarea.addEventListener("keydown", (event) => {
    if (list.hidden || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      pick(matches[active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    // The key picked a name: it must not also post the comment or reach the player.
    event.preventDefault();
    event.stopImmediatePropagation();
  });
  textarea.addEventListener("blur", close);
}
