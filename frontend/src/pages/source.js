// A source: webhook URL, enable/disable, version moves, settings, where it sends, the
// live debugger (executions with logs, marked with their deliveries), events, dead
// letters with replay, and the 24-hour chart.
import { api, wsApi } from "../lib/api.js";
import { hourlyChart } from "../lib/chart.js";
import { deliveryBadge } from "../lib/deliveries.js";
import { $, clearErrors, h, pageData, showErrors, toast, wireTabs } from "../lib/dom.js";
import { plural } from "../lib/words.js";
import { formatTime } from "../lib/time.js";
import { deliveriesDetail, eventName, eventsDetail, requestDetail, requestSummary } from "../lib/debugger.js";
import { fetchLine } from "../lib/fetches.js";
import { liveSocket } from "../lib/live.js";
import { responseLines } from "../lib/sender-response.js";
import { readSettingsForm, renderSettingsForm } from "../lib/settings-form.js";
import { initSourceDestinations } from "./source-destinations.js";
import { initSourceRollout } from "./source-rollout.js";

export function initSource() {
  const data = pageData("source-data");
  const path = (p) => wsApi(data.workspace)(`sources/${data.slug}/${p}`);
  const executions = new Map();
  const deliveries = liveDeliveries(executions);

  wirePageTabs();
  wireControls(data, path);
  const refreshDestinations = initSourceDestinations(data);
  const refreshEvents = () => loadEvents(path);
  initObjects(path);
  const refreshDeadLetters = () => loadDeadLetters(data, path);
  const refreshChart = () => loadChart(data);
  const refreshRollout = initSourceRollout(path);
  // A burst of executions (a sender's batch, a replay of all dead letters) arrives as a
  // burst of messages: refetch the events, chart and dead letters once it has passed.
  const afterBurst = debounce(REFRESH_AFTER_MS, REFRESH_AT_LEAST_EVERY_MS, (failed) => {
    refreshEvents();
    refreshChart();
    refreshRollout().catch(() => {});
    if (failed) refreshDeadLetters();
  });
  const afterDeliveries = debounce(REFRESH_AFTER_MS, REFRESH_AT_LEAST_EVERY_MS, () =>
    refreshDestinations().catch((error) => toast(error.message, "error")));

  const addExecution = (execution, { prepend }) => {
    const known = executions.get(execution.id);
    // The API lists an execution's deliveries; the page keeps them by destination, as
    // the live delivery messages mark them.
    const stored = Array.isArray(execution.deliveries)
      ? Object.fromEntries(execution.deliveries.map((d) => [d.destination.id, d])) : {};
    const deliveriesNow = { ...(known ? known.deliveries : {}), ...stored };
    executions.set(execution.id, { ...(known || {}), ...execution, deliveries: deliveriesNow });
    deliveries.adopt(executions.get(execution.id));
    const row = executionRow(executions.get(execution.id), path);
    if (known && known.row) known.row.replaceWith(row);
    else if (prepend) $("#executions tbody").prepend(row);
    else $("#executions tbody").append(row);
    executions.get(execution.id).row = row;
    $("#no-executions").hidden = true;
  };

  api("GET", path("logs/?limit=50"))
    .then((page) => page.results.forEach((e) => addExecution(e, { prepend: false })))
    .catch((error) => toast(error.message, "error"));
  refreshEvents();
  refreshDeadLetters();
  refreshChart();

  liveSocket(`/ws/workspaces/${data.workspace}/sources/${data.slug}/live/`, {
    onState(state) {
      $("#live-dot").className = `dot ${state === "open" ? "on" : ""}`;
      $("#live-state").textContent = state === "open" ? "Live: new executions appear here as they finish" : "Reconnecting…";
    },
    onMessage(message) {
      if (message.type === "delivery") {
        deliveries.settled(message.delivery);
        afterDeliveries();
      }
      if (message.type !== "execution") return;
      addExecution(message.execution, { prepend: true });
      afterBurst(message.execution.status === "failed");
    },
  });
}

// Each delivery message marks the newest execution of its ingest event (the one whose
// output went out) with the destination's outcome, in place. A delivery that arrives
// before its execution waits for it (a few, for the race of two messages).
const WAITING_AT_MOST = 100;

