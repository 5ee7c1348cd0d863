// The bell in the top bar: how many notifications are unread, kept fresh while the page is open.

import { get } from "./api.js";
import { $ } from "./dom.js";

const REFRESH_MS = 60_000;
// Notifications are written by the worker just after the event the page's live stream shows:
// the bell asks this long after the last of a burst of live events.
const AFTER_ACTIVITY_MS = 2_000;

export function showUnread(count) {
  const badge = $("#bell-count");
  const bell = $("#bell");
  if (!badge || !bell) return;
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.hidden = count === 0;
  bell.classList.toggle("has-unread", count > 0);
  bell.setAttribute("aria-label", count ? `Inbox, ${count} unread` : "Inbox");
}

export async function refreshBell() {
  try {
    const { unread } = await get("notifications/unread-count/");
    showUnread(unread);
  } catch {
    // The bell is a hint: a failed refresh leaves the last count rather than interrupting the page.
  }
}

refreshBell();
setInterval(() => document.visibilityState === "visible" && refreshBell(), REFRESH_MS);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refreshBell());
document.addEventListener("notifications:changed", refreshBell);
let activityTimer = null;
document.addEventListener("live:activity", () => {
  clearTimeout(activityTimer);
  activityTimer = setTimeout(refreshBell, AFTER_ACTIVITY_MS);
});
