// /review/compare/?a=ID&b=ID: two versions of one shot, one transport, the same moment on both.
// ?frame=N (or ?tc=, ?t=) is a frame of the leading side, A unless &lead=b; &mode=wipe|ab and
// &wipe=0..100 reopen the view as it was. The address follows every step (history.replaceState).

import { get, getAll } from "./api.js";
import { compareUrl } from "./compareentry.js";
import { CompareSync, frameAtStartOf, otherSide, SIDES } from "./comparesync.js";
import { CompareView } from "./compareview.js";
import { $, present, h, reportError, STATE_LABELS, STATUS_LABELS, toast } from "./dom.js";
import { copyText, requestedStart } from "./links.js";
import { FramePlayer } from "./player.js";
import { keepsKeys } from "./shortcuts.js";
import { Timeline } from "./timeline.js";
import { frameToTimecode, nominalRate, parseRate, rateLabel } from "./timecode.js";

const root = $("#compare");
const ids = { a: Number(root.dataset.aId), b: Number(root.dataset.bId) };
const projectId = Number(root.dataset.projectId);
const shotId = Number(root.dataset.shotId);
const POLL_MS = 1000;

const params = new URLSearchParams(window.location.search);
const urlLead = params.get("lead") === "b" ? "b" : "a";
const urlShown = ["a", "b"].includes(params.get("shown")) ? params.get("shown") : urlLead;
const state = {
  versions: {},
  comments: {},
  players: {},
  timelines: {},
  sync: null,
  view: new CompareView($("#compare-view"), {
    mode: params.get("mode") ?? "side",
    shown: urlShown,
    wipe: params.has("wipe") && Number.isFinite(Number(params.get("wipe"))) ? Number(params.get("wipe")) : 50,
  }),
};

// --- the address ------------------------------------------------------------------

// The side the frames on screen were chosen on, and its frame. Usually the leader; but after
// stepping B in A/B and flipping to A, A leads while B is not where A's frame would put it:
// then the address names B's frame (and shows A), so it reopens exactly what is on screen.
function place() {
  const sync = state.sync;
  if (!sync) return { frame: 0, lead: urlLead };
  const { leader, follower } = sync;
  const other = otherSide(sync.lead);
  const fromFollower = Math.min(leader.frameCount - 1, frameAtStartOf(follower.frame, follower.rate, leader.rate));
  if (follower.frame !== sync.mapped() && leader.frame === fromFollower) return { frame: follower.frame, lead: other };
  return { frame: leader.frame, lead: sync.lead };
}

function currentUrl() {
  const { mode, wipe, shown } = state.view;
  return compareUrl({ ...ids, ...place(), mode, wipe, shown });
}

// In A/B the side shown leads; an address that names the other side's frame opens with that side
// leading (so both frames are exactly the address's), and hands the lead over at the first step.
function leadTheShown() {
  if (state.sync && state.view.mode === "ab" && state.sync.lead !== state.view.shown) state.sync.setLead(state.view.shown);
}

// Not while playing, and not before the players start: the address still holds where to open.
function rememberPlace() {
  if (!state.sync || state.sync.playing) return;
  const url = currentUrl();
  if (url !== window.location.href) window.history.replaceState(null, "", url);
}

// --- what each side shows ---------------------------------------------------------------

function renderLabels() {
  for (const side of SIDES) {
    const version = state.versions[side];
    const status = version.processing.state === "ready" ? STATUS_LABELS[version.review_status] : STATE_LABELS[version.processing.state];
    $(`#label-${side}`).replaceChildren(
      h("a", { href: `/review/versions/${version.id}/`, class: "side-version", title: `Open v${version.number} on its own page` }, `v${version.number}`),
      ` · ${status}`,
    );
  }
}