function liveDeliveries(executions) {
  const waiting = new Map(); // ingest event id -> [delivery]
  const mark = (execution, delivery) => {
    execution.deliveries = { ...(execution.deliveries || {}), [delivery.destination.id]: delivery };
    if (execution.row) $(".deliveries-cell", execution.row).replaceChildren(...deliveryBadges(execution));
  };
  const newestOf = (ingestEvent) => {
    let newest = null;
    for (const execution of executions.values()) {
      if (execution.ingest_event === ingestEvent && (!newest || execution.id > newest.id)) newest = execution;
    }
    return newest;
  };
  return {
    settled(delivery) {
      const execution = newestOf(delivery.ingest_event);
      if (execution) return mark(execution, delivery);
      waiting.set(delivery.ingest_event, [...(waiting.get(delivery.ingest_event) || []), delivery]);
      if (waiting.size > WAITING_AT_MOST) waiting.delete(waiting.keys().next().value);
    },
    adopt(execution) {
      for (const delivery of waiting.get(execution.ingest_event) || []) mark(execution, delivery);
      waiting.delete(execution.ingest_event);
    },
  };
}

const deliveryBadges = (execution) => Object.values(execution.deliveries || {}).map(deliveryBadge);

const REFRESH_AFTER_MS = 300;
const REFRESH_AT_LEAST_EVERY_MS = 2000; // under a steady stream, still refresh now and then

// fn runs once calls pause for `wait` ms (or `maxWait` after the first call of a burst);
// it gets true if any call of the burst passed true.
function debounce(wait, maxWait, fn) {
  let timer = null;
  let first = 0;
  let flag = false;
  const fire = () => {
    clearTimeout(timer);
    first = 0;
    const seen = flag;
    flag = false;
    fn(seen);
  };
  return (value) => {
    flag = flag || Boolean(value);
    first = first || Date.now();
    clearTimeout(timer);
    if (Date.now() - first >= maxWait) fire();
    else timer = setTimeout(fire, wait);
  };
}

function wireControls(data, path) {
  const toggle = $("#toggle-enabled");
  if (toggle) toggle.addEventListener("click", async () => {
    const enable = toggle.dataset.enabled !== "true";
    try {
      const source = await api("PATCH", path(""), { enabled: enable });
      toggle.dataset.enabled = String(source.enabled);
      toggle.textContent = source.enabled ? "Disable" : "Enable";
      const badge = $("#enabled-state");
      badge.textContent = source.enabled ? "enabled" : "disabled";
      badge.className = `badge ${source.enabled ? "ok" : ""}`;
      toast(source.enabled ? "Source enabled." : "Source disabled: its webhook URL answers 404 until enabled.");
    } catch (error) {
      toast(error.message, "error");
    }
  });
  const move = async (version) => {
    try {
      await api("POST", path("upgrade/"), { version: Number(version) });
      location.reload();
    } catch (error) {
      $('[data-error="version"]').textContent = error.message;
    }
  };
  const upgrade = $("#upgrade");
  if (upgrade) upgrade.addEventListener("click", () => move(upgrade.dataset.version));
  const moveButton = $("#move");
  if (moveButton) moveButton.addEventListener("click", () => move($("#move-version").value));

  const settingsForm = $("#source-settings-form");
  if (settingsForm) {
    const fields = $("#settings-form");
    api("GET", path("")).then((source) => renderSettingsForm(fields, data.settings, source.settings));
    settingsForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const source = await api("PATCH", path(""), { settings: readSettingsForm(fields, data.settings, { includeEmpty: true }) });
        renderSettingsForm(fields, data.settings, source.settings);
        clearErrors(settingsForm); // the last refusal's words go once a save succeeds
        toast("Settings saved.");
      } catch (error) {
        showErrors(settingsForm, error);
      }
    });
  }
  const remove = $("#delete-source");
  if (remove) remove.addEventListener("click", async () => {
    if (!confirm("Delete this source? Its webhook URL stops working at once.")) return;
    try {
      await api("DELETE", path(""));
      location.assign(`/workspaces/${data.workspace}/sources/`);
    } catch (error) {
      toast(error.message, "error");
    }
  });
}

