// A source's gradual rollout: start it, both versions' error rates while it runs, change
// its share, promote or roll it back; the banner after the watch rolled one back.
import { api } from "../lib/api.js";
import { $, h, toast } from "../lib/dom.js";

const percent = (rate) => `${(rate * 100).toFixed(1)} %`;

// While a rollout runs its counts change and the watch may end it: read it again this often.
const RUNNING_REFRESH_MS = 5000;

export function initSourceRollout(path) {
  const root = $("#rollout");
  if (!root) return async () => {};
  let timer = null;
  const refresh = async () => {
    const state = await api("GET", path("rollout/"));
    show(state);
    clearTimeout(timer);
    if (state.rollout) timer = setTimeout(() => refresh().catch(() => {}), RUNNING_REFRESH_MS);
  };
  const act = (method, suffix, body, done) => async () => {
    const error = $('[data-error="rollout"]');
    if (error) error.textContent = "";
    try {
      await api(method, path(suffix), body && body());
      if (suffix === "rollout/promote/") return location.reload();
      await refresh();
      if (done) toast(done);
    } catch (failure) {
      if (error) error.textContent = [failure.message, ...Object.values(failure.errors).flat()].join(" ");
      else toast(failure.message, "error");
    }
  };
  const on = (id, handler) => { const element = $(id); if (element) element.addEventListener("click", handler); };
  on("#rollout-start", act("POST", "rollout/", () => ({ version: Number($("#rollout-version").value), share: Number($("#rollout-share").value) }), "Rollout started: new webhooks are split between the versions."));
  on("#rollout-change", act("PATCH", "rollout/", () => ({ share: Number($("#rollout-new-share").value) }), "Share changed for new webhooks."));
  on("#rollout-promote", act("POST", "rollout/promote/"));
  on("#rollout-rollback", act("DELETE", "rollout/", null, "Rolled back: every new webhook runs on the pinned version."));
  on("#dismiss-rollback", act("DELETE", "rollout/"));
  refresh().catch((error) => toast(error.message, "error"));
  return refresh;
}

function show(state) {
  const note = state.rollback_note;
  $("#rollback-banner").hidden = !note || Boolean(state.rollout);
  $("#rollback-note").textContent = note ? `Rolled back automatically. ${note}` : "";
  const running = Boolean(state.rollout);
  $("#rollout-running").hidden = !running;
  const start = $("#rollout-start-row");
  if (start) start.hidden = running;
  if (!running) return;
  const { version, share } = state.rollout;
  $("#rollout-line").textContent = `v${version} takes ${share} % of new webhooks, v${state.old.version} the rest. It is rolled back by itself if v${version} fails clearly more often.`;
  const shareInput = $("#rollout-new-share");
  if (shareInput && document.activeElement !== shareInput) shareInput.value = share;
  $("#rollout-rates tbody").replaceChildren(...[state.new, state.old].map((rate) => h("tr", {},
    h("td", {}, `v${rate.version}${rate === state.new ? " (new)" : ""}`),
    h("td", {}, String(rate.executions)),
    h("td", {}, String(rate.errors)),
    h("td", {}, rate.executions ? percent(rate.error_rate) : "–"))));
}
