// The keyboard, as in an editing suite. Keys typed into a text field stay there; a button, a
// checkbox or the picture having focus does not take the keys away from the player.

const TEXT_INPUTS = new Set(["text", "search", "email", "url", "tel", "password", "number", "date", "time"]);

// Where a key belongs to the element: text fields, and menus (their arrows pick an entry).
export function keepsKeys(element) {
  if (!(element instanceof Element)) return false;
  if (element.closest("textarea, select, [contenteditable]:not([contenteditable='false'])")) return true;
  return element instanceof HTMLInputElement && TEXT_INPUTS.has(element.type);
}

export function bindShortcuts(handlers) {
  document.addEventListener("keydown", (event) => {
    if (keepsKeys(event.target)) {
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
      r: () => handlers.loop(),
      "<": () => handlers.speed(-1),
      ">": () => handlers.speed(1),
      c: () => handlers.write(),
      d: () => handlers.tool("stroke"),
      a: () => handlers.tool("arrow"),
      z: () => handlers.zoom(0),
      "+": () => handlers.zoom(1),
      "=": () => handlers.zoom(1),
      "-": () => handlers.zoom(-1),
      f: () => handlers.fullscreen(),
      m: () => handlers.mute(),
      "?": () => handlers.help(),
      Escape: () => handlers.escape(),
    };
    const action = actions[key];
    if (!action) return;
    // Also keeps a focused button or checkbox from being pressed by Space as well.
    event.preventDefault();
    action();
  });
}
