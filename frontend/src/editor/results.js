// What a Run returned, in the result panel: the error (or that the function returned)
// above tabs for the events, objects, console logs, fetch calls, the response the sender
// would get and the timing, each tab with its count.
import { $, h } from "../lib/dom.js";
import { plural } from "../lib/words.js";
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

// One tab of the result: its count in the tab, its items (or "None.") in its panel.
function section(root, name, items, render, count = items.length) {
  $(`#tab-result-${name} .count`, root).textContent = String(count);
  $(`#result-${name} .items`, root).replaceChildren(...(items.length ? items.map(render) : [h("p", { class: "muted" }, "None.")]));
}

// A fetch record may stand for the calls refused over the cap: the tab counts calls.
const fetchCalls = (fetches) => fetches.reduce((sum, fetch) => sum + (fetch.refused ? Number(fetch.refused) : 1), 0);

// The status the sender gets: the function's response when it responds, else the usual 200.
function senderStatus(result, responds) {
  if (!responds) return 200;
  if (result.error) return 500;
  return result.response ? result.response.status : 200;
}

const ms = (value) => `${Number(value || 0).toFixed(1)} ms`;
// In a tab: short.
const shortMs = (value) => (Number(value || 0) >= 10 ? `${Math.round(Number(value))} ms` : ms(value));

