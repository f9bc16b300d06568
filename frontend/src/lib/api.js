// The REST API from the browser: session cookie, CSRF header on writes, and the
// project's error shape {"detail": sentence, "errors": {field: [messages]}}.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `The server answered ${status}.`);
    this.status = status;
    this.errors = (body && body.errors) || {};
    this.body = body;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// keepalive: the request outlives the page (a discard sent as the page goes).
export async function api(method, path, body, { keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin", keepalive };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, { detail: "The server could not be reached. Check your connection and try again." });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: `The server answered ${response.status} with something that is not JSON.` };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Words for an error: its field messages when it has some, else its sentence.
export function errorWords(error) {
  const messages = Object.values(error.errors || {}).flat();
  return messages.length ? messages.join(" ") : error.message;
}

export const wsApi = (ws) => (path) => `/api/v1/workspaces/${ws}/${path}`;

export async function allPages(path) {
  const items = [];
  let url = path + (path.includes("?") ? "&" : "?") + "limit=100";
  for (;;) {
    const page = await api("GET", url);
    if (Array.isArray(page)) return page;
    items.push(...page.results);
    if (!page.next) return items;
    const next = new URL(page.next, location.origin);
    url = next.pathname + next.search;
  }
}