const errorText = (error) => (error ? (typeof error === "string" ? error : `${error.name}: ${error.message}`) : "");

const EXECUTION_COLUMNS = 10;

function executionRow(execution, path) {
  const status = h("span", { class: `badge ${execution.status === "succeeded" ? "ok" : "err"}` }, execution.status);
  const warnings = warningCount(execution);
  const request = requestSummary(execution.request);
  const row = h("tr", { class: "execution", tabindex: 0, "data-execution": execution.id, "aria-expanded": "false" },
    h("td", {}, formatTime(execution.started_at)),
    h("td", {}, status, execution.is_replay ? h("span", { class: "badge" }, "replay") : null,
      warnings ? h("span", { class: "badge warn", title: "Open the row to read its console" }, plural(warnings, "warning")) : null),
    h("td", { class: "request-cell", title: request }, request),
    h("td", { class: "version-cell" }, execution.version ? `v${execution.version}` : "—"),
    h("td", {}, execution.attempt),
    h("td", {}, `${Number(execution.duration_ms || 0).toFixed(1)} ms`),
    h("td", {}, execution.event_count),
    h("td", {}, execution.object_count),
    h("td", { class: "deliveries-cell" }, deliveryBadges(execution)),
    h("td", { class: "error-cell" }, errorText(execution.error)));
  const toggle = async () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("execution-detail")) {
      next.remove();
      row.setAttribute("aria-expanded", "false");
      return;
    }
    // The list has no bodies nor emitted events: the details come from the execution.
    let full;
    try {
      full = await api("GET", path(`logs/${execution.id}/`));
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    const shown = { ...full, deliveries: { ...Object.fromEntries(full.deliveries.map((d) => [d.destination.id, d])), ...execution.deliveries } };
    row.after(h("tr", { class: "execution-detail" }, h("td", { colspan: EXECUTION_COLUMNS }, executionDetail(shown))));
    row.setAttribute("aria-expanded", "true");
  };
  row.addEventListener("click", toggle);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      toggle();
    }
  });
  return row;
}

// The live message counts them; an execution of the logs API has its logs.
function warningCount(execution) {
  if (typeof execution.warnings === "number") return execution.warnings;
  return (execution.logs || []).filter((log) => log.level === "warn").length;
}

function executionDetail(execution) {
  const logs = execution.logs || [];
  const deliveries = deliveriesDetail(execution);
  return h("div", { class: "detail" },
    h("p", { class: "ran-version" }, `Ran version ${execution.version}`, ` · attempt ${execution.attempt}`,
      execution.is_replay ? " (a replay)" : "", ` · ingest event #${execution.ingest_event}`),
    execution.error ? h("pre", { class: "error" }, execution.error.stack || errorText(execution.error)) : null,
    execution.error && execution.error.hint ? h("p", { class: "error-hint" }, execution.error.hint) : null,
    h("strong", {}, "Request"),
    requestDetail(execution.request),
    h("strong", {}, `Events emitted (${execution.event_count})`),
    eventsDetail(execution),
    deliveries ? [h("strong", {}, "Deliveries"), deliveries] : null,
    execution.response ? [h("strong", {}, "Response to the sender"), h("div", { class: "sender-response" }, responseLines(execution.response))] : null,
    h("strong", {}, "Console"),
    logs.length ? h("pre", { class: "logs" }, logs.map((l) => `[${l.level}] ${l.message}`).join("\n")) : h("p", { class: "muted" }, "No console output."),
    (execution.fetches || []).length ? [h("strong", {}, "Fetch calls"), h("pre", {}, execution.fetches.map(fetchLine).join("\n"))] : null);
}

// Refreshed after each burst of executions: an event already shown keeps its element, so
// one the user opened (and its execution) stays open while new ones arrive above it.
const shownEvents = new Map(); // event id -> its <li>

async function loadEvents(path) {
  try {
    const page = await api("GET", path("events/?limit=20"));
    const items = page.results.map((event) => shownEvents.get(event.id) || eventItem(event, path));
    shownEvents.clear();
    page.results.forEach((event, i) => shownEvents.set(event.id, items[i]));
    const list = $("#events");
    list.replaceChildren(...items);
    if (!page.results.length) list.append(h("li", { class: "muted" }, "No events stored yet."));
  } catch (error) {
    toast(error.message, "error");
  }
}