// Where the time went: the function in the sandbox (against its time limit), each fetch
// call, and the whole Run as the page waited for it (queue and worker included).
function timingLines(result, { timeLimitMs, roundTripMs }) {
  const duration = Number(result.duration_ms || 0);
  const share = timeLimitMs ? Math.min(1, duration / timeLimitMs) : 0;
  const calls = (result.fetches || []).filter((fetch) => !fetch.refused);
  const fetchTotal = calls.reduce((sum, fetch) => sum + Number(fetch.duration_ms || 0), 0);
  const bar = (part, whole, label) => h("span", { class: "timing-bar", role: "img", "aria-label": label },
    h("span", { class: "timing-fill", style: `width: ${whole ? Math.max(1, Math.round((part / whole) * 100)) : 0}%` }));
  const rows = [
    h("tr", { "data-timing": "function" }, h("th", { scope: "row" }, "Function"), h("td", {}, ms(duration)),
      h("td", {}, timeLimitMs ? bar(duration, timeLimitMs, `${Math.round(share * 100)} % of the time limit`) : null,
        timeLimitMs ? h("span", { class: "muted small" }, ` ${Math.round(share * 1000) / 10} % of its ${timeLimitMs / 1000} s limit`) : null)),
    ...calls.map((fetch) => h("tr", { "data-timing": "fetch" }, h("th", { scope: "row", class: "timing-fetch", title: fetchLine(fetch) }, `${fetch.method || "GET"} ${fetch.url}`),
      h("td", {}, ms(fetch.duration_ms)), h("td", {}, bar(Number(fetch.duration_ms || 0), Math.max(duration, fetchTotal), "share of the function's time")))),
    roundTripMs ? h("tr", { "data-timing": "round-trip" }, h("th", { scope: "row" }, "Run, as the page waited"), h("td", {}, ms(roundTripMs)),
      h("td", { class: "muted small" }, "queue, worker and network included")) : null,
  ];
  return [h("table", { class: "timing" }, h("tbody", {}, ...rows.filter(Boolean))),
    calls.length ? h("p", { class: "muted small" }, `${plural(calls.length, "fetch call")}: ${ms(fetchTotal)} in all.`) : null].filter(Boolean);
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

// The runner's warning for a legacy function that returned its message as it is
// (runner/js/src/segment.js): Events (0) must say why.
function nothingEmitted(logs) {
  return logs.find((log) => log.level === "warn" && log.message.startsWith("processEvents() returned "));
}

// errorActions(error): controls to show under the error (the editor's interface switch).
// timeLimitMs, roundTripMs: for the Timing tab.
export function renderResult(root, result, failure, jump, { responds = false, errorActions = () => null, timeLimitMs = 0, roundTripMs = 0 } = {}) {
  root.hidden = false;
  const errorBox = $("#result-error", root);
  const answer = $("#result-response", root);
  $("#result-panels", root).scrollTop = 0;
  if (failure) {
    $("#duration", root).textContent = "";
    errorBox.replaceChildren(h("div", { class: "run-error", role: "alert" }, h("strong", {}, "The run could not be made: "), failure.message,
      ...Object.entries(failure.errors || {}).map(([k, v]) => h("div", {}, `${k}: ${v.join(" ")}`))));
    $(".items", answer).replaceChildren();
    for (const name of ["events", "objects", "logs", "fetches"]) section(root, name, [], () => null);
    $("#tab-result-response .count", root).textContent = "";
    $("#tab-result-timing .count", root).textContent = "";
    $("#result-timing .items", root).replaceChildren(h("p", { class: "muted" }, "No run was made."));
    return;
  }
  $(".items", answer).replaceChildren(...senderAnswer(result, responds));
  $("#tab-result-response .count", root).textContent = String(senderStatus(result, responds));
  $("#duration", root).textContent = ms(result.duration_ms);
  $("#tab-result-timing .count", root).textContent = shortMs(result.duration_ms);
  $("#result-timing .items", root).replaceChildren(...timingLines(result, { timeLimitMs, roundTripMs }));
  const error = result.error;
  if (error) {
    const where = errorLocation(error, Number.MAX_SAFE_INTEGER);
    const label = `${error.name}: ${error.message}`;
    // The place once: a message that names its line already (a stopped loop's) is not
    // followed by it again.
    const place = where && !error.message.includes(`line ${where.line}`) ? ` (line ${where.line}, column ${where.column})` : "";
    errorBox.replaceChildren(h("div", { class: "run-error", role: "alert" },
      where
        ? h("button", { type: "button", class: "link error-link", title: "Show this line in the editor", onclick: () => jump(where) }, label + place)
        : h("strong", {}, label),
      // What to do first, then why: the box is short, and the hint can be long.
      errorActions(error),
      hintFor(error) ? h("p", { class: "error-hint", "data-testid": "error-hint" }, hintFor(error)) : null,
      error.stack ? h("details", {}, h("summary", {}, "Stack"), h("pre", {}, error.stack)) : null,
      h("p", { class: "muted" }, "Nothing is sent when the function throws.")));
  } else {
    const unsent = nothingEmitted(result.logs || []);
    errorBox.replaceChildren(h("p", { class: "ok-line" }, "✓ The function returned."),
      ...(unsent ? [h("p", { class: "response-warning", "data-testid": "nothing-emitted" }, unsent.message)] : []));
  }
  section(root, "events", result.events || [], (event) => h("div", { class: "event" },
    h("div", {}, h("span", { class: `type type-${event.type}` }, event.type), " ", h("strong", {}, event.event || event.name || event.userId || "")),
    h("pre", {}, pretty(event))));
  section(root, "objects", result.objects || [], (object) => h("div", { class: "event" },
    h("div", {}, h("span", { class: "type" }, "set"), " ", h("strong", {}, `${object.collection} / ${object.id}`)),
    h("pre", {}, pretty(object.properties))));
  const logs = result.logs || [];
  section(root, "logs", logs, (log) => h("pre", { class: `log log-${log.level}` }, `[${log.level}] ${log.message}`));
  // The tab says when the console has warnings or errors, before it is opened.
  const worst = logs.some((log) => log.level === "error") ? "err" : logs.some((log) => log.level === "warn") ? "warn" : "";
  $("#tab-result-logs .count", root).className = `count ${worst}`.trim();
  const fetches = result.fetches || [];
  section(root, "fetches", fetches, (fetch) => h("pre", { class: "fetch" }, fetchLine(fetch)), fetchCalls(fetches));
}