function onFrame({ a, b, lead, playing }) {
  const frames = { a, b };
  for (const side of SIDES) {
    const player = state.players[side];
    $(`#timecode-${side}`).textContent = frameToTimecode(frames[side], player.rate);
    $(`#frame-${side}`).textContent = String(frames[side]);
    $(`#readout-${side}`).classList.toggle("lead", side === lead);
    state.timelines[side].setFrame(frames[side]);
  }
  $("#transport").classList.toggle("playing", playing);
  $("#play").setAttribute("aria-label", playing ? "Pause" : "Play");
  rememberPlace();
}

// In A/B the side shown is the side that leads: the arrows step the frames you are looking at.
function seekSide(frame, side) {
  if (state.view.mode === "ab" && state.view.shown !== side) state.view.show(side);
  state.sync.seek(frame, side);
}

function flip() {
  const { view, sync } = state;
  const next = view.mode === "ab" ? otherSide(view.shown) : otherSide(sync?.lead ?? "a");
  view.setMode("ab");
  view.show(next);
  sync?.setLead(next);
  showFlipNotice(`Showing ${next.toUpperCase()}: v${state.versions[next].number}`);
}

// Said on the picture itself, not in the page's toast, which on a phone lies over B's readout.
let flipNoticeTimer = null;
function showFlipNotice(message) {
  const notice = $("#flip-notice");
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(flipNoticeTimer);
  flipNoticeTimer = setTimeout(() => (notice.hidden = true), 1500);
}

function setMode(mode) {
  state.view.setMode(mode);
  if (mode === "ab") state.sync?.setLead(state.view.shown);
}

// --- players ----------------------------------------------------------------------

function startSide(side, version) {
  const video = $(`#video-${side}`);
  const rate = parseRate(version.media.fps_rational);
  const frameCount = version.media.frame_count;
  video.src = version.proxy_url;
  const player = new FramePlayer(video, { rate, frameCount });
  state.players[side] = player;
  const timeline = new Timeline($(`#timeline-${side}`), { rate, frameCount, filmstrip: version.filmstrip });
  timeline.setComments(state.comments[side]);
  timeline.addEventListener("seek", (event) => seekSide(event.detail.frame, side));
  timeline.addEventListener("select", (event) => {
    const comment = state.comments[side].find((item) => item.id === event.detail.id);
    if (!comment || comment.frame === null) return;
    timeline.select(comment.id);
    seekSide(comment.frame, side);
  });
  state.timelines[side] = timeline;
  $(`#total-${side}`).textContent = ` / ${frameCount - 1}`;
  $(`#rate-${side}`).textContent = `${rateLabel(rate)} fps`;
  video.addEventListener("error", () => toast(`v${version.number} could not be loaded (its link may have expired); reload the page.`, { error: true }));
  return new Promise((resolve) => {
    if (video.readyState >= 2) resolve();
    else video.addEventListener("loadeddata", resolve, { once: true });
  });
}

// Both timelines share one scale of seconds, so one moment is at one place on both.
function alignTimelines() {
  const seconds = (side) => state.players[side].frameCount / state.players[side].rate.fps;
  const longest = Math.max(seconds("a"), seconds("b"));
  for (const side of SIDES) {
    $(`#timeline-${side} .compare-track`).style.setProperty("--span", String(seconds(side) / longest));
  }
}

async function waitForProxy(side) {
  let version = state.versions[side];
  const status = $(`#status-${side}`);
  while (version.processing.state !== "ready") {
    status.hidden = false;
    if (version.processing.state === "failed") {
      status.textContent = `v${version.number} failed to process: ${version.processing.error ?? "no reason given"}`;
      return null;
    }
    status.textContent = `v${version.number}: ${STATE_LABELS[version.processing.state]}${version.processing.state === "processing" ? ` · ${version.processing.progress}%` : "…"}`;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    version = await get(`versions/${version.id}/`);
    state.versions[side] = version;
  }
  status.hidden = true;
  return version;
}