// An event with the version that emitted it and the request it came from; "Show the
// execution" opens that execution's details (request body, console) in place.
function eventItem(event, path) {
  const request = requestSummary(event.request);
  const more = h("div", { class: "event-execution" });
  const open = event.execution ? h("button", { type: "button", class: "link", onclick: async () => {
    try {
      const execution = await api("GET", path(`logs/${event.execution}/`));
      const deliveries = Object.fromEntries(execution.deliveries.map((d) => [d.destination.id, d]));
      more.replaceChildren(executionDetail({ ...execution, deliveries }));
      open.remove();
    } catch (error) {
      toast(error.message, "error");
    }
  } }, "Show the execution") : null;
  return h("li", { class: "event" },
    h("details", {}, h("summary", {}, h("span", { class: `type type-${event.type}` }, event.type), " ",
      h("strong", {}, eventName(event)), " ",
      event.version ? h("span", { class: "badge event-version" }, `v${event.version}`) : null, " ",
      request ? [h("span", { class: "muted event-request" }, request), h("span", { class: "muted" }, " · ")] : null,
      h("span", { class: "muted event-time" }, formatTime(event.received_at))),
    h("pre", {}, JSON.stringify(event.message, null, 2)),
    event.request ? requestDetail(event.request) : null,
    open, more));
}

// --- the object store: what Segment.set wrote, searched by id, with each object's history --
const OBJECTS_SHOWN = 20;

function initObjects(path) {
  const form = $("#object-search");
  if (!form) return;
  const load = async () => {
    const query = new URLSearchParams({ limit: String(OBJECTS_SHOWN) });
    const search = $("#object-id").value.trim();
    const collection = $("#object-collection").value.trim();
    if (search) query.set("search", search);
    if (collection) query.set("collection", collection);
    try {
      showObjects(await api("GET", path(`objects/?${query}`)), path, { search, collection });
    } catch (error) {
      toast(error.message, "error");
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  load();
}

function showObjects(page, path, { search, collection }) {
  const body = $("#objects tbody");
  body.replaceChildren(...page.results.map((object) => objectRow(object, path)));
  $("#objects").hidden = page.results.length === 0;
  const filtered = search || collection;
  $("#objects-summary").textContent = page.count === 0
    ? (filtered ? "No object of this source matches." : "No objects yet: they appear when the function calls Segment.set.")
    : `${plural(page.count, "object")}${filtered ? " match" + (page.count === 1 ? "es" : "") : ""}` +
      (page.count > page.results.length ? `; the ${page.results.length} last changed are shown.` : ".");
}

function objectRow(object, path) {
  const key = `${object.collection}/${object.id}`;
  const row = h("tr", { class: "object", tabindex: 0, "aria-expanded": "false", "data-object": key },
    h("td", {}, h("code", {}, object.collection)),
    h("td", {}, h("code", { class: "object-id" }, object.id)),
    h("td", { class: "object-properties" }, JSON.stringify(object.properties)),
    h("td", {}, String(object.changes)),
    h("td", {}, formatTime(object.updated_at)));
  const toggle = async () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("object-detail")) {
      next.remove();
      row.setAttribute("aria-expanded", "false");
      return;
    }
    const query = new URLSearchParams({ collection: object.collection, id: object.id, limit: "50" });
    try {
      const history = await api("GET", path(`objects/changes/?${query}`));
      row.after(h("tr", { class: "object-detail" }, h("td", { colspan: 5 }, objectDetail(object, history))));
      row.setAttribute("aria-expanded", "true");
    } catch (error) {
      toast(error.message, "error");
    }
  };
  row.addEventListener("click", toggle);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      toggle();
    }
  });
  return row;
}

function objectDetail(object, history) {
  return h("div", { class: "detail" },
    h("strong", {}, "Properties now"),
    h("pre", {}, JSON.stringify(object.properties, null, 2)),
    h("strong", {}, `History (${plural(history.count, "change")}, newest first)`),
    h("ol", { class: "object-history" }, history.results.map((change) => h("li", {},
      h("span", { class: "muted" }, formatTime(change.changed_at)), " ",
      change.source ? `by ${change.source.name}` : "by a deleted source", " ",
      h("code", {}, JSON.stringify(change.properties))))),
    history.count > history.results.length ? h("p", { class: "muted" }, `and ${history.count - history.results.length} older.`) : null);
}

