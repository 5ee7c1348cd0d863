// What surrounds the player: breadcrumbs, the version switcher, the review status
// control and the facts about this version (who made it, how, and its media).

import { get, PAGES, patch } from "./api.js";
import { $, h, present, reportError, STATE_LABELS, STATUS_LABELS, timeAgo } from "./dom.js";
import { rateLabel } from "./timecode.js";

export function renderCrumbs(project, shot, version) {
  const projectCrumb = $("#crumb-project");
  projectCrumb.textContent = project.name;
  // Whole in their titles: a full bar cuts them (the shot's code comes first, so it shows).
  projectCrumb.title = project.name;
  const shotCrumb = $("#crumb-shot");
  shotCrumb.replaceChildren(
    ...present([h("span", { class: "shot-code" }, shot.code), shot.title ? h("span", { class: "muted" }, ` ${shot.title}`) : null]),
  );
  shotCrumb.title = shot.title ? `${shot.code} ${shot.title}` : shot.code;
  document.title = `${shot.code} v${version.number} · ${project.name} · reviewsvc`;
}

export function renderVersionSelect(versions, current, onSwitch) {
  const select = $("#version-select");
  select.replaceChildren(
    ...versions.map((version) =>
      h(
        "option",
        { value: version.id, selected: version.id === current.id },
        `v${version.number}${version.decision === "selected" ? " ★" : ""} · ${version.processing.state === "ready" ? STATUS_LABELS[version.review_status] : STATE_LABELS[version.processing.state]}`,
      ),
    ),
  );
  select.onchange = () => {
    select.blur();
    onSwitch(Number(select.value));
  };
}

// A newer take of the shot hides nothing: say so above the picture, with the way there.
export function renderNewerVersion(versions, current, onOpen) {
  const banner = $("#newer-version");
  const newest = versions
    .filter((version) => version.number > current.number && version.processing.state !== "failed")
    .reduce((best, version) => (best === null || version.number > best.number ? version : best), null);
  banner.hidden = newest === null;
  if (!newest) return banner.replaceChildren();
  const ready = newest.processing.state === "ready";
  banner.replaceChildren(
    h("span", {}, `A newer version exists: v${newest.number}${ready ? "" : " (still processing)"}. `),
    h(
      "a",
      {
        href: `${PAGES}/versions/${newest.id}/`,
        class: "newer-version-link",
        onclick: (event) => {
          event.preventDefault();
          onOpen(newest.id);
        },
      },
      `Open v${newest.number} →`,
    ),
  );
}

