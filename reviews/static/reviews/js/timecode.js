// Frames, seconds and timecodes exactly as the server counts them (reviews/timecode.py):
// non-drop-frame HH:MM:SS:FF whose frame field counts to the nominal rate, round(fps).

// A rate as the exact fraction the API reports ("24000/1001").
export function parseRate(rational, fallback = 24) {
  const [numerator, denominator] = String(rational ?? "").split("/").map(Number);
  if (numerator > 0 && denominator > 0) return { numerator, denominator, fps: numerator / denominator };
  return { numerator: fallback, denominator: 1, fps: fallback };
}

// Python's round(): halves go to the even neighbour, so 12.5 fps counts 12 like the server.
export function nominalRate({ numerator, denominator }) {
  const whole = Math.floor(numerator / denominator);
  const twiceRest = 2 * (numerator - whole * denominator);
  let rounded = whole;
  if (twiceRest > denominator || (twiceRest === denominator && whole % 2 === 1)) rounded += 1;
  return Math.max(1, rounded);
}

const pad = (value, width = 2) => String(value).padStart(width, "0");

export function frameToTimecode(frame, rate) {
  const base = nominalRate(rate);
  const frames = frame % base;
  const totalSeconds = Math.floor(frame / base);
  const seconds = totalSeconds % 60;
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const hours = Math.floor(totalSeconds / 3600);
  const width = Math.max(2, String(base - 1).length);
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}:${pad(frames, width)}`;
}

// The frame on screen at a player time; the allowance matches the server's seconds_to_frame,
// since browsers report a frame's start a hair early or late.
export function secondsToFrame(seconds, rate) {
  return Math.max(0, Math.floor((seconds * rate.numerator) / rate.denominator + 1e-3));
}

// Seek to the middle of a frame: a browser then shows that frame, whatever its rounding.
export function frameToSeekTime(frame, rate) {
  return ((frame + 0.5) * rate.denominator) / rate.numerator;
}

export function rateLabel({ numerator, denominator }) {
  if (denominator === 1) return String(numerator);
  return (numerator / denominator).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}

// HH:MM:SS:FF (or ;FF) back to a frame, as the server reads it; null for anything else.
export function timecodeToFrame(timecode, rate) {
  const match = /^(\d{2,}):([0-5]\d):([0-5]\d)[:;](\d{2,3})$/.exec(String(timecode).trim());
  if (!match) return null;
  const [hours, minutes, seconds, frames] = match.slice(1).map(Number);
  const base = nominalRate(rate);
  if (frames >= base) return null;
  return ((hours * 60 + minutes) * 60 + seconds) * base + frames;
}
