// /review/: the projects the person is on, each with a glimpse of its shots, and a form to
// start a new one (its creator directs it).

import { getAll, post } from "./api.js";
import { $, h, reportError } from "./dom.js";
import { shotStatus } from "./shotcard.js";

const ROLE_LABELS = { director: "Director", mentor: "Mentor", reviewer: "Reviewer", viewer: "Viewer" };

function projectCard(project, shots) {
  const posters = shots
    .map((shot) => shot.landing_version?.poster_url)
    .filter(Boolean)
    .slice(0, 4);
  // A shot's status is its landing version's, so notes on an older take are not hidden by a re-upload.
  const open = shots.filter((shot) => shotStatus(shot) === "changes_requested").length;
  const approved = shots.filter((shot) => shotStatus(shot) === "approved").length;
  const unread = shots.filter((shot) => shot.versions.some((version) => version.unread)).length;
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
          unread ? h("span", { class: "unread-label" }, `${unread} with new notes`) : null,
          h("span", { class: "muted" }, `${project.fps} fps`),
        ),
      ),
    ),
  );
}

function newProjectForm() {
  const name = h("input", { type: "text", id: "new-project-name", name: "name", required: true, maxlength: "200", autocomplete: "off" });
  const fps = h("input", { type: "text", id: "new-project-fps", name: "fps", value: "24", inputmode: "decimal", size: "6" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "inline-form", id: "new-project", "aria-label": "New project" },
    h("div", { class: "field" }, h("label", { for: name.id }, "Project name"), name),
    h("div", { class: "field" }, h("label", { for: fps.id }, "Frame rate"), fps),
    h("button", { type: "submit", class: "button primary" }, "Create project"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const project = await post("projects/", { name: name.value.trim(), fps: fps.value.trim() || 24 });
      window.location.assign(`/review/projects/${project.id}/`);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  return form;
}

async function main() {
  $("#project-tools").replaceChildren(newProjectForm());
  const list = $("#projects");
  const projects = await getAll("projects/");
  const shots = await Promise.all(projects.map((project) => getAll(`projects/${project.id}/shots/`)));
  list.replaceChildren(...projects.map((project, index) => projectCard(project, shots[index])));
  list.removeAttribute("aria-busy");
  $("#projects-empty").hidden = projects.length > 0;
}

main().catch(reportError);
