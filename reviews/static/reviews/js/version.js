// /review/versions/{id}/: the player and the conversation, wired together.

import { get, getAll } from "./api.js";
import { AnnotationCanvas } from "./annotate.js";
import { Composer } from "./composer.js";
import { Conversation } from "./conversation.js";
import { renderCrumbs, renderProcessing, renderStatusControl, renderVersionInfo, renderVersionSelect } from "./details.js";
import { $, reportError, toast } from "./dom.js";
import { FramePlayer } from "./player.js";
import { bindShortcuts } from "./shortcuts.js";
import { Timeline } from "./timeline.js";
import { frameToTimecode, nominalRate, parseRate, rateLabel } from "./timecode.js";

const root = $("#review");
const versionId = Number(root.dataset.versionId);
const shotId = Number(root.dataset.shotId);
const projectId = Number(root.dataset.projectId);
const POLL_MS = 1000;

const state = {
  rate: null,
  player: null,
  timeline: null,
  annotationCanvas: new AnnotationCanvas($("#sketch"), $("#video")),
  conversation: null,
  composer: null,
  marks: { in: null, out: null },
  selected: null, // the selected top-level comment
};

// --- the conversation -------------------------------------------------------

async function loadComments() {
  const comments = await getAll(`versions/${versionId}/comments/`);
  state.conversation.set(comments);
  state.timeline?.setComments(comments);
  if (state.selected) state.selected = state.conversation.find(state.selected.id);
  showSelectedAnnotation();
}

function selectComment(id) {
  const comment = state.conversation.find(id);
  if (!comment) return;
  state.selected = comment;
  state.conversation.select(id);
  state.timeline?.select(id);
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
}

function renderMarks() {
  const { in: markIn, out: markOut } = state.marks;
  const any = markIn !== null || markOut !== null;
  $("#marks").hidden = !any;
  if (any) $("#marks-range").textContent = anchor().label;
  state.timeline?.setMarks(markIn, markOut);
  state.composer?.refresh();
}

function clearMarks() {
  state.marks = { in: null, out: null };
  renderMarks();
}

// --- the player ---------------------------------------------------------------

function onFrame({ frame, playing }) {
  $("#timecode").textContent = frameToTimecode(frame, state.rate);
  $("#frame-number").textContent = String(frame);
  $("#transport").classList.toggle("playing", playing);
  const speed = state.player.speed;
  // Show the shuttle only when it is not plain playback: backwards or faster.
  $("#shuttle").textContent = playing && speed !== 1 ? `${speed > 0 ? "▶" : "◀"} ${Math.abs(speed)}×` : "";
  state.timeline.setFrame(frame);
  state.composer?.refresh();
  showSelectedAnnotation();
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
    mute: toggleMute,
    help: () => $("#help").showModal(),
  };
  actions[action]?.();
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
  await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
  renderVersionSelect(versions, version);
  const onStatus = (updated) => {
    renderStatusControl(updated, onStatus);
    renderVersionSelect(versions.map((v) => (v.id === updated.id ? updated : v)), updated);
    toast(`Marked ${updated.review_status.replace("_", " ")}`);
  };
  renderStatusControl(version, onStatus);
  renderVersionInfo(version, parseRate(version.media?.fps_rational ?? project.fps_rational));

  state.conversation = new Conversation($("#thread"), { versionId, members });
  state.conversation.addEventListener("select", (event) => selectComment(event.detail.id));
  state.conversation.addEventListener("changed", () => loadComments().catch(reportError));
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
    state.composer.addEventListener("tool", (event) => {
      if (event.detail.tool) state.player?.pause();
    });
    state.annotationCanvas.addEventListener("drawstart", () => state.player?.pause());
  } else {
    $("#composer").remove();
  }
  bindKeys();
  await loadComments();
  state.composer?.refresh();

  const ready = await waitForProxy(version);
  if (ready) {
    renderVersionInfo(ready, parseRate(ready.media.fps_rational));
    renderVersionSelect(versions.map((other) => (other.id === ready.id ? ready : other)), ready);
    startPlayer(ready);
    state.composer?.refresh();
  }
}

main().catch(reportError);
