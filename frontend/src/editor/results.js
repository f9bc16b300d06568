// What a Run returned: the response the sender would get, events, objects, console logs,
// fetch calls, error and duration.
import { $, h } from "../lib/dom.js";
import { fetchLine } from "../lib/fetches.js";
import { responseLines } from "../lib/sender-response.js";

// Where the runner says the error happened: {line, column} in the user's code.
export function errorLocation(error, lineCount) {
  let line = Number(error.line || (error.location && error.location.line));
  let column = Number(error.column || (error.location && error.location.column) || 1);
  if (!line && error.stack) {
    const match = String(error.stack).match(/(?:function\.js|<anonymous>|<input>|onRequest)[^\n]*?:(\d+):(\d+)/) || String(error.stack).match(/:(\d+):(\d+)/);
    if (match) [line, column] = [Number(match[1]), Number(match[2])];
  }
  if (!line || line < 1 || line > lineCount) return null;
  return { line, column: Math.max(1, column || 1) };
}

const pretty = (value) => JSON.stringify(value, null, 2);

// The runner's hint, and for a timeout where the limit is changed (Run uses the draft's).
const TIMEOUT_HINT = "Each function has its own time limit, up to 10 s: an owner sets it in Configure.";
const hintFor = (error) => [error.hint, error.name === "TimeoutError" ? TIMEOUT_HINT : null].filter(Boolean).join(" ") || null;

function section(root, id, items, render) {
  const box = $(`#${id}`, root);
  $(".count", box).textContent = `(${items.length})`;
  $(".items", box).replaceChildren(...(items.length ? items.map(render) : [h("p", { class: "muted" }, "None.")]));
  return box;
}

// What the sender of the webhook would hear: the function's response when it responds
// to the sender (Configure), else the usual answer, given before the function runs.
function senderAnswer(result, responds) {
  const response = result.response;
  if (!responds) {
    const note = response
      ? "This function does not respond to the sender, so its response is not sent: the sender gets 200 {\"id\": …} before the function runs. Turn on “Responds to the sender” in Configure to send it."
      : "The sender gets 200 {\"id\": …} as soon as the webhook is stored, before the function runs.";
    return [h("p", { class: "muted" }, note), ...(response ? responseLines(response) : [])];
  }
  if (result.error) return [h("p", {}, h("strong", {}, "500"), " {\"error\": \"The function could not answer this request.\"} (the error's text is never sent)")];
  if (response) return responseLines(response);
  const warning = notAResponse(result.logs || []);
  if (warning) return [h("p", {}, h("strong", {}, "200"), " {\"id\": …} — what the function returned is not a response, so the sender gets the usual answer."), h("p", { class: "response-warning" }, warning.message)];
  return [h("p", {}, h("strong", {}, "200"), " {\"id\": …} — the function returned nothing, so the sender gets the usual answer.")];
}

// The runner's warning for a value returned that is not a response (runner/js/src/respond.js
// words it so): the sender gets the usual answer, and the author must see why.
function notAResponse(logs) {
  return logs.find((log) => log.level === "warn" && log.message.startsWith("onRequest returned "));
}

// errorActions(error): controls to show under the error (the editor's interface switch).
export function renderResult(root, result, failure, jump, { responds = false, errorActions = () => null } = {}) {
  root.hidden = false;
  const errorBox = $("#result-error", root);
  const answer = $("#result-response", root);
  if (failure) {
    $("#duration", root).textContent = "";
    errorBox.replaceChildren(h("div", { class: "run-error", role: "alert" }, h("strong", {}, "The run could not be made: "), failure.message,
      ...Object.entries(failure.errors || {}).map(([k, v]) => h("div", {}, `${k}: ${v.join(" ")}`))));
    $(".items", answer).replaceChildren();
    for (const id of ["result-events", "result-objects", "result-logs", "result-fetches"]) section(root, id, [], () => null);
    return;
  }
  $(".items", answer).replaceChildren(...senderAnswer(result, responds));
  $("#duration", root).textContent = `${Number(result.duration_ms || 0).toFixed(1)} ms`;
  const error = result.error;
  if (error) {
    const where = errorLocation(error, Number.MAX_SAFE_INTEGER);
    const label = `${error.name}: ${error.message}`;
    errorBox.replaceChildren(h("div", { class: "run-error", role: "alert" },
      where
        ? h("button", { type: "button", class: "link error-link", title: "Show this line in the editor", onclick: () => jump(where) }, `${label} (line ${where.line}, column ${where.column})`)
        : h("strong", {}, label),
      hintFor(error) ? h("p", { class: "error-hint", "data-testid": "error-hint" }, hintFor(error)) : null,
      errorActions(error),
      error.stack ? h("details", {}, h("summary", {}, "Stack"), h("pre", {}, error.stack)) : null,
      h("p", { class: "muted" }, "Nothing is sent when the function throws.")));
  } else {
    errorBox.replaceChildren(h("p", { class: "ok-line" }, "✓ The function returned."));
  }
  section(root, "result-events", result.events || [], (event) => h("div", { class: "event" },
    h("div", {}, h("span", { class: `type type-${event.type}` }, event.type), " ", h("strong", {}, event.event || event.name || event.userId || "")),
    h("pre", {}, pretty(event))));
  section(root, "result-objects", result.objects || [], (object) => h("div", { class: "event" },
    h("div", {}, h("span", { class: "type" }, "set"), " ", h("strong", {}, `${object.collection} / ${object.id}`)),
    h("pre", {}, pretty(object.properties))));
  section(root, "result-logs", result.logs || [], (log) => h("pre", { class: `log log-${log.level}` }, `[${log.level}] ${log.message}`));
  section(root, "result-fetches", result.fetches || [], (fetch) => h("pre", { class: "fetch" }, fetchLine(fetch)));
  $("#result-logs", root).open = (result.logs || []).length > 0;
  $("#result-objects", root).open = (result.objects || []).length > 0;
  root.scrollIntoView({ block: "start", behavior: "smooth" });
}
