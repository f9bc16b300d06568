// The response a function gives its webhook's sender ({status, headers, body}), shown as
// the sender reads it: the status with its reason, the headers, the body. The editor's
// Run and the source's live debugger show it alike.
import { h } from "./dom.js";

const REASONS = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
  302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone",
  422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
};
// What the product adds when the function names no Content-Type (docs/ingest.md).
const DEFAULT_TYPE = "text/plain; charset=utf-8";
const WITHOUT_BODY = new Set([204, 304]);

export function responseLines(response) {
  const entries = Object.entries(response.headers || {});
  const named = entries.some(([name]) => name.toLowerCase() === "content-type");
  const bodiless = WITHOUT_BODY.has(response.status);
  return [
    h("p", { class: "response-line" }, h("strong", { class: "response-status" }, String(response.status)),
      REASONS[response.status] ? ` ${REASONS[response.status]}` : null),
    entries.length
      ? h("pre", { class: "response-headers", "aria-label": "Headers" }, entries.map(([name, value]) => `${name}: ${value}`).join("\n"))
      : null,
    !named && !bodiless ? h("p", { class: "muted response-note" }, `No Content-Type of its own: the sender gets Content-Type: ${DEFAULT_TYPE}.`) : null,
    bodiless || response.body === ""
      ? h("p", { class: "muted response-body" }, bodiless ? "(no body: a " + response.status + " has none)" : "(empty body)")
      : h("pre", { class: "response-body", "aria-label": "Body" }, response.body),
  ].filter(Boolean);
}
