// Two players as one: one transport moves both to the same moment.
//
// One side leads (A, unless B's timeline was used or B is the picture shown alone): stepping
// and links count its frames, and the other side shows the frame that is on screen at the start
// time of the leader's frame (frameAtStartOf). While playing, the follower chases the leader's
// presented frames and is re-seeked when it drifts by more than half of one of its frames; a
// pause snaps both exactly onto their frames.

export const SIDES = ["a", "b"];
export const otherSide = (side) => (side === "a" ? "b" : "a");

// The frame of a clip at rate `to` on screen when frame `frame` of a clip at rate `from` starts:
// floor(frame × from.den × to.num / (from.num × to.den)), in whole numbers so that a boundary
// shared by both rates (frame 3 at 24 fps and frame 2 at 16 fps both start at 0.125 s) never
// rounds to the frame before.
export function frameAtStartOf(frame, from, to) {
  const numerator = frame * from.denominator * to.numerator;
  const denominator = from.numerator * to.denominator;
  return (numerator - (numerator % denominator)) / denominator;
}

export class CompareSync extends EventTarget {
  // players: {a: FramePlayer, b: FramePlayer}
  constructor(players, { lead = "a" } = {}) {
    super();
    this.players = players;
    this.lead = lead;
    this.muted = false;
    this.applySound();
    for (const side of SIDES) players[side].addEventListener("frame", () => this.follow(side));
  }

  get leader() {
    return this.players[this.lead];
  }

  get follower() {
    return this.players[otherSide(this.lead)];
  }

  get playing() {
    return this.leader.playing;
  }

  // Where the follower belongs while the leader is on `frame`; past its own end it holds its last frame.
  mapped(frame = this.leader.frame) {
    const follower = this.follower;
    return Math.min(follower.frameCount - 1, frameAtStartOf(frame, this.leader.rate, follower.rate));
  }

  state() {
    return { a: this.players.a.frame, b: this.players.b.frame, lead: this.lead, playing: this.playing };
  }

  announce() {
    this.dispatchEvent(new CustomEvent("frame", { detail: this.state() }));
  }

  // The leader is the side whose frames count; only its sound is heard.
  setLead(side) {
    if (side === this.lead) return;
    const wasPlaying = this.playing;
    if (wasPlaying) this.pause();
    this.lead = side;
    this.applySound();
    if (wasPlaying) this.play();
    this.announce();
  }

  applySound() {
    this.leader.video.muted = this.muted;
    this.follower.video.muted = true;
  }

  toggleMute() {
    this.muted = !this.muted;
    this.applySound();
    return this.muted;
  }

  // Both to the moment of the leader's frame `frame` (on `side`, which then leads); returns it.
  seek(frame, side = this.lead) {
    this.lead = side;
    this.applySound();
    this.stopBoth();
    const target = this.leader.seekFrame(frame);
    this.follower.seekFrame(this.mapped(target));
    this.announce();
    return target;
  }

  step(frames) {
    return this.seek(this.leader.frame + frames);
  }

  play() {
    const { leader, follower } = this;
    leader.play();
    follower.stopReverse();
    follower.video.playbackRate = leader.video.playbackRate;
    const target = this.mapped();
    follower.seekFrame(target);
    if (target < follower.frameCount - 1) follower.video.play().catch(() => {});
    this.announce();
  }

  stopBoth() {
    for (const player of Object.values(this.players)) {
      player.stopReverse();
      if (!player.video.paused) player.video.pause();
    }
  }

  // Both stop, each on the middle of its frame: the leader's as it was showing, the follower's by time.
  pause() {
    this.leader.pause();
    this.follower.stopReverse();
    this.follower.video.pause();
    this.follower.seekFrame(this.mapped());
    this.announce();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  // Every frame either player announces: the follower chases the leader.
  follow(side) {
    if (side === this.lead) {
      const { leader, follower } = this;
      if (!leader.video.paused) this.chase(leader, follower);
      else {
        if (!follower.video.paused) follower.video.pause();
        const target = this.mapped();
        if (follower.frame !== target) follower.seekFrame(target);
      }
    }
    this.announce();
  }

  chase(leader, follower) {
    const time = leader.video.currentTime;
    const halfFrame = 0.5 / follower.rate.fps;
    const end = follower.frameCount / follower.rate.fps;
    if (time >= end - halfFrame) {
      // The follower is shorter: it waits on its last frame until the leader comes back.
      if (!follower.video.paused) follower.video.pause();
      if (follower.frame !== follower.frameCount - 1) follower.seekFrame(follower.frameCount - 1);
      return;
    }
    if (follower.video.playbackRate !== leader.video.playbackRate) follower.video.playbackRate = leader.video.playbackRate;
    if (follower.video.seeking) return;
    if (Math.abs(follower.video.currentTime - time) > halfFrame) follower.video.currentTime = time;
    if (follower.video.paused) follower.video.play().catch(() => {});
  }
}
