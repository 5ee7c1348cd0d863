// The public API, as a browser client of it: session cookie, CSRF header on writes,
// JSON errors turned into one sentence a person can act on.

// A page may say where its API and pages live: a review link's guest pages use /api/v1/guest and
// /guest, with the same paths below them (reviews/views/guests.py).
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content;
export const API = meta("api-base") ?? "/api/v1";
export const PAGES = meta("page-base") ?? "/review";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }
}

// {"detail": "..."} or {"field": ["..."]} become "..." or "field: ...".
function describe(status, body) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    const parts = Object.entries(body).map(([field, errors]) => {
      const text = Array.isArray(errors) ? errors.join(" ") : String(errors);
      return field === "non_field_errors" || field === "detail" ? text : `${field}: ${text}`;
    });
    if (parts.length) return parts.join(" ");
  }
  if (status === 0) return "The server cannot be reached; check your connection and try again.";
  return `The server answered ${status}; try again.`;
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.status === 401 || response.status === 403) {
    // A session that expired: sign in again and come back here.
    const data = await response.json().catch(() => null);
    if (response.status === 401 || /credentials were not provided/i.test(data?.detail ?? "")) {
      window.location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
    }
    throw new ApiError(response.status, data);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

// Every list is paged; the pages want the whole list.
export async function getAll(path) {
  const separator = path.includes("?") ? "&" : "?";
  let page = await get(`${path}${separator}page_size=200`);
  const items = [...page.results];
  while (page.next) {
    page = await get(new URL(page.next).pathname + new URL(page.next).search);
    items.push(...page.results);
  }
  return items;
}

// A multipart upload with progress, which fetch cannot report: XMLHttpRequest, with the same
// session cookie, CSRF header and error sentences as request().
export function upload(path, form, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/${path}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.withCredentials = true;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // A proxy's HTML error page: describe() falls back to the status.
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, null)));
    xhr.send(form);
  });
}
