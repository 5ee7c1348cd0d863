// The ways into the compare page: its address, and "Compare with…" on the version page.

import { h } from "./dom.js";

// ?a=&b=&frame= (a frame of the leading side), &lead=b, &mode=wipe|ab, &wipe=0..100 when not the
// defaults; &shown=a|b in A/B when the side shown is not the one the frames were chosen on.
export function compareUrl({ a, b, frame = 0, lead = "a", mode = "side", wipe = 50, shown = lead }) {
  const url = new URL("/review/compare/", window.location.origin);
  url.searchParams.set("a", String(a));
  url.searchParams.set("b", String(b));
  url.searchParams.set("frame", String(frame));
  if (lead === "b") url.searchParams.set("lead", "b");
  if (mode !== "side") url.searchParams.set("mode", mode);
  if (mode === "wipe" && wipe !== 50) url.searchParams.set("wipe", String(wipe));
  if (mode === "ab" && shown !== lead) url.searchParams.set("shown", shown);
  return url.toString();
}

// A menu of the shot's other versions; choosing one opens both, this one as A, at this frame.
export function renderCompareWith(select, versions, current, frame) {
  const others = versions.filter((version) => version.id !== current.id && version.processing.state !== "failed");
  select.closest("label").hidden = others.length === 0;
  select.replaceChildren(
    h("option", { value: "", selected: true, disabled: true }, "Compare with…"),
    ...others.map((version) => h("option", { value: version.id }, `v${version.number}`)),
  );
  select.onchange = () => {
    const other = Number(select.value);
    select.blur();
    if (other) window.location.assign(compareUrl({ a: current.id, b: other, frame: frame() }));
  };
}