async function start() {
  await Promise.all(SIDES.map((side) => startSide(side, state.versions[side])));
  alignTimelines();
  state.sync = new CompareSync(state.players, { lead: urlLead });
  state.sync.addEventListener("frame", (event) => onFrame(event.detail));
  const startAt = requestedStart(state.sync.leader.rate);
  state.sync.seek(startAt?.frame ?? 0);
  root.dataset.state = "ready";
}

// --- keys and buttons -------------------------------------------------------------------

function transportAction(action) {
  if (!["flip", "swap", "copy-link", "help"].includes(action)) leadTheShown();
  const sync = state.sync;
  const actions = {
    start: () => sync?.seek(0),
    back: () => sync?.step(-1),
    play: () => sync?.toggle(),
    forward: () => sync?.step(1),
    end: () => sync?.seek(Number.MAX_SAFE_INTEGER),
    flip,
    swap: () => {
      const { mode, wipe } = state.view;
      const frame = sync ? sync.leader.frame : 0;
      const lead = otherSide(sync?.lead ?? "a");
      window.location.assign(compareUrl({ a: ids.b, b: ids.a, frame, lead, mode, wipe }));
    },
    "copy-link": async () => {
      const url = currentUrl();
      const copied = await copyText(url);
      toast(copied ? "Link to this comparison copied" : `Link: ${url}`);
    },
    help: () => $("#help").showModal(),
  };
  actions[action]?.();
}

function bindKeys() {
  document.addEventListener("keydown", (event) => {
    if (keepsKeys(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const sync = state.sync;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const second = () => nominalRate(sync.leader.rate);
    const actions = {
      " ": () => sync?.toggle(),
      k: () => sync?.pause(),
      l: () => sync && !sync.playing && sync.play(),
      ArrowLeft: () => sync?.step(event.shiftKey ? -second() : -1),
      ArrowRight: () => sync?.step(event.shiftKey ? second() : 1),
      Home: () => sync?.seek(0),
      End: () => sync?.seek(Number.MAX_SAFE_INTEGER),
      x: flip,
      "\\": flip,
      s: () => setMode("side"),
      w: () => setMode("wipe"),
      "[": () => state.view.moveWipe(-5),
      "]": () => state.view.moveWipe(5),
      m: () => sync && toast(sync.toggleMute() ? "Sound off" : "Sound on"),
      "?": () => $("#help").showModal(),
    };
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    if ([" ", "k", "l", "ArrowLeft", "ArrowRight", "Home", "End"].includes(key)) leadTheShown();
    action();
  });
}

async function main() {
  bindKeys();
  for (const button of document.querySelectorAll("#transport [data-action]")) {
    button.addEventListener("click", () => transportAction(button.dataset.action));
  }
  for (const button of document.querySelectorAll("#mode-switch [data-mode]")) {
    button.addEventListener("click", () => setMode(button.dataset.mode));
  }
  state.view.addEventListener("change", rememberPlace);
  const [a, b, project, shot, commentsA, commentsB] = await Promise.all([
    get(`versions/${ids.a}/`),
    get(`versions/${ids.b}/`),
    get(`projects/${projectId}/`),
    get(`shots/${shotId}/`),
    getAll(`versions/${ids.a}/comments/`),
    getAll(`versions/${ids.b}/comments/`),
  ]);
  state.versions = { a, b };
  state.comments = { a: commentsA, b: commentsB };
  $("#crumb-project").textContent = project.name;
  $("#crumb-shot").replaceChildren(
    ...present([
      h("span", { class: "shot-code" }, shot.code),
      h("span", { class: "muted" }, ` v${a.number} ⇄ v${b.number}`),
    ]),
  );
  document.title = `${shot.code} v${a.number} ⇄ v${b.number} · ${project.name} · reviewsvc`;
  renderLabels();
  const ready = await Promise.all(SIDES.map(waitForProxy));
  renderLabels();
  if (ready.every(Boolean)) await start();
  else root.dataset.state = "failed";
}

main().catch(reportError);
