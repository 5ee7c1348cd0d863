// /review/versions/{id}/: the player and the conversation, wired together.

import { get, getAll, PAGES } from "./api.js";
import { AnnotationCanvas } from "./annotate.js";
import { Composer } from "./composer.js";
import { renderCompareWith } from "./compareentry.js";
import { Conversation } from "./conversation.js";
import { renderCrumbs, renderProcessing, renderStatusControl, renderVersionInfo } from "./details.js";
import { $, h, reportError, toast } from "./dom.js";
import { copyText, frameMiddleSeconds, requestedStart, versionUrl } from "./links.js";
import { loadNoteTypes, setUpNoteTools } from "./notes.js";
import { FramePlayer, SPEEDS } from "./player.js";
import { bindShortcuts } from "./shortcuts.js";
import { ShotVersions } from "./shotversions.js";
import { followVersion } from "./versionlive.js";
import { DECISION_LABELS, renderDecisionControl } from "./takes.js";
import { Timeline } from "./timeline.js";
import { frameToTimecode, nominalRate, parseRate, rateLabel } from "./timecode.js";
import { ZoomPan } from "./zoom.js";

const root = $("#review");
const versionId = Number(root.dataset.versionId);
const shotId = Number(root.dataset.shotId);
const projectId = Number(root.dataset.projectId);
const POLL_MS = 1000;
// While the live stream is up it announces progress and the proxy; polling is the fallback.
const LIVE_POLL_MS = 10000;
// A review link guest's stream carries this version's events only, not the shot's other takes:
// a guest's page keeps polling for those (docs/review-links.md).
const STREAM_ANNOUNCES_TAKES = PAGES !== "/guest";

const state = {
  rate: null,
  player: null,
  timeline: null,
  annotationCanvas: new AnnotationCanvas($("#sketch"), $("#video")),
  conversation: null,
  composer: null,
  marks: { in: null, out: null },
  looping: false,
  selected: null, // the selected top-level comment
  zoom: new ZoomPan($("#viewport"), $("#picture")),
  versions: null, // the shot's versions: the menu and the newer-version banner
  live: null, // the server-sent event stream (live.js)
  wakeProxyWait: null, // ends waitForProxy's pause early when the stream says something changed
};

// --- the conversation -------------------------------------------------------

async function loadComments() {
  const comments = await getAll(`versions/${versionId}/comments/`);
  state.conversation.set(comments);
  state.timeline?.setComments(comments);
  if (state.selected) state.selected = state.conversation.find(state.selected.id);
  showSelectedAnnotation();
}

// A reply selects its thread: the thread carries the frame and the drawing.
function threadOf(id) {
  return state.conversation.comments.find((top) => top.id === id || state.conversation.find(id, top.replies ?? []));
}

function selectComment(id) {
  const comment = threadOf(id);
  if (!comment) return;
  state.selected = comment;
  state.conversation.select(comment.id);
  state.timeline?.select(comment.id);
  if (state.player && comment.frame !== null) {
    state.player.pause();
    state.player.seekFrame(comment.frame);
  }
  showSelectedAnnotation();
}

// A comment's annotation belongs to its frames: it shows while the paused picture is one of them.
function showSelectedAnnotation() {
  const comment = state.selected;
  const player = state.player;
  let visible = false;
  if (comment?.annotation && player && !player.playing) {
    const frame = player.frame;
    visible = comment.frame === null || (frame >= comment.frame && frame <= (comment.frame_end ?? comment.frame));
  }
  state.annotationCanvas.show(visible ? comment.annotation : null);
}

// --- where a new comment goes ------------------------------------------------

function anchor() {
  if (!state.player) return null;
  const { in: markIn, out: markOut } = state.marks;
  if (markIn !== null || markOut !== null) {
    const start = Math.min(markIn ?? markOut, markOut ?? markIn);
    const end = Math.max(markIn ?? markOut, markOut ?? markIn);
    const label = start === end ? frameToTimecode(start, state.rate) : `${frameToTimecode(start, state.rate)} → ${frameToTimecode(end, state.rate)}`;
    return { frame: start, frame_end: end === start ? null : end, label };
  }
  const frame = state.player.frame;
  return { frame, frame_end: null, label: frameToTimecode(frame, state.rate) };
}