// When each attempt ran, and how long after the one before: the retry schedule as it
// happened, to read against the policy's.
function attemptTimes(executions) {
  const parts = executions.map((execution, i) => {
    const replay = execution.is_replay ? " (replay)" : "";
    if (i === 0) return `#${execution.attempt}${replay} at ${formatTime(execution.started_at)}`;
    const wait = (new Date(execution.started_at) - new Date(executions[i - 1].started_at)) / 1000;
    return `#${execution.attempt}${replay} ${waitText(wait)} later`;
  });
  return `Attempts: ${parts.join(" · ")}`;
}

function waitText(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// Overview, Live, Events, Objects, Dead letters, Settings: the tab shown is in the URL's
// hash, so a reload or a shared link opens the same one.
// The tab shown is the address's #hash: a link or a reload opens it, and each tab chosen
// is a step of the history, so Back goes to the tab before.
function wirePageTabs() {
  const tabOf = (hash) => document.getElementById(`tab-${hash.slice(1) || "overview"}`);
  const select = wireTabs($(".page-tabs"), (tab) => {
    if (tabOf(location.hash) !== tab) history.pushState(null, "", `#${tab.id.slice("tab-".length)}`);
  });
  const follow = () => {
    const tab = tabOf(location.hash);
    if (tab && tab.getAttribute("role") === "tab") select(tab);
  };
  window.addEventListener("popstate", follow);
  window.addEventListener("hashchange", follow);
  follow();
}

async function loadDeadLetters(data, path) {
  try {
    const page = await api("GET", path("dead-letters/?limit=50"));
    const list = $("#dead-letters");
    const replay = async (body) => {
      try {
        const done = await api("POST", path("dead-letters/replay/"), body);
        toast(`Replaying ${plural(done.replayed.length, "dead letter")}.`);
        setTimeout(() => loadDeadLetters(data, path), 500);
      } catch (error) {
        toast(error.message, "error");
      }
    };
    list.replaceChildren(...page.results.map((letter) => {
      const last = letter.executions[letter.executions.length - 1];
      return h("li", { class: "dead-letter" },
        h("details", {}, h("summary", {}, formatTime(letter.received_at), ` · ${plural(letter.attempts, "attempt")} · `,
          h("span", { class: "error" }, errorText(last && last.error)), " ",
          h("span", { class: "muted dead-letter-reason" }, letter.reason)),
        h("p", { class: "muted retry-policy" }, `Version ${letter.version}, time limit ${letter.time_limit_ms / 1000} s. Retries: ${letter.retry_policy.summary}`),
        h("p", { class: "muted attempt-times" }, attemptTimes(letter.executions)),
        h("pre", {}, letter.body)),
        data.can_replay ? h("button", { type: "button", onclick: () => replay({ ids: [letter.id] }) }, "Replay") : null);
    }));
    $("#no-dead-letters").hidden = page.results.length > 0;
    const count = $("#dead-letter-count");
    count.hidden = page.count === 0;
    count.textContent = page.count > 50 ? "50+" : String(page.count);
    const all = $("#replay-all");
    if (all) {
      all.hidden = page.results.length === 0;
      all.onclick = () => replay({ all: true });
    }
  } catch (error) {
    toast(error.message, "error");
  }
}

async function loadChart(data) {
  const response = await fetch(`/workspaces/${data.workspace}/sources/${data.slug}/stats.json`, { credentials: "same-origin" });
  if (!response.ok) return;
  const { hours } = await response.json();
  const total = hours.reduce((n, row) => n + row.total, 0);
  const errors = hours.reduce((n, row) => n + row.errors, 0);
  const plot = h("div", { class: "chart-plot" });
  $("#chart").replaceChildren(plot, h("p", { class: "muted", id: "chart-summary" }, `${plural(total, "execution")}, ${plural(errors, "error")}`));
  hourlyChart(plot, hours);
}