// The three statuses as a segmented control for those who may set them, a label for everyone else.
export function renderStatusControl(version, onChange) {
  const box = $("#status-control");
  if (!version.my_actions.includes("set_review_status")) {
    box.replaceChildren(h("span", { class: `pill status-${version.review_status}` }, STATUS_LABELS[version.review_status]));
    return;
  }
  box.classList.add("editable");
  box.replaceChildren(
    ...["pending", "changes_requested", "approved"].map((status) =>
      h(
        "button",
        {
          type: "button",
          class: `segment status-${status}${version.review_status === status ? " active" : ""}`,
          "aria-pressed": String(version.review_status === status),
          dataset: { status },
          onclick: async () => {
            try {
              const updated = await patch(`versions/${version.id}/`, { review_status: status });
              onChange(updated);
            } catch (error) {
              reportError(error);
            }
          },
        },
        STATUS_LABELS[status],
      ),
    ),
  );
}

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit ? 1 : 0)} ${units[unit]}`;
}

// A file's tag may hold bidirectional controls that would reverse how the rest of its line reads.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const shown = (text) => String(text).replace(BIDI_CONTROLS, "");

// What the file says of its making (docs/provenance.md), in a person's words; null when nothing.
function provenanceLines(provenance) {
  if (!provenance || typeof provenance !== "object") return [];
  const lines = [];
  const c2pa = provenance.c2pa ?? {};
  const C2PA_STATES = {
    valid: "valid",
    untrusted: "signed, by a signer not on the trust list",
    invalid: "invalid: the file was changed after signing, or the manifest is broken",
    unread: "could not be read",
  };
  if (C2PA_STATES[c2pa.state]) {
    const signer = c2pa.signer?.common_name || c2pa.signer?.issuer;
    const by = [signer ? `signed by ${signer}` : null, c2pa.claim_generator ? `made with ${c2pa.claim_generator}` : null];
    lines.push(["Content credentials", [C2PA_STATES[c2pa.state], ...by].filter(Boolean).join(" · ")]);
  }
  if (provenance.ai_generated !== null && provenance.ai_generated !== undefined) {
    const sources = [c2pa.ai_generated ? "C2PA" : null, provenance.aigc ? `AIGC label ${provenance.aigc.label}` : null].filter(Boolean);
    lines.push(["AI-generated", `${provenance.ai_generated ? "yes" : "no"}${sources.length ? ` (${sources.join(", ")})` : ""}`]);
  }
  const comfyui = provenance.comfyui;
  if (comfyui) {
    const sampler = [comfyui.sampler_name, comfyui.scheduler, comfyui.steps ? `${comfyui.steps} steps` : null, comfyui.cfg ? `CFG ${comfyui.cfg}` : null];
    lines.push(["ComfyUI", [...sampler, ...(comfyui.loras ?? []).map((lora) => `LoRA ${lora}`)].filter(Boolean).join(" · ") || "graph found"]);
    if (comfyui.negative_prompt) lines.push(["Negative prompt", comfyui.negative_prompt]);
  }
  if (provenance.filename?.tool) lines.push(["Guessed from the name", provenance.filename.tool]);
  return lines;
}

export function renderVersionInfo(version, rate) {
  const media = version.media;
  const generation = version.generation ?? {};
  // What the director recorded, else what the file says (take_settings.read_from_file).
  const settings = version.take_settings ?? { read_from_file: [] };
  const fromFile = Object.fromEntries(settings.read_from_file.map((key) => [key, settings[key]]));
  const { model, prompt, seed, ...extra } = { ...fromFile, ...generation };
  const fileMark = (key) => (key in fromFile && !(key in generation) ? h("span", { class: "muted small from-file" }, " (from the file)") : null);
  const provenance = provenanceLines(version.provenance);
  // The panel is redrawn on every update of the version: an open "What the file says" stays open.
  const provenanceOpen = $("#provenance")?.open ?? false;
  const extras = Object.entries(extra);
  const facts = [
    media ? `${media.width}×${media.height}` : null,
    media ? `${rateLabel(rate)} fps` : null,
    media ? `${media.duration.toFixed(2)} s · ${media.frame_count} frames` : null,
    media ? media.video_codec.toUpperCase() : null,
    media ? (media.has_audio ? "audio" : "no audio") : null,
    formatBytes(version.size_bytes),
  ].filter(Boolean);
  $("#version-info").replaceChildren(
    ...present([
      h(
        "div",
        { class: "info-line" },
        h("strong", {}, `Version ${version.number}`),
        h("span", { class: "muted" }, ` uploaded by ${version.uploaded_by?.display_name ?? "a former member"} ${timeAgo(version.created_at)}`),
        h("span", { class: "muted small filename", title: version.original_filename }, version.original_filename),
        downloadOriginalButton(version),
      ),
      version.note ? h("p", { class: "info-note" }, version.note) : null,
      extras.length || [model, prompt, seed].some((value) => value !== undefined)
        ? h(
            "dl",
            { class: "generation" },
            model !== undefined ? [h("dt", {}, "Model"), h("dd", {}, jsonNode(model), fileMark("model"))] : null,
            seed !== undefined ? [h("dt", {}, "Seed"), h("dd", {}, jsonNode(seed), fileMark("seed"))] : null,
            prompt !== undefined ? [h("dt", {}, "Prompt"), h("dd", { class: "prompt" }, jsonNode(prompt), fileMark("prompt"))] : null,
            // One flat run of terms and definitions: h() flattens a single level of nesting.
            extras.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, jsonNode(value))]),
          )
        : null,
      provenance.length
        ? h(
            "details",
            { class: "provenance", id: "provenance", open: provenanceOpen },
            h("summary", {}, "What the file says"),
            h("dl", { class: "generation" }, provenance.flatMap(([term, text]) => [h("dt", {}, term), h("dd", {}, shown(text))])),
            h("p", { class: "muted small" }, "The player shows a re-encoded proxy: it carries no credentials."),
          )
        : null,
      h("p", { class: "facts muted small" }, facts.join(" · ")),
    ]),
  );
}

// The file as it was uploaded, for those the server lets download it (members; guests when their
// link allows it). The signed link is asked for at the click, so it is always fresh; it answers
// with an attachment, so the page stays where it is.
function downloadOriginalButton(version) {
  if (!version.my_actions.includes("download_original")) return null;
  return h(
    "button",
    {
      type: "button",
      class: "button small download-original",
      id: "download-original",
      title: `The file as uploaded (${formatBytes(version.size_bytes)})`,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          const { url } = await get(`versions/${version.id}/original/`);
          const link = h("a", { href: url, download: "", hidden: true });
          document.body.append(link);
          link.click();
          link.remove();
        } catch (error) {
          reportError(error);
        } finally {
          button.disabled = false;
        }
      },
    },
    "Download original",
  );
}

// Whatever JSON a generation tool wrote, as text a person reads: never markup, never
// "[object …]". Objects become nested term lists, lists of plain values a comma list.
function jsonNode(value) {
  if (value === null) return h("span", { class: "muted" }, "none");
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== "object")) return value.map(String).join(", ");
    return h("ol", { class: "json-list" }, ...value.map((item) => h("li", {}, jsonNode(item))));
  }
  if (typeof value === "object") {
    return h("dl", { class: "json-object" }, Object.entries(value).flatMap(([key, item]) => [h("dt", {}, key), h("dd", {}, jsonNode(item))]));
  }
  return String(value);
}

// The panel over the empty player while the worker makes the proxy.
export function renderProcessing(version) {
  const panel = $("#processing");
  const { state, progress, error, queue_position: ahead } = version.processing;
  panel.hidden = state === "ready";
  panel.classList.toggle("failed", state === "failed");
  $("#processing-state").textContent =
    state === "failed"
      ? "This clip could not be processed"
      : typeof ahead === "number"
        ? `Waiting for a worker (${ahead} ahead)`
        : state === "queued"
          ? "Waiting for a worker…"
          : `Processing · ${progress}%`;
  $("#processing-meter").style.width = `${state === "failed" ? 100 : progress}%`;
  $("#processing-detail").textContent =
    state === "failed" ? error ?? "" : "The player opens by itself when the proxy is ready; comments can be read meanwhile.";
}
