// The project page's search: which take said, or was told, what, and with which model and seed
// (GET /projects/{id}/search/, reviews/search.py). The words are kept in the address (?q=, and
// ?model= / ?seed=), so a search is a link that reopens it.

import { get, PAGES } from "./api.js";
import { $, h, reportError, statusPill } from "./dom.js";

const FIELDS = ["q", "model", "seed"];
const DECISIONS = { selected: ["chosen-take", "Selected take"], rejected: ["muted small", "Rejected"] };

// "… the «wide» «sky» opening …" (the server marks matches with « »): text and <mark>, never HTML.
function highlighted(snippet) {
  return snippet.split(/(«[^»]*»)/).filter(Boolean).map((part) =>
    part.startsWith("«") && part.endsWith("»") ? h("mark", {}, part.slice(1, -1)) : part,
  );
}

function hitItem(hit) {
  const facts = [
    hit.model ? `Model ${hit.model}` : null,
    hit.seed ? `seed ${hit.seed}` : null,
  ].filter(Boolean);
  return h(
    "li",
    { class: "search-hit", dataset: { version: hit.version } },
    h(
      "a",
      { href: `${PAGES}/versions/${hit.version}/`, class: "search-hit-link" },
      h("span", { class: "search-hit-title" }, `${hit.shot_code} · v${hit.number}`),
      DECISIONS[hit.decision] ? h("span", { class: DECISIONS[hit.decision][0] }, DECISIONS[hit.decision][1]) : null,
      statusPill(hit.review_status),
    ),
    facts.length ? h("p", { class: "search-hit-facts muted small" }, facts.join(" · ")) : null,
    hit.snippet ? h("p", { class: "search-hit-snippet" }, ...highlighted(hit.snippet)) : null,
  );
}

function readAddress(form) {
  const params = new URLSearchParams(window.location.search);
  for (const name of FIELDS) form.elements[name].value = params.get(name) ?? "";
  if (params.get("model") || params.get("seed")) form.querySelector("details").open = true;
  return Boolean(params.get("q"));
}

function writeAddress(values) {
  const url = new URL(window.location.href);
  for (const name of FIELDS) {
    if (values[name]) url.searchParams.set(name, values[name]);
    else url.searchParams.delete(name);
  }
  window.history.replaceState(null, "", url);
}

/** Wire the search form of the project page (#project-search) to the project's search endpoint. */
export function projectSearch(projectId) {
  const form = $("#project-search");
  const results = $("#search-results");
  const status = $("#search-status");
  let asked = 0;

  function clear() {
    asked += 1;
    results.replaceChildren();
    results.hidden = true;
    status.textContent = "";
    writeAddress({});
  }

  async function run() {
    const values = Object.fromEntries(FIELDS.map((name) => [name, form.elements[name].value.trim()]));
    if (!values.q) {
      clear();
      return;
    }
    writeAddress(values);
    const query = new URLSearchParams(Object.entries(values).filter(([, value]) => value));
    const mine = (asked += 1);
    status.textContent = "Searching…";
    results.setAttribute("aria-busy", "true");
    try {
      let page = await get(`projects/${projectId}/search/?${query}`);
      // A question typed as a sentence ("which seed made the wide sky shot?") rarely has every
      // word in one take: then the takes with some of them, best first.
      let some = false;
      if (!page.count && values.q.split(/\s+/).length > 1) {
        query.set("match", "any");
        page = await get(`projects/${projectId}/search/?${query}`);
        some = page.count > 0;
      }
      if (mine !== asked) return; // a newer search answered first, or it was cleared
      results.replaceChildren(...page.results.map(hitItem));
      results.hidden = page.results.length === 0;
      const more = page.count > page.results.length ? ` (the best ${page.results.length} shown)` : "";
      const takes = `${page.count} ${page.count === 1 ? "take" : "takes"}`;
      status.textContent = some
        ? `No take has all of these words; ${takes} ${page.count === 1 ? "has" : "have"} some of them, best first${more}.`
        : page.count
          ? `${takes} ${page.count === 1 ? "matches" : "match"}${more}.`
          : "No take matches. Try other words, or leave out the model or seed.";
    } catch (error) {
      if (mine === asked) status.textContent = "";
      reportError(error);
    } finally {
      if (mine === asked) results.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  form.addEventListener("reset", () => setTimeout(clear));
  form.elements.q.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && form.elements.q.value) {
      event.preventDefault();
      form.reset();
    }
  });
  // "/" goes to the search box from anywhere on the page but a field being typed in.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    form.elements.q.focus();
  });
  if (readAddress(form)) run().catch(reportError);
}