function setMark(which) {
  if (!state.player) return;
  state.marks[which] = state.player.frame;
  renderMarks();
  state.composer?.reanchor();
}

function renderMarks() {
  const { in: markIn, out: markOut } = state.marks;
  const any = markIn !== null || markOut !== null;
  $("#marks").hidden = !any;
  if (any) $("#marks-range").textContent = anchor().label;
  state.timeline?.setMarks(markIn, markOut);
  if (state.looping) state.player?.setLoop(loopRange());
  state.composer?.refresh();
}

// The marked range, or the whole clip when nothing is marked.
function loopRange() {
  const start = state.marks.in ?? 0;
  const end = state.marks.out ?? state.player.frameCount - 1;
  return { start: Math.min(start, end), end: Math.max(start, end) };
}

function toggleLoop() {
  if (!state.player) return;
  state.looping = !state.looping;
  state.player.setLoop(state.looping ? loopRange() : null);
  $("#loop").setAttribute("aria-pressed", String(state.looping));
  toast(state.looping ? "Looping" : "Loop off");
}

function clearMarks() {
  state.marks = { in: null, out: null };
  renderMarks();
  state.composer?.reanchor();
}

// --- the player ---------------------------------------------------------------

function onFrame({ frame, playing }) {
  $("#timecode").textContent = frameToTimecode(frame, state.rate);
  $("#frame-number").textContent = String(frame);
  $("#transport").classList.toggle("playing", playing);
  const speed = state.player.speed;
  // Show the shuttle only when it is not plain playback at the picked speed: backwards or faster.
  $("#shuttle").textContent = playing && speed !== state.player.baseSpeed ? `${speed > 0 ? "▶" : "◀"} ${Math.abs(speed)}×` : "";
  $("#speed").value = String(state.player.baseSpeed);
  state.timeline.setFrame(frame);
  state.composer?.refresh();
  showSelectedAnnotation();
}

function setUpSpeed() {
  const select = $("#speed");
  select.replaceChildren(...SPEEDS.map((speed) => h("option", { value: String(speed), selected: speed === 1 }, `${speed}×`)));
  select.addEventListener("change", () => {
    state.player?.setSpeed(Number(select.value));
    // Back to the player: the arrows step frames, not speeds.
    select.blur();
  });
}

function changeSpeed(steps) {
  if (!state.player) return;
  toast(`Speed ${state.player.changeSpeed(steps)}×`);
}

// Where the page opens: a linked frame or comment, else the first frame.
function goToStart() {
  const start = requestedStart(state.rate);
  if (start?.comment) {
    if (threadOf(start.comment)) selectComment(start.comment);
    else toast("That comment is no longer on this version.", { error: true });
  } else if (start) seek(start.frame);
}

function startPlayer(version) {
  const video = $("#video");
  state.rate = parseRate(version.media.fps_rational);
  const frameCount = version.media.frame_count;
  // The poster (a frame from a third of the way in) covers the player while the clip loads; after
  // that the picture must be the frame the counter shows, so the poster goes.
  video.poster = version.poster_url ?? "";
  video.addEventListener("loadeddata", () => video.removeAttribute("poster"), { once: true });
  video.src = version.proxy_url;
  state.player = new FramePlayer(video, { rate: state.rate, frameCount });
  state.timeline = new Timeline($("#timeline"), { rate: state.rate, frameCount, filmstrip: version.filmstrip });
  state.timeline.setComments(state.conversation.comments);
  state.timeline.addEventListener("seek", (event) => {
    state.player.pause();
    state.player.seekFrame(event.detail.frame);
  });
  state.timeline.addEventListener("select", (event) => selectComment(event.detail.id));
  // A speed picked while the clip was still processing holds.
  state.player.setSpeed(Number($("#speed").value));
  state.player.addEventListener("frame", (event) => onFrame(event.detail));
  video.addEventListener("error", () =>
    toast("The clip could not be loaded (its link may have expired); reload the page.", { error: true }),
  );
  video.addEventListener("loadeddata", () => root.classList.add("ready"), { once: true });
  $("#frame-total").textContent = ` / ${frameCount - 1}`;
  $("#rate").textContent = `${rateLabel(state.rate)} fps`;
  for (const button of document.querySelectorAll("#transport [data-action]")) {
    button.addEventListener("click", () => transportAction(button.dataset.action));
  }
  root.dataset.state = "ready";
  onFrame({ frame: 0, playing: false });
  goToStart();
}

