// Deliveries as the Destinations page, the source page and its live debugger show them:
// the last 24 h counts, the mean lag, the last error, and one delivery's outcome.
import { h } from "./dom.js";
import { formatTime } from "./time.js";

export function countBadges(stats) {
  const { delivered = 0, retrying = 0, failed = 0 } = stats || {};
  return h("span", { class: "counts" },
    h("span", { class: `badge ${delivered ? "ok" : ""}` }, `${delivered} delivered`),
    h("span", { class: `badge ${retrying ? "warn" : ""}` }, `${retrying} retrying`),
    h("span", { class: `badge ${failed ? "err" : ""}` }, `${failed} failed`));
}

export function lagText(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function lastError(error) {
  if (!error) return h("span", { class: "muted" }, "none");
  return h("span", { class: "error-text", title: `at ${formatTime(error.at)}` }, error.message);
}

const OUTCOME = {
  delivered: { text: "✓", class: "ok", says: "delivered" },
  retrying: { text: "retrying", class: "warn", says: "failed, will retry" },
  failed: { text: "failed", class: "err", says: "failed: a dead letter of the destination" },
};

// One destination's outcome for an execution: delivered ✓ / retrying / failed, the
// error as its title. Pending and sending ones are not settled: shown as "sending".
export function deliveryBadge(delivery) {
  const outcome = OUTCOME[delivery.status] || { text: "sending", class: "", says: "on its way" };
  const name = delivery.destination.name;
  const title = [`${name}: ${outcome.says}`, delivery.error].filter(Boolean).join(" — ");
  return h("span", { class: `badge delivery ${outcome.class}`, title, "data-destination": delivery.destination.id,
    "data-status": delivery.status }, `${name} ${outcome.text}`);
}
