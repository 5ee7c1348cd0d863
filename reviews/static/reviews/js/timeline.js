// The timeline under the picture: playhead, comment markers (ranges as spans), the in/out
// range being marked, click or drag to seek, and a filmstrip tile of the moment under the pointer.

import { h } from "./dom.js";
import { frameToTimecode } from "./timecode.js";

export class Timeline extends EventTarget {
  constructor(root, { rate, frameCount, filmstrip }) {
    super();
    this.root = root;
    this.rate = rate;
    this.frameCount = Math.max(1, frameCount);
    this.filmstrip = filmstrip;
    this.track = root.querySelector(".timeline-track");
    this.played = root.querySelector(".timeline-played");
    this.playhead = root.querySelector(".timeline-playhead");
    this.markers = root.querySelector(".timeline-markers");
    this.range = root.querySelector(".timeline-range");
    this.preview = root.querySelector(".timeline-preview");
    this.previewTile = root.querySelector(".timeline-preview-tile");
    this.previewTimecode = root.querySelector(".timeline-preview-tc");
    this.selectedId = null;
    this.setUpFilmstrip();
    this.drawRuler(root.querySelector(".timeline-ruler"));
    this.listen();
  }

  // A tick and a label every few seconds, about a dozen along the whole clip.
  drawRuler(ruler) {
    const duration = this.frameCount / this.rate.fps;
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800].find((seconds) => duration / seconds <= 12) ?? 3600;
    const ticks = [];
    for (let second = 0; second < duration; second += step) {
      const label = `${String(Math.floor(second / 60)).padStart(2, "0")}:${String(second % 60).padStart(2, "0")}`;
      const tick = h("span", { class: "tick" }, label);
      tick.style.left = this.percent(Math.round(second * this.rate.fps));
      ticks.push(tick);
    }
    ruler.replaceChildren(...ticks);
  }

  percent(frame) {
    return `${(100 * frame) / this.frameCount}%`;
  }

  frameAt(clientX) {
    const box = this.track.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return Math.min(this.frameCount - 1, Math.floor(fraction * this.frameCount));
  }

  listen() {
    let dragging = false;
    this.track.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".marker")) return;
      dragging = true;
      this.track.setPointerCapture(event.pointerId);
      this.emit("seek", { frame: this.frameAt(event.clientX) });
    });
    this.track.addEventListener("pointermove", (event) => {
      this.showPreview(event.clientX);
      if (dragging) this.emit("seek", { frame: this.frameAt(event.clientX) });
    });
    const stop = () => (dragging = false);
    this.track.addEventListener("pointerup", stop);
    this.track.addEventListener("pointercancel", stop);
    this.track.addEventListener("pointerleave", () => (this.preview.hidden = true));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setUpFilmstrip() {
    const strip = this.filmstrip;
    if (!strip) return;
    // Show each tile at half size so the preview stays light over the picture.
    this.previewScale = Math.min(1, 160 / strip.tile_width);
    const width = strip.tile_width * this.previewScale;
    const height = strip.tile_height * this.previewScale;
    Object.assign(this.previewTile.style, {
      width: `${width}px`,
      height: `${height}px`,
      backgroundImage: `url("${strip.url}")`,
      backgroundSize: `${strip.columns * width}px ${strip.rows * height}px`,
    });
    const duration = this.frameCount / this.rate.fps;
    this.tileCount = Math.min(strip.columns * strip.rows, Math.max(1, Math.ceil(duration / strip.interval - 1e-6)));
  }

  showPreview(clientX) {
    const frame = this.frameAt(clientX);
    const box = this.track.getBoundingClientRect();
    this.previewTimecode.textContent = frameToTimecode(frame, this.rate);
    const strip = this.filmstrip;
    if (strip) {
      // Tile i shows time i*interval: the tile at or before the frame under the pointer.
      const seconds = frame / this.rate.fps;
      const tile = Math.min(this.tileCount - 1, Math.floor(seconds / strip.interval + 1e-6));
      const width = strip.tile_width * this.previewScale;
      const height = strip.tile_height * this.previewScale;
      this.previewTile.style.backgroundPosition = `${-(tile % strip.columns) * width}px ${-Math.floor(tile / strip.columns) * height}px`;
      this.preview.dataset.tile = String(tile);
    }
    this.preview.hidden = false;
    const half = this.preview.offsetWidth / 2;
    const x = Math.min(box.width - half, Math.max(half, clientX - box.left));
    this.preview.style.left = `${x}px`;
  }

  setFrame(frame) {
    const position = this.percent(frame + 0.5);
    this.played.style.width = position;
    this.playhead.style.left = position;
  }

  setMarks(markIn, markOut) {
    if (markIn === null && markOut === null) {
      this.range.hidden = true;
      return;
    }
    const start = markIn ?? markOut;
    const end = markOut ?? markIn;
    this.range.hidden = false;
    this.range.style.left = this.percent(Math.min(start, end));
    this.range.style.width = this.percent(Math.abs(end - start) + 1);
  }

  setComments(comments) {
    const anchored = comments.filter((comment) => comment.frame !== null);
    this.markers.replaceChildren(
      ...anchored.map((comment) => {
        const ranged = comment.frame_end !== null && comment.frame_end > comment.frame;
        const label = `${comment.timecode}${ranged ? `–${comment.timecode_end}` : ""} · ${comment.author?.display_name ?? "someone"}: ${comment.deleted ? "(deleted)" : comment.body}${comment.resolved ? " (resolved)" : ""}`;
        const marker = h(
          "button",
          {
            type: "button",
            class: `marker${ranged ? " marker-range" : ""}${comment.resolved ? " resolved" : ""}${comment.id === this.selectedId ? " selected" : ""}`,
            title: label,
            "aria-label": label,
            dataset: { commentId: comment.id, frame: comment.frame },
            onclick: () => this.emit("select", { id: comment.id }),
          },
          ranged ? null : h("span", { class: "marker-dot" }),
        );
        marker.style.left = ranged ? this.percent(comment.frame) : this.percent(comment.frame + 0.5);
        if (ranged) marker.style.width = this.percent(comment.frame_end - comment.frame + 1);
        return marker;
      }),
    );
  }

  select(id) {
    this.selectedId = id;
    for (const marker of this.markers.children) {
      marker.classList.toggle("selected", Number(marker.dataset.commentId) === id);
    }
  }
}
