// What the source page's debugger shows of an execution besides its console: the
// request it ran on (as the API gives it: credentials hidden), the version that ran, the
// events it emitted and their deliveries. The execution rows and the event list share it.
import { deliveryBadge } from "./deliveries.js";
import { h } from "./dom.js";

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// In one line a hidden value is only its dots; the query table says why it is hidden.
const HIDDEN = "••••";
const queryText = (query) => (query.length
  ? "?" + query.map(([name, value]) => `${name}=${value.startsWith(HIDDEN) ? HIDDEN : value}`).join("&") : "");

// A content type in words ("JSON", "form", "XML", "text"); one with no word as it came.
function contentTypeWords(contentType) {
  const type = (contentType || "").split(";")[0].trim().toLowerCase();
  if (/[/+]json$/.test(type)) return "JSON";
  if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") return "form";
  if (/[/+]xml$/.test(type)) return "XML";
  if (type === "text/plain") return "text";
  if (type === "text/html") return "HTML";
  return type;
}

// "POST ?shop=acme · 312 B JSON": what a row says of its request.
export function requestSummary(request) {
  if (!request) return "";
  const type = contentTypeWords(request.content_type);
  const body = request.size ? `${sizeText(request.size)}${type ? ` ${type}` : ""}` : "no body";
  return `${[request.method, queryText(request.query)].filter(Boolean).join(" ")} · ${body}`;
}

// The body pretty-printed when it is JSON (for reading only: the function got the bytes).
function bodyText(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function requestDetail(request) {
  if (!request) return h("p", { class: "muted" }, "The request is no longer kept (retention).");
  const headers = Object.entries(request.headers || {});
  return h("div", { class: "request-detail" },
    h("p", { class: "request-line" }, h("code", {}, `${request.method} ${request.path}${queryText(request.query)}`)),
    request.query.length
      ? h("table", { class: "list compact request-query" },
        h("caption", { class: "sr-only" }, "Query parameters"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Query parameter"), h("th", { scope: "col" }, "Value"))),
        h("tbody", {}, request.query.map(([name, value]) => h("tr", {}, h("td", {}, h("code", {}, name)), h("td", {}, value)))))
      : h("p", { class: "muted" }, "No query parameters."),
    h("p", { class: "detail-label" }, "Headers"),
    h("pre", { class: "request-headers", "aria-label": "Request headers" },
      headers.length ? headers.map(([name, value]) => `${name}: ${value}`).join("\n") : "(no headers)"),
    "body" in request ? [h("p", { class: "detail-label" }, "Body"),
      request.body === "" ? h("p", { class: "muted" }, "(empty body)") : h("pre", { class: "request-body", "aria-label": "Request body" }, bodyText(request.body))]
      : null);
}

export function eventsDetail(execution) {
  const events = execution.events || [];
  if (execution.status !== "succeeded") return h("p", { class: "muted" }, "None: a failed run sends nothing.");
  if (!events.length) return h("p", { class: "muted" }, "None.");
  const more = execution.event_count - events.length;
  return h("div", {},
    h("ul", { class: "event-list emitted" }, events.map((event) => h("li", { class: "event" },
      h("details", {}, h("summary", {}, h("span", { class: `type type-${event.type}` }, event.type), " ",
        h("strong", {}, eventName(event))),
      h("pre", {}, JSON.stringify(event.message, null, 2)))))),
    more > 0 ? h("p", { class: "muted" }, `and ${more} more (the Events list has them all).`) : null);
}

export function deliveriesDetail(execution) {
  const deliveries = Object.values(execution.deliveries || {});
  if (execution.status !== "succeeded") return null;
  if (!deliveries.length) return h("p", { class: "muted" }, "Not sent to any destination.");
  return h("ul", { class: "deliveries-detail" }, deliveries.map((delivery) =>
    h("li", {}, deliveryBadge(delivery), delivery.error ? h("span", { class: "error-text" }, ` ${delivery.error}`) : null)));
}

export const eventName = (event) => event.message.event || event.message.name || event.message.userId || event.message_id;
