// /guest/: the versions a review link shows, each opening the review page as a guest.

import { get } from "./api.js";
import { $, h, reportError, STATE_LABELS, STATUS_LABELS } from "./dom.js";

function item(version) {
  const ready = version.processing_state === "ready";
  return h(
    "li",
    { class: "playlist-item" },
    h(
      "a",
      { href: `/guest/versions/${version.id}/`, class: "playlist-link", dataset: { versionId: version.id } },
      h(
        "div",
        { class: "playlist-poster" },
        version.poster_url ? h("img", { src: version.poster_url, alt: "", loading: "lazy" }) : h("span", { class: "cover-empty" }, STATE_LABELS[version.processing_state]),
      ),
      h(
        "div",
        { class: "playlist-body" },
        h("h2", {}, h("span", { class: "shot-code" }, version.shot.code), ` v${version.number}`),
        version.shot.title ? h("p", { class: "muted" }, version.shot.title) : null,
        h("p", { class: "small muted" }, ready ? STATUS_LABELS[version.review_status] : STATE_LABELS[version.processing_state]),
      ),
    ),
  );
}

async function main() {
  const link = await get("");
  const list = $("#playlist-items");
  list.replaceChildren(...link.versions.map(item));
  $("#playlist-empty").hidden = link.versions.length > 0;
  $("#playlist").setAttribute("aria-busy", "false");
}

main().catch(reportError);
