// Links into a version: ?frame=84, ?t=3.5 (seconds), ?tc=00:00:03:12 or ?comment=17 open the
// page there; the page hands out links of the first and last kind.

import { PAGES } from "./api.js";
import { secondsToFrame, timecodeToFrame } from "./timecode.js";

// Where the address asks the player to start: {frame} or {comment}, or null for the first frame.
export function requestedStart(rate, search = window.location.search) {
  const params = new URLSearchParams(search);
  const comment = Number(params.get("comment"));
  if (Number.isInteger(comment) && comment > 0) return { comment };
  if (/^\d+$/.test(params.get("frame") ?? "")) return { frame: Number(params.get("frame")) };
  const seconds = Number(params.get("t"));
  if (params.get("t") && Number.isFinite(seconds) && seconds >= 0) return { frame: secondsToFrame(seconds, rate) };
  const frame = params.has("tc") ? timecodeToFrame(params.get("tc"), rate) : null;
  return frame === null ? null : { frame };
}

export function versionUrl(versionId, params = {}) {
  const url = new URL(`${PAGES}/versions/${versionId}/`, window.location.origin);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
  return url.toString();
}

// The middle of a frame in seconds: another version at another rate opens on the frame shown then.
export function frameMiddleSeconds(frame, rate) {
  return Number((((frame + 0.5) * rate.denominator) / rate.numerator).toFixed(6));
}

// Copy to the clipboard where the browser allows it; otherwise the caller shows the link.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