function transportAction(action) {
  const player = state.player;
  const actions = {
    start: () => seek(0),
    back: () => player.step(-1),
    play: () => player.toggle(),
    forward: () => player.step(1),
    end: () => seek(Number.MAX_SAFE_INTEGER),
    "clear-marks": clearMarks,
    loop: toggleLoop,
    zoom: () => state.zoom.toggle(),
    "copy-link": copyFrameLink,
    fullscreen: toggleFullscreen,
    mute: toggleMute,
    help: () => $("#help").showModal(),
  };
  actions[action]?.();
}

async function copyLink(url, what) {
  const copied = await copyText(url);
  toast(copied ? `Link to ${what} copied` : `Link to ${what}: ${url}`);
}

function copyFrameLink() {
  const frame = state.player.frame;
  copyLink(versionUrl(versionId, { frame }), frameToTimecode(frame, state.rate));
}

// The whole stage goes full screen, so the timeline and transport stay at hand.
function toggleFullscreen() {
  const video = $("#video");
  if (document.fullscreenElement) document.exitFullscreen();
  else if (document.fullscreenEnabled) $("#stage").requestFullscreen().catch(reportError);
  // An iPhone makes only a <video> full screen, in its own player: the picture at least.
  else video.webkitEnterFullscreen?.();
}

// Another version opens at the moment shown here, by time, whatever its frame rate.
function moment() {
  const frame = state.player?.frame ?? 0;
  return frame > 0 ? { t: frameMiddleSeconds(frame, state.rate) } : {};
}

function seek(frame) {
  state.player.pause();
  state.player.seekFrame(frame);
}

function toggleMute() {
  const video = $("#video");
  video.muted = !video.muted;
  $("#mute").classList.toggle("muted", video.muted);
}

// Poll the version until the worker has made its proxy, then open the player.
async function waitForProxy(version) {
  renderProcessing(version);
  root.dataset.state = version.processing.state;
  if (version.processing.state === "ready") return version;
  if (version.processing.state === "failed") return null;
  await new Promise((resolve) => {
    state.wakeProxyWait = resolve;
    setTimeout(resolve, state.live?.connected ? LIVE_POLL_MS : POLL_MS);
  });
  state.wakeProxyWait = null;
  return waitForProxy(await get(`versions/${versionId}/`));
}

// --- the page -----------------------------------------------------------------

function bindKeys() {
  const player = () => state.player;
  const withPlayer = (action) => () => player() && action(player());
  bindShortcuts({
    toggle: withPlayer((p) => p.toggle()),
    pause: withPlayer((p) => p.pause()),
    backward: withPlayer((p) => p.backward()),
    forward: withPlayer((p) => p.forward()),
    step: (frames) => player()?.step(frames),
    seek: (frame) => player() && seek(frame),
    framesPerSecond: () => nominalRate(state.rate ?? parseRate(null)),
    markIn: () => setMark("in"),
    markOut: () => setMark("out"),
    loop: toggleLoop,
    speed: changeSpeed,
    zoom: (levels) => (levels ? state.zoom.step(levels) : state.zoom.toggle()),
    fullscreen: toggleFullscreen,
    write: () => state.composer?.focus(),
    tool: (tool) => state.composer?.setTool(state.annotationCanvas.tool === tool ? null : tool),
    mute: toggleMute,
    help: () => $("#help").showModal(),
    escape: () => {
      clearMarks();
      state.composer?.setTool(null);
      state.selected = null;
      state.conversation.select(null);
      state.timeline?.select(null);
      showSelectedAnnotation();
    },
  });
}

