// Issue 14's takes on the version page: the takes menu (each take's poster, number, decision,
// review status, model and seed) and the director's decision (select / reject), both with keyboard
// and touch. Rules come from my_actions ("decide", "recommend"); see docs/takes.md.

import { del, post } from "./api.js";
import { $, h, reportError, STATE_LABELS, STATUS_LABELS } from "./dom.js";

export const DECISION_LABELS = { candidate: "Candidate", selected: "Selected take", rejected: "Rejected" };

// The director's generation settings, else what the file says (take_settings: the server decides).
// The model and the seed on lines of their own: a long model name is cut (whole in its title),
// never the seed, which is what a director looks for to generate again.
function generationLines(version) {
  const settings = version.take_settings ?? {};
  const hasSeed = settings.seed !== null && settings.seed !== undefined;
  if (!settings.model && !hasSeed) return [h("span", { class: "take-line muted small" }, "no generation details")];
  return [
    settings.model ? h("span", { class: "take-line muted small take-generation", title: settings.model }, settings.model) : null,
    hasSeed ? h("span", { class: "take-line muted small take-generation take-seed" }, `seed ${settings.seed}`) : null,
  ];
}

const failed = (version) => version.processing?.state === "failed";

function decisionPill(decision) {
  return h("span", { class: `pill decision decision-${decision}` }, DECISION_LABELS[decision] ?? decision);
}

async function decide(version, decision) {
  return post(`versions/${version.id}/decision/`, { decision });
}

// The menu of the shot's takes, opened from the "Takes" button beside the version switcher.
export class TakeMenu {
  // onOpen(id) opens another take; onDecided(version) is told of a decision made from the menu.
  constructor({ onOpen, onDecided }) {
    this.button = $("#takes-button");
    this.panel = $("#takes-menu");
    this.onOpen = onOpen;
    this.onDecided = onDecided;
    this.button.addEventListener("click", () => (this.panel.hidden ? this.openMenu() : this.close()));
    this.panel.addEventListener("keydown", (event) => this.key(event));
    // Escape closes the menu wherever the focus is (a decision redraws the button that had it).
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.panel.hidden && !this.panel.contains(event.target)) {
        event.preventDefault();
        this.close();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      if (!this.panel.hidden && !this.panel.contains(event.target) && !this.button.contains(event.target)) this.close();
    });
  }

  openMenu() {
    // Fixed under its button, wherever the bar has put the button (it wraps on a phone).
    const button = this.button.getBoundingClientRect();
    this.panel.style.setProperty("--takes-top", `${Math.round(button.bottom + 8)}px`);
    this.panel.style.setProperty("--takes-left", `${Math.round(Math.max(12, Math.min(button.left, window.innerWidth - 452)))}px`);
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    (this.panel.querySelector(".take-item[aria-current='true'] .take-open") ?? this.panel.querySelector(".take-open"))?.focus();
  }

  close({ focus = true } = {}) {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (focus) this.button.focus();
  }

  // Up and down move between takes, Escape closes; Tab walks every button as usual.
  key(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    event.stopPropagation();
    const links = [...this.panel.querySelectorAll(".take-open")];
    const at = links.indexOf(document.activeElement?.closest(".take-item")?.querySelector(".take-open"));
    const next = links[(at + (event.key === "ArrowDown" ? 1 : -1) + links.length) % links.length];
    next?.focus();
  }

  render(versions, current) {
    this.numberOf = (id) => versions.find((version) => version.id === id)?.number;
    // Short: the bar also holds the version and compare menus (the version menu stars the chosen take).
    this.button.textContent = "Takes";
    const active = document.activeElement && this.panel.contains(document.activeElement) ? document.activeElement : null;
    const focused = active?.dataset.focusKey;
    const focusedItem = active?.closest(".take-item")?.dataset.versionId;
    this.panel.replaceChildren(
      h("h2", { class: "takes-title" }, "Takes of this shot"),
      h("ul", { class: "take-list" }, ...[...versions].reverse().map((version) => this.item(version, current))),
    );
    // Keep the focus where it was, or on its take when the button it was on is gone.
    if (active) {
      const again = this.panel.querySelector(`[data-focus-key="${focused}"]`) ?? this.panel.querySelector(`.take-item[data-version-id="${focusedItem}"] .take-open`);
      again?.focus();
    }
  }

  item(version, current) {
    const ready = version.processing.state === "ready";
    const canDecide = version.my_actions.includes("decide");
    const parent = version.parent_version ? this.numberOf?.(version.parent_version) : null;
    return h(
      "li",
      { class: `take-item decision-${version.decision}`, "aria-current": version.id === current.id ? "true" : null, dataset: { versionId: version.id } },
      h(
        "a",
        {
          class: "take-open",
          href: `/review/versions/${version.id}/`,
          dataset: { focusKey: `open-${version.id}` },
          onclick: (event) => {
            event.preventDefault();
            this.close({ focus: false });
            this.onOpen(version.id);
          },
        },
        ready && version.poster_url
          ? h("img", { class: "take-poster", src: version.poster_url, alt: "", loading: "lazy" })
          : h("span", { class: "take-poster take-poster-empty" }, STATE_LABELS[version.processing.state]),
        h(
          "span",
          { class: "take-facts" },
          h("span", { class: "take-line" }, h("strong", {}, `v${version.number}`), decisionPill(version.decision)),
          h("span", { class: "take-line muted small" }, ready ? STATUS_LABELS[version.review_status] : STATE_LABELS[version.processing.state]),
          ...generationLines(version),
          parent ? h("span", { class: "take-line muted small" }, `regenerated from v${parent}`) : null,
          version.recommended_by?.length
            ? h("span", { class: "take-line small take-recommended" }, `recommended by ${version.recommended_by.map((user) => user.display_name).join(", ")}`)
            : null,
        ),
      ),
      canDecide ? this.decisionButtons(version) : null,
    );
  }

  decisionButtons(version) {
    const choices = [
      ["selected", "Select", `Select v${version.number} as the shot's take`],
      ["rejected", "Reject", `Reject v${version.number}`],
      ["candidate", "Undecide", `Make v${version.number} a candidate again`],
    ]
      // A take whose processing failed cannot be watched, so it is not offered as the choice.
      .filter(([decision]) => decision !== version.decision && !(decision === "selected" && failed(version)));
    return h(
      "span",
      { class: "take-actions", role: "group", "aria-label": `Decide on v${version.number}` },
      ...choices.map(([decision, text, title]) =>
        h(
          "button",
          {
            type: "button",
            class: `button small take-decide decide-${decision}`,
            title,
            "aria-label": title,
            dataset: { decision, focusKey: `decide-${version.id}-${decision}` },
            onclick: async () => {
              try {
                this.onDecided(await decide(version, decision));
              } catch (error) {
                reportError(error);
              }
            },
          },
          text,
        ),
      ),
    );
  }
}

