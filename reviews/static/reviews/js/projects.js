// /review/: the projects the person is on, each with a glimpse of its shots.

import { getAll } from "./api.js";
import { $, h, reportError } from "./dom.js";

const ROLE_LABELS = { director: "Director", mentor: "Mentor", reviewer: "Reviewer", viewer: "Viewer" };

function projectCard(project, shots) {
  const posters = shots
    .map((shot) => shot.latest_version?.poster_url)
    .filter(Boolean)
    .slice(0, 4);
  const open = shots.filter((shot) => shot.status === "changes_requested").length;
  const approved = shots.filter((shot) => shot.status === "approved").length;
  return h(
    "li",
    { class: "project-card" },
    h(
      "a",
      { href: `/review/projects/${project.id}/`, class: "project-link" },
      h(
        "div",
        { class: `project-cover count-${posters.length}` },
        posters.length
          ? posters.map((url) => h("img", { src: url, alt: "", loading: "lazy" }))
          : h("span", { class: "cover-empty" }, "No clips yet"),
      ),
      h(
        "div",
        { class: "project-body" },
        h("h2", {}, project.name),
        project.description ? h("p", { class: "muted clamp" }, project.description) : null,
        h(
          "p",
          { class: "project-meta" },
          h("span", { class: "role-badge" }, ROLE_LABELS[project.my_role] ?? "Staff"),
          h("span", {}, `${shots.length} shot${shots.length === 1 ? "" : "s"}`),
          approved ? h("span", { class: "status-approved-text" }, `${approved} approved`) : null,
          open ? h("span", { class: "status-changes_requested-text" }, `${open} to change`) : null,
          h("span", { class: "muted" }, `${project.fps} fps`),
        ),
      ),
    ),
  );
}

async function main() {
  const list = $("#projects");
  const projects = await getAll("projects/");
  const shots = await Promise.all(projects.map((project) => getAll(`projects/${project.id}/shots/`)));
  list.replaceChildren(...projects.map((project, index) => projectCard(project, shots[index])));
  list.removeAttribute("aria-busy");
  $("#projects-empty").hidden = projects.length > 0;
}

main().catch(reportError);
