// Small helpers to build the page: elements from data, never HTML from strings.

// What a list of children holds to show: `cond ? node : null` leaves nulls, which the DOM's own
// append and replaceChildren would print as the text "null".
export const present = (children) => children.flat().filter((child) => child !== null && child !== undefined && child !== false);

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    // Properties, not a style attribute: the Content-Security-Policy refuses inline style attributes.
    else if (name === "style") for (const [property, setting] of Object.entries(value)) element.style.setProperty(property, setting);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  element.append(...present(children));
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);

let toastTimer;
export function toast(message, { error = false } = {}) {
  const box = $("#toast");
  box.textContent = message;
  box.classList.toggle("error", error);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), error ? 6000 : 2500);
}

// Show what went wrong without losing the page.
export function reportError(error) {
  console.error(error);
  toast(error.message || String(error), { error: true });
}

const units = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function timeAgo(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function initial(user) {
  return (user?.display_name || user?.username || "?").trim().charAt(0).toUpperCase();
}

export const STATUS_LABELS = {
  pending: "Pending",
  changes_requested: "Changes requested",
  approved: "Approved",
  no_version: "No version",
};

export const STATE_LABELS = {
  queued: "Queued",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
};

export function statusPill(status) {
  return h("span", { class: `pill status-${status}` }, STATUS_LABELS[status] ?? status);
}