async function main() {
  const [version, versions, project, shot, members] = await Promise.all([
    get(`versions/${versionId}/`),
    getAll(`shots/${shotId}/versions/`),
    get(`projects/${projectId}/`),
    get(`shots/${shotId}/`),
    getAll(`projects/${projectId}/members/`),
  ]);
  renderCrumbs(project, shot, version);
  // The take's decision (docs/takes.md): selecting it may un-select another take, so the list is read again.
  const showDecision = (updated) => renderDecisionControl(updated, decided);
  const decided = (updated) => {
    showDecision(updated);
    state.versions.show(updated);
    state.versions.refresh().catch(reportError);
    toast(`v${updated.number}: ${DECISION_LABELS[updated.decision].toLowerCase()}`);
  };
  state.versions = new ShotVersions({ shotId, versions, current: version, moment, onCurrentDecision: showDecision });
  showDecision(version);
  state.versions.watch(() => STREAM_ANNOUNCES_TAKES && state.live?.connected);
  renderCompareWith($("#compare-select"), versions, version, () => state.player?.frame ?? 0);
  state.zoom.addEventListener("zoom", (event) => {
    const { scale } = event.detail;
    $("#zoom-level").textContent = scale > 1 ? `${Number(scale.toFixed(1))}×` : "";
    $("#zoom").setAttribute("aria-pressed", String(scale > 1));
  });
  document.addEventListener("fullscreenchange", () =>
    $("#fullscreen").setAttribute("aria-pressed", String(document.fullscreenElement !== null)),
  );
  const onStatus = (updated) => {
    renderStatusControl(updated, onStatus);
    state.versions.show(updated);
    toast(`Marked ${updated.review_status.replace("_", " ")}`);
  };
  renderStatusControl(version, onStatus);
  renderVersionInfo(version, parseRate(version.media?.fps_rational ?? project.fps_rational));

  // Notes by others since the previous visit are marked new (empty on a first visit: nothing is).
  const since = { seenBefore: root.dataset.seenBefore || null, userId: Number(root.dataset.userId) };
  state.conversation = new Conversation($("#thread"), { versionId, members, ...since });
  state.conversation.addEventListener("select", (event) => selectComment(event.detail.id));
  state.conversation.addEventListener("changed", () => loadComments().catch(reportError));
  state.conversation.addEventListener("link", (event) =>
    copyLink(versionUrl(versionId, { comment: event.detail.id }), "this comment"),
  );
  state.conversation.addEventListener("rendered", (event) => {
    $("#comment-count").textContent = event.detail.count ? String(event.detail.count) : "";
    $("#thread-empty").hidden = event.detail.count > 0;
  });
  $("#show-resolved").addEventListener("change", (event) => {
    state.conversation.showResolved = event.target.checked;
    state.conversation.render();
  });

  // Viewers read; the box to write in is only there for those who may comment.
  if (version.my_actions.includes("comment")) {
    state.composer = new Composer($("#composer"), { versionId, members, annotationCanvas: state.annotationCanvas, anchor });
    state.composer.addEventListener("posted", async (event) => {
      await loadComments();
      selectComment(event.detail.comment.id);
      clearMarks();
      toast("Comment posted");
    });
    state.composer.addEventListener("begin", () => state.player?.pause());
    state.composer.addEventListener("tool", (event) => {
      if (event.detail.tool) state.player?.pause();
    });
    state.annotationCanvas.addEventListener("drawstart", () => {
      state.player?.pause();
      state.composer.begin();
    });
  } else {
    $("#composer").remove();
  }
  setUpSpeed();
  bindKeys();
  setUpNoteTools({ versionId, onFilter: () => state.conversation.render() });
  await loadNoteTypes();
  followVersion({ versionId, state, loadComments, onStatus });
  await loadComments();
  state.composer?.refresh();

  const ready = await waitForProxy(version);
  if (ready) {
    // Notes carried from the previous take arrive with the clip, on its own frames (reviews/carry_over.py).
    if (version.processing.state !== "ready") await loadComments();
    renderVersionInfo(ready, parseRate(ready.media.fps_rational));
    state.versions.show(ready);
    startPlayer(ready);
    state.composer?.refresh();
  }
}

main().catch(reportError);
