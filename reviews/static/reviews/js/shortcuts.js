// The keyboard, as in an editing suite. Keys typed into a text field stay there.

const TYPING = "input, textarea, select, [contenteditable]";

export function bindShortcuts(handlers) {
  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.(TYPING)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const second = event.shiftKey;
    const actions = {
      " ": () => handlers.toggle(),
      k: () => handlers.pause(),
      j: () => handlers.backward(),
      l: () => handlers.forward(),
      ArrowLeft: () => handlers.step(second ? -handlers.framesPerSecond() : -1),
      ArrowRight: () => handlers.step(second ? handlers.framesPerSecond() : 1),
      Home: () => handlers.seek(0),
      End: () => handlers.seek(Number.MAX_SAFE_INTEGER),
      i: () => handlers.markIn(),
      o: () => handlers.markOut(),
      c: () => handlers.write(),
      d: () => handlers.tool("stroke"),
      a: () => handlers.tool("arrow"),
      m: () => handlers.mute(),
      "?": () => handlers.help(),
      Escape: () => handlers.escape(),
    };
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
