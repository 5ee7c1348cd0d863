// A frame-accurate wrapper around the <video> element: the current frame, stepping,
// J/K/L shuttle, playback speed, looping a range, and one "frame" event whenever the
// picture on screen may have changed.

import { frameToSeekTime, secondsToFrame } from "./timecode.js";

const MAX_SPEED = 8;
// The speeds a person picks for plain playback; the shuttle goes beyond them.
export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];

export class FramePlayer extends EventTarget {
  constructor(video, { rate, frameCount }) {
    super();
    this.video = video;
    this.rate = rate;
    this.frameCount = Math.max(1, frameCount);
    this.reverse = null; // the backwards shuttle, when running: {speed, startFrame, startedAt}
    this.lastFrame = -1;
    this.baseSpeed = 1; // plain playback's speed, as picked; J/K/L shuttles from it
    this.loop = null; // {start, end} frames to play round, when looping
    // One seek at a time: Chromium can stall for good when seeks overlap, so a key held
    // down or pressed quickly moves a target that the next seek picks up when this one ends.
    this.pendingFrame = null;
    video.addEventListener("seeked", () => this.applySeek());
    for (const type of ["seeked", "loadeddata", "pause", "play", "ratechange", "ended", "timeupdate"]) {
      video.addEventListener(type, () => this.announce());
    }
    this.watchPlayback();
  }

  get frame() {
    if (this.pendingFrame !== null) return this.pendingFrame;
    return Math.min(this.frameCount - 1, secondsToFrame(this.video.currentTime, this.rate));
  }

  get playing() {
    return !this.video.paused || this.reverse !== null;
  }

  get speed() {
    if (this.reverse) return -this.reverse.speed;
    return this.video.paused ? 0 : this.video.playbackRate;
  }

  announce() {
    this.keepInLoop();
    const frame = this.frame;
    this.lastFrame = frame;
    this.dispatchEvent(new CustomEvent("frame", { detail: { frame, playing: this.playing } }));
  }

  // Follow every presented frame while playing, not only the coarse timeupdate events.
  // The time of the frame actually composited is kept on the element, to check seeks land where meant.
  watchPlayback() {
    if ("requestVideoFrameCallback" in this.video) {
      const onFrame = (now, metadata) => {
        this.video.dataset.presentedTime = String(metadata.mediaTime);
        this.announce();
        this.video.requestVideoFrameCallback(onFrame);
      };
      this.video.requestVideoFrameCallback(onFrame);
    } else {
      const tick = () => {
        if (!this.video.paused && this.frame !== this.lastFrame) this.announce();
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
  }

  // Playing past the loop's last frame (or to the clip's end) starts it again from its first.
  keepInLoop() {
    if (!this.loop || this.video.paused || this.video.seeking || this.pendingFrame !== null) return;
    const frame = secondsToFrame(this.video.currentTime, this.rate);
    if (frame > this.loop.end || frame < this.loop.start || this.video.ended) {
      this.video.currentTime = frameToSeekTime(this.loop.start, this.rate);
    }
  }

  setLoop(range) {
    this.loop = range ? { start: Math.max(0, range.start), end: Math.min(this.frameCount - 1, range.end) } : null;
    // A loop that runs to the clip's last frame must not stop there: the element loops, and
    // keepInLoop moves it from frame 0 to the loop's start.
    this.video.loop = this.loop !== null && this.loop.end >= this.frameCount - 1;
    this.announce();
  }

  setSpeed(speed) {
    this.baseSpeed = Math.min(SPEEDS.at(-1), Math.max(SPEEDS[0], speed));
    if (!this.video.paused) this.video.playbackRate = this.baseSpeed;
    this.announce();
    return this.baseSpeed;
  }

  // One step up or down the list of speeds.
  changeSpeed(steps) {
    const index = SPEEDS.findIndex((speed) => speed >= this.baseSpeed);
    return this.setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, index + steps))]);
  }

  seekFrame(frame) {
    const target = Math.max(0, Math.min(this.frameCount - 1, Math.round(frame)));
    this.pendingFrame = target;
    if (!this.video.seeking) this.applySeek();
    this.announce();
    return target;
  }

  applySeek() {
    if (this.pendingFrame === null) return;
    const target = this.pendingFrame;
    this.pendingFrame = null;
    this.video.currentTime = frameToSeekTime(target, this.rate);
  }

  step(frames) {
    this.pause();
    return this.seekFrame(this.frame + frames);
  }

  play() {
    this.stopReverse();
    const { start, end } = this.loop ?? { start: 0, end: this.frameCount - 1 };
    if (this.frame >= end || this.frame < start) this.seekFrame(start);
    this.video.playbackRate = this.baseSpeed;
    return this.video.play().catch(() => {});
  }

  pause() {
    this.stopReverse();
    if (!this.video.paused) {
      this.video.pause();
      // Land on the middle of the frame that was showing, so stepping and comments agree.
      this.seekFrame(this.frame);
    }
    this.announce();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  // L: play forwards, faster on each press; from reverse it first stops.
  forward() {
    if (this.reverse) return this.pause();
    if (this.video.paused) return this.play();
    this.video.playbackRate = Math.min(MAX_SPEED, Math.max(1, this.video.playbackRate * 2));
  }

  // J: play backwards, faster on each press. Browsers cannot play backwards, so step back by seeking.
  backward() {
    if (!this.video.paused) return this.pause();
    if (this.reverse) {
      this.reverse = { speed: Math.min(MAX_SPEED, this.reverse.speed * 2), startFrame: this.frame, startedAt: performance.now() };
      return this.announce();
    }
    this.reverse = { speed: 1, startFrame: this.frame, startedAt: performance.now() };
    const run = (now) => {
      if (!this.reverse) return;
      const { speed, startFrame, startedAt } = this.reverse;
      const target = startFrame - Math.floor(((now - startedAt) / 1000) * this.rate.fps * speed);
      if (target <= 0) {
        this.seekFrame(0);
        this.reverse = null;
        return this.announce();
      }
      if (!this.video.seeking && target !== this.frame) this.seekFrame(target);
      requestAnimationFrame(run);
    };
    requestAnimationFrame(run);
    this.announce();
  }

  stopReverse() {
    this.reverse = null;
  }
}
