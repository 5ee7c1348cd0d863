// Zoom and pan on the picture: hands at the climax are small. The picture and its drawing
// canvas move together as one layer, so a drawing made on the zoomed frame lands where it was
// drawn (the canvas reads pointer positions through its transformed box).
// Ctrl+wheel (a trackpad's pinch), a touch pinch, or the wheel once zoomed, zoom about the
// pointer; a plain wheel over an unzoomed picture still scrolls the page. Dragging the zoomed
// picture pans it.

const LEVELS = [1, 1.5, 2, 3, 4, 6, 8];
const MAX = LEVELS.at(-1);

export class ZoomPan extends EventTarget {
  constructor(viewport, layer) {
    super();
    this.viewport = viewport;
    this.layer = layer;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.pointers = new Map();
    this.listen();
  }

  get zoomed() {
    return this.scale > 1;
  }

  // Zoom to a scale, keeping the point under (clientX, clientY) where it is; the centre by default.
  zoomTo(scale, at = null) {
    const box = this.viewport.getBoundingClientRect();
    const px = at ? at.clientX - box.left : box.width / 2;
    const py = at ? at.clientY - box.top : box.height / 2;
    const next = Math.min(MAX, Math.max(1, scale));
    this.x = px - ((px - this.x) * next) / this.scale;
    this.y = py - ((py - this.y) * next) / this.scale;
    this.scale = next;
    this.apply();
  }

  // One level up or down the list.
  step(levels) {
    const index = LEVELS.findIndex((level) => level >= this.scale - 1e-6);
    this.zoomTo(LEVELS[Math.max(0, Math.min(LEVELS.length - 1, index + levels))]);
  }

  toggle() {
    this.zoomTo(this.zoomed ? 1 : 2);
  }

  reset() {
    this.zoomTo(1);
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply();
  }

  // Never show past the picture's edges: the layer always covers the viewport.
  apply() {
    const { clientWidth: width, clientHeight: height } = this.viewport;
    this.x = Math.min(0, Math.max(width - width * this.scale, this.x));
    this.y = Math.min(0, Math.max(height - height * this.scale, this.y));
    this.layer.style.transform = this.zoomed ? `translate(${this.x}px, ${this.y}px) scale(${this.scale})` : "";
    this.viewport.classList.toggle("zoomed", this.zoomed);
    this.viewport.dataset.zoom = String(this.scale);
    this.dispatchEvent(new CustomEvent("zoom", { detail: { scale: this.scale } }));
  }

  listen() {
    const viewport = this.viewport;
    viewport.addEventListener(
      "wheel",
      (event) => {
        if (!event.ctrlKey && !this.zoomed) return;
        event.preventDefault();
        this.zoomTo(this.scale * Math.exp(-event.deltaY / 300), event);
      },
      { passive: false },
    );
    // Drawing takes the pointer on the canvas; everything else on the picture pans or pinches.
    viewport.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".sketch.drawing, .processing")) return;
      this.pointers.set(event.pointerId, { clientX: event.clientX, clientY: event.clientY });
      viewport.setPointerCapture(event.pointerId);
    });
    viewport.addEventListener("pointermove", (event) => {
      const last = this.pointers.get(event.pointerId);
      if (!last) return;
      const now = { clientX: event.clientX, clientY: event.clientY };
      if (this.pointers.size === 2) {
        const [other] = [...this.pointers].filter(([id]) => id !== event.pointerId).map(([, point]) => point);
        const before = Math.hypot(last.clientX - other.clientX, last.clientY - other.clientY);
        const after = Math.hypot(now.clientX - other.clientX, now.clientY - other.clientY);
        const middle = { clientX: (now.clientX + other.clientX) / 2, clientY: (now.clientY + other.clientY) / 2 };
        if (before > 0) this.zoomTo((this.scale * after) / before, middle);
      } else if (this.zoomed) {
        this.panBy(now.clientX - last.clientX, now.clientY - last.clientY);
      }
      this.pointers.set(event.pointerId, now);
    });
    const release = (event) => this.pointers.delete(event.pointerId);
    viewport.addEventListener("pointerup", release);
    viewport.addEventListener("pointercancel", release);
    new ResizeObserver(() => this.apply()).observe(viewport);
  }
}