// The current take's decision beside the review status: buttons for a director, a label for others,
// and a recommend toggle for those who may recommend but not decide.
export function renderDecisionControl(version, onChange) {
  const box = $("#take-control");
  // A guest's page shows no decision: the takes and their judgement are the studio's.
  if (!box) return;
  const me = $("#review").dataset.userId;
  const children = [];
  if (version.my_actions.includes("decide")) {
    box.classList.add("editable");
    for (const [decision, text] of [
      ["selected", "Select take"],
      ["rejected", "Reject"],
    ]) {
      const active = version.decision === decision;
      if (decision === "selected" && failed(version) && !active) continue;
      children.push(
        h(
          "button",
          {
            type: "button",
            class: `segment decision-${decision}${active ? " active" : ""}`,
            "aria-pressed": String(active),
            title: active ? "Click again to make it a candidate" : text,
            dataset: { decision },
            onclick: async () => {
              try {
                onChange(await decide(version, active ? "candidate" : decision));
              } catch (error) {
                reportError(error);
              }
            },
          },
          active && decision === "selected" ? "Selected take" : active ? "Rejected" : text,
        ),
      );
    }
  } else {
    box.classList.remove("editable");
    if (version.decision !== "candidate") children.push(decisionPill(version.decision));
    const mine = version.recommended_by.some((user) => String(user.id) === me);
    if (version.my_actions.includes("recommend") && (mine || !failed(version))) {
      children.push(
        h(
          "button",
          {
            type: "button",
            class: `button small recommend${mine ? " active" : ""}`,
            "aria-pressed": String(mine),
            onclick: async () => {
              try {
                const path = `versions/${version.id}/recommendation/`;
                onChange(await (mine ? del(path) : post(path)));
              } catch (error) {
                reportError(error);
              }
            },
          },
          mine ? "Recommended" : "Recommend",
        ),
      );
    }
  }
  box.replaceChildren(...children);
}
