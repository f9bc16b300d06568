// Preview on recent traffic: the code in the editor run on a source's latest webhooks on
// the server (nothing stored or delivered), compared with what the source's version
// emitted. Progress while it runs, Cancel, the summary counts, then each webhook that
// differs, opened for its differences (docs/ingest.md, "Preview on recent traffic").
import { allPages, api, errorWords } from "../lib/api.js";
import { $, h } from "../lib/dom.js";
import { plural } from "../lib/words.js";
import { formatTime } from "../lib/time.js";

const POLL_MS = 500;
const OVER = new Set(["finished", "cancelled", "failed"]);
const SHOWN = 100; // differing webhooks listed

const shown = (value) => {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};
const describeError = (error) => `${error.name || "Error"}: ${error.message || ""}${error.line ? ` (line ${error.line})` : ""}`;

// The lines of a webhook's comparison, as `functions-cli preview` prints them
// (runner/comparison.py, comparison_lines).
export function comparisonLines(webhook) {
  const lines = [];
  const error = webhook.error;
  if (error && error.change === "new") lines.push(`new error: ${describeError(error.after)}`);
  if (error && error.change === "fixed") lines.push(`error gone (the current version failed: ${describeError(error.before)})`);
  if (error && error.change === "changed") lines.push(`error changed: was ${describeError(error.before)}, now ${describeError(error.after)}`);
  for (const name of ["events", "objects"]) {
    const changes = webhook[name];
    for (const change of changes.changed) lines.push(...change.differences.map((line) => `changed ${line}`));
    for (const item of changes.new) lines.push(`new ${name}[${item.index}]: ${shown(item.message)}`);
    for (const item of changes.missing) lines.push(`missing (was ${name}[${item.index}]): ${shown(item.message)}`);
  }
  return lines;
}

function headline(webhook) {
  const parts = [];
  if (webhook.error) parts.push({ new: "new error", fixed: "error gone", changed: "error changed" }[webhook.error.change]);
  for (const name of ["events", "objects"]) {
    for (const kind of ["changed", "new", "missing"]) {
      const count = webhook[name][kind].length;
      if (count) parts.push(plural(count, `${kind} ${name.slice(0, -1)}`, `${kind} ${name}`));
    }
  }
  return parts.join(", ");
}

function summaryText(preview) {
  const s = preview.summary;
  const errors = [[s.new_errors, "new error", "new errors"], [s.fixed_errors, "error gone", "errors gone"], [s.changed_errors, "error changed", "errors changed"]]
    .filter(([count]) => count).map(([count, one, many]) => plural(count, one, many));
  const lists = ["events", "objects"].map((name) => `${name}: ${s[name].changed} changed, ${s[name].new} new, ${s[name].missing} missing`);
  return [`${plural(s.compared, "webhook")}: ${s.same} same, ${s.different} different${errors.length ? ` (${errors.join(", ")})` : ""}`, ...lists];
}

export function initPreview({ path, getState, getCode }) {
  let current = null;
  let timer = null;
  const base = () => path(`functions/${getState().functionId}/previews/`);

  async function loadSources() {
    const state = getState();
    const select = $("#preview-source");
    if (!state.functionId) {
      select.replaceChildren(h("option", { value: "" }, "Create and deploy the function first"));
      return;
    }
    const sources = (await allPages(path("sources/"))).filter((s) => s.function.id === state.functionId);
    const keep = select.value;
    select.replaceChildren(...(sources.length
      ? sources.map((s) => h("option", { value: s.slug }, `${s.name} (v${s.version})`))
      : [h("option", { value: "" }, "No source runs this function yet")]));
    if (sources.some((s) => s.slug === keep)) select.value = keep;
    $("#preview-start").disabled = !sources.length;
  }

  async function start() {
    $("#preview-error").textContent = "";
    const body = {
      source: $("#preview-source").value,
      count: Number($("#preview-count").value || 100),
      allow_fetch: $("#preview-fetch").checked,
      code: getCode(),
    };
    try {
      current = await api("POST", base(), body);
    } catch (error) {
      $("#preview-error").textContent = errorWords(error);
      return;
    }
    $("#preview-webhooks").replaceChildren();
    $("#preview-run").hidden = false;
    show(current);
    poll();
  }

  async function poll() {
    clearTimeout(timer);
    if (!current) return;
    try {
      current = await api("GET", `${base()}${current.id}/`);
    } catch (error) {
      $("#preview-error").textContent = errorWords(error);
      return;
    }
    show(current);
    if (OVER.has(current.status)) await listDifferent(current);
    else timer = setTimeout(poll, POLL_MS);
  }

  function show(preview) {
    const over = OVER.has(preview.status);
    $("#preview-progress").value = preview.progress;
    $("#preview-state").textContent = {
      queued: "Queued…",
      running: `${preview.done} of ${plural(preview.total, "webhook")}`,
      finished: `Done: ${plural(preview.total, "webhook")}`,
      cancelled: `Cancelled after ${preview.done} of ${plural(preview.total, "webhook")}`,
      failed: preview.failure,
    }[preview.status];
    $("#preview-cancel").hidden = over;
    $("#preview-start").disabled = !over;
    $("#preview-summary").replaceChildren(...summaryText(preview).map((line) => h("div", {}, line)));
    $("#preview-fetch-note").textContent = preview.fetch;
  }

  async function listDifferent(preview) {
    const page = await api("GET", `${base()}${preview.id}/webhooks/?same=false&limit=${SHOWN}`);
    const items = page.results.map((webhook) => h("li", { class: "preview-webhook" },
      h("details", {},
        h("summary", {}, h("strong", {}, `#${webhook.ingest_event}`), " ",
          h("span", { class: "muted" }, `${formatTime(webhook.received_at)} · v${webhook.version}`), " ", headline(webhook)),
        h("ul", { class: "preview-lines" }, comparisonLines(webhook).map((line) => h("li", {}, h("code", {}, line)))),
        webhook.logs.length ? h("pre", { class: "preview-logs" }, webhook.logs.map((l) => `[${l.level}] ${l.message}`).join("\n")) : null)));
    if (page.count > SHOWN) items.push(h("li", { class: "muted" }, `…and ${page.count - SHOWN} more (functions-cli preview lists them all).`));
    if (!page.count && preview.status === "finished") items.push(h("li", { class: "muted" }, "Every webhook gives the same events and objects as the source's version."));
    $("#preview-webhooks").replaceChildren(...items);
  }

  $("#preview-start").addEventListener("click", start);
  $("#preview-cancel").addEventListener("click", async () => {
    if (!current) return;
    try {
      current = await api("POST", `${base()}${current.id}/cancel/`);
      poll();
    } catch (error) {
      $("#preview-error").textContent = errorWords(error);
    }
  });

  return { reload: loadSources };
}
