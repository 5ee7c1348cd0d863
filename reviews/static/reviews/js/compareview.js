// How the two pictures share the stage: side by side (stacked on a phone), a wipe (both in one
// box, A left of the line and B right of it), or one at a time (A/B, flipped with one key).
// The wipe's line is dragged with a mouse or a finger anywhere on the picture, and moved by
// keys: the arrows on its focused handle, [ and ] from anywhere.

const MODES = ["side", "wipe", "ab"];

export class CompareView extends EventTarget {
  constructor(view, { mode = "side", shown = "a", wipe = 50 } = {}) {
    super();
    this.view = view;
    this.line = view.querySelector("#wipe-line");
    this.handle = view.querySelector("#wipe-handle");
    this.mode = MODES.includes(mode) ? mode : "side";
    this.shown = shown;
    this.wipe = Math.min(100, Math.max(0, wipe));
    this.listen();
    this.render();
  }

  setMode(mode) {
    if (!MODES.includes(mode)) return;
    this.mode = mode;
    this.changed();
  }

  show(side) {
    this.shown = side;
    this.changed();
  }

  setWipe(percent) {
    this.wipe = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
    this.changed();
  }

  moveWipe(by) {
    this.setWipe(this.wipe + by);
  }

  changed() {
    this.render();
    this.dispatchEvent(new CustomEvent("change", { detail: { mode: this.mode, shown: this.shown, wipe: this.wipe } }));
  }

  render() {
    const view = this.view;
    view.dataset.mode = this.mode;
    view.dataset.shown = this.shown;
    // A custom property, not a style attribute: the Content-Security-Policy allows it.
    view.style.setProperty("--wipe", `${this.wipe}%`);
    this.line.hidden = this.mode !== "wipe";
    this.handle.setAttribute("aria-valuenow", String(Math.round(this.wipe)));
    this.handle.setAttribute("aria-valuetext", `${Math.round(this.wipe)}% A, ${Math.round(100 - this.wipe)}% B`);
    for (const button of document.querySelectorAll("#mode-switch [data-mode]")) {
      const active = button.dataset.mode === this.mode;
      button.classList.toggle("active", active);
      button.setAttribute("aria-pressed", String(active));
    }
  }

  percentAt(clientX) {
    const box = this.view.getBoundingClientRect();
    return (100 * (clientX - box.left)) / box.width;
  }

  listen() {
    // Pointer events are the mouse, a pen and a finger alike; CSS gives the wipe touch-action: none.
    let dragging = null;
    this.view.addEventListener("pointerdown", (event) => {
      if (this.mode !== "wipe" || event.button > 0) return;
      dragging = event.pointerId;
      this.view.setPointerCapture(event.pointerId);
      this.setWipe(this.percentAt(event.clientX));
      this.handle.focus({ preventScroll: true });
      event.preventDefault();
    });
    this.view.addEventListener("pointermove", (event) => {
      if (event.pointerId === dragging) this.setWipe(this.percentAt(event.clientX));
    });
    const stop = (event) => {
      if (event.pointerId === dragging) dragging = null;
    };
    this.view.addEventListener("pointerup", stop);
    this.view.addEventListener("pointercancel", stop);
    // The focused handle keeps the arrows: they move the line, not the frame.
    this.handle.addEventListener("keydown", (event) => {
      const fine = event.shiftKey ? 1 : 5;
      const moves = {
        ArrowLeft: () => this.moveWipe(-fine),
        ArrowDown: () => this.moveWipe(-fine),
        ArrowRight: () => this.moveWipe(fine),
        ArrowUp: () => this.moveWipe(fine),
        PageDown: () => this.moveWipe(-20),
        PageUp: () => this.moveWipe(20),
        Home: () => this.setWipe(0),
        End: () => this.setWipe(100),
      };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      event.stopPropagation();
      move();
    });
  }
}
