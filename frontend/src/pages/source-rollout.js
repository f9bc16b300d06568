// A source's gradual rollout: start it, both versions' error rates while it runs, change
// its share, promote or roll it back; the banner after the watch rolled one back, and no
// invitation to upgrade to the version just rolled back.
import { api } from "../lib/api.js";
import { $, clearErrors, h, showErrors, toast } from "../lib/dom.js";
import { formatTime } from "../lib/time.js";

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
  // A refusal goes next to its field in the block the button is in (the start row or
  // the running rollout's controls), else in words under it; with neither, a toast.
  const act = (method, suffix, { body, done, block } = {}) => async () => {
    const where = block ? $(block) : null;
    if (where) clearErrors(where);
    try {
      await api(method, path(suffix), body && body());
      if (suffix === "rollout/promote/") return location.reload();
      await refresh();
      if (done) toast(done);
    } catch (failure) {
      if (where) showErrors(where, failure);
      else toast(failure.message, "error");
    }
  };
  const on = (id, handler) => { const element = $(id); if (element) element.addEventListener("click", handler); };
  on("#rollout-start", act("POST", "rollout/", {
    body: () => ({ version: Number($("#rollout-version").value), share: Number($("#rollout-share").value) }),
    done: "Rollout started: new webhooks are split between the versions.",
    block: "#rollout-start-row",
  }));
  on("#rollout-change", act("PATCH", "rollout/", {
    body: () => ({ share: Number($("#rollout-new-share").value) }),
    done: "Share changed for new webhooks.",
    block: "#rollout-running",
  }));
  on("#rollout-promote", act("POST", "rollout/promote/", { block: "#rollout-running" }));
  on("#rollout-rollback", act("DELETE", "rollout/", {
    done: "Rolled back: every new webhook runs on the pinned version.",
    block: "#rollout-running",
  }));
  on("#dismiss-rollback", act("DELETE", "rollout/"));
  refresh().catch((error) => toast(error.message, "error"));
  return refresh;
}

function show(state) {
  const running = Boolean(state.rollout);
  const last = state.last_rollback;
  const note = state.rollback_note;
  $("#rollback-banner").hidden = !note || running;
  const when = last ? ` on ${formatTime(last.at)}` : "";
  $("#rollback-note").textContent = note ? `Rolled back automatically${when}. ${note}` : "";
  // Once the banner is dismissed (or after a rollback by hand) a line still says it.
  const line = $("#rolled-back-line");
  line.hidden = !last || running || Boolean(note);
  line.textContent = last ? `The rollout of v${last.version} was rolled back on ${formatTime(last.at)}: Move to v${last.version} or a new rollout tries it again.` : "";
  const upgrade = $("#upgrade");
  if (upgrade) upgrade.hidden = Boolean(last) && Number(upgrade.dataset.version) === last.version;
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
