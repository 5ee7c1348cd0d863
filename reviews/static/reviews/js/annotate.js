// Annotations drawn on the frame: a canvas laid exactly over the picture the video shows (its
// content rect inside the letterbox), shapes kept in 0..1 coordinates of the frame so
// they land on the same spot at any player size. The shape is the one the server checks:
// {"shapes": [{"type": "stroke"|"arrow", "color": "#ff3b30", "width": 0.004, "points": [[x, y], ...]}]}

export const COLORS = ["#ff3b30", "#ffd60a", "#30d158", "#0a84ff", "#ffffff"];
const WIDTH = 0.004; // of the frame's width
const PRECISION = 10000; // four decimals: a tenth of a pixel at 1000 px, and compact JSON

export class AnnotationCanvas extends EventTarget {
  constructor(canvas, video) {
    super();
    this.canvas = canvas;
    this.video = video;
    this.context = canvas.getContext("2d");
    this.tool = null; // "stroke" | "arrow" | null
    this.color = COLORS[0];
    this.draft = [];
    this.shown = null; // the annotation of the selected comment, when on its frame
    this.current = null;
    new ResizeObserver(() => this.fit()).observe(video);
    video.addEventListener("loadedmetadata", () => this.fit());
    this.listen();
  }

  // Where the picture is: object-fit: contain letterboxes it inside the element.
  contentRect() {
    const { videoWidth, videoHeight, offsetLeft, offsetTop, clientWidth, clientHeight } = this.video;
    if (!videoWidth || !videoHeight) return { left: offsetLeft, top: offsetTop, width: clientWidth, height: clientHeight };
    const scale = Math.min(clientWidth / videoWidth, clientHeight / videoHeight);
    const width = videoWidth * scale;
    const height = videoHeight * scale;
    return { left: offsetLeft + (clientWidth - width) / 2, top: offsetTop + (clientHeight - height) / 2, width, height };
  }

  fit() {
    const rect = this.contentRect();
    const ratio = window.devicePixelRatio || 1;
    Object.assign(this.canvas.style, {
      left: `${rect.left}px`,
      top: `${rect.top}px`,
      width: `${rect.width}px`,
      height: `${rect.height}px`,
    });
    this.canvas.width = Math.round(rect.width * ratio);
    this.canvas.height = Math.round(rect.height * ratio);
    this.render();
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    const clamp = (value) => Math.round(Math.min(1, Math.max(0, value)) * PRECISION) / PRECISION;
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  listen() {
    this.canvas.addEventListener("pointerdown", (event) => {
      if (!this.tool) return;
      event.preventDefault();
      this.canvas.setPointerCapture(event.pointerId);
      this.dispatchEvent(new Event("drawstart"));
      const start = this.point(event);
      this.current = { type: this.tool, color: this.color, width: WIDTH, points: [start, start] };
      this.render();
    });
    this.canvas.addEventListener("pointermove", (event) => {
      if (!this.current) return;
      const next = this.point(event);
      if (this.current.type === "arrow") this.current.points[1] = next;
      else {
        const last = this.current.points.at(-1);
        // Skip points closer than a few thousandths: the line looks the same with far fewer.
        if (Math.hypot(next[0] - last[0], next[1] - last[1]) > 0.002) this.current.points.push(next);
      }
      this.render();
    });
    const finish = () => {
      if (!this.current) return;
      const [first, second] = this.current.points;
      const moved = this.current.points.length > 2 || Math.hypot(second[0] - first[0], second[1] - first[1]) > 0.005;
      if (moved) this.draft.push(this.current);
      this.current = null;
      this.render();
      this.dispatchEvent(new Event("change"));
    };
    this.canvas.addEventListener("pointerup", finish);
    this.canvas.addEventListener("pointercancel", finish);
  }

  setTool(tool) {
    this.tool = tool;
    this.canvas.classList.toggle("drawing", tool !== null);
    this.render();
  }

  setColor(color) {
    this.color = color;
  }

  undo() {
    this.draft.pop();
    this.render();
    this.dispatchEvent(new Event("change"));
  }

  clearDraft() {
    this.draft = [];
    this.render();
    this.dispatchEvent(new Event("change"));
  }

  // What to send with a comment: null when nothing was drawn.
  annotation() {
    return this.draft.length ? { shapes: this.draft.map((shape) => ({ ...shape, points: shape.points.map((p) => [...p]) })) } : null;
  }

  show(annotation) {
    this.shown = annotation?.shapes?.length ? annotation : null;
    this.render();
  }

  render() {
    const { canvas, context } = this;
    context.clearRect(0, 0, canvas.width, canvas.height);
    // Drafting hides a selected comment's annotation, so the two never mix on screen.
    const drafting = this.tool !== null || this.draft.length > 0 || this.current !== null;
    const shapes = drafting ? [...this.draft, ...(this.current ? [this.current] : [])] : (this.shown?.shapes ?? []);
    for (const shape of shapes) drawShape(context, shape, canvas.width, canvas.height);
    this.canvas.dataset.shapes = String(shapes.length);
  }
}

function drawShape(context, shape, width, height) {
  const points = shape.points.map(([x, y]) => [x * width, y * height]);
  const lineWidth = Math.max(1.5, (shape.width || WIDTH) * width);
  context.save();
  context.strokeStyle = shape.color || COLORS[0];
  context.fillStyle = shape.color || COLORS[0];
  context.lineWidth = lineWidth;
  context.lineCap = "round";
  context.lineJoin = "round";
  // A soft shadow keeps a white or yellow line readable over a bright frame.
  context.shadowColor = "rgba(0, 0, 0, 0.45)";
  context.shadowBlur = lineWidth * 1.5;
  context.beginPath();
  if (shape.type === "arrow") {
    const [from, to] = [points[0], points.at(-1)];
    const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
    const head = Math.max(10, lineWidth * 4.5);
    const base = [to[0] - head * 0.8 * Math.cos(angle), to[1] - head * 0.8 * Math.sin(angle)];
    context.moveTo(...from);
    context.lineTo(...base);
    context.stroke();
    context.beginPath();
    context.moveTo(...to);
    context.lineTo(to[0] - head * Math.cos(angle - 0.45), to[1] - head * Math.sin(angle - 0.45));
    context.lineTo(to[0] - head * Math.cos(angle + 0.45), to[1] - head * Math.sin(angle + 0.45));
    context.closePath();
    context.fill();
  } else {
    context.moveTo(...points[0]);
    // Smooth the pointer's samples with midpoints so a stroke reads as drawn, not as a polyline.
    for (let i = 1; i < points.length - 1; i += 1) {
      const mid = [(points[i][0] + points[i + 1][0]) / 2, (points[i][1] + points[i + 1][1]) / 2];
      context.quadraticCurveTo(...points[i], ...mid);
    }
    context.lineTo(...points.at(-1));
    context.stroke();
  }
  context.restore();
}
