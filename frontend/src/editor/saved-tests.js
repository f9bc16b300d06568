// Saved tests in the editor: "Save as test" from the last Run (its output proposed as the
// expectation, editable as JSON), the Tests panel with "Run all tests" (Ctrl/Cmd+Shift+
// Enter; a pass/fail list, each failure's differences), and what the deploy gate says
// when a test fails (with "Deploy anyway" and a reason). The matching is the server's
// (runner/expectations.py), the same as `functions-cli test`.
import { api } from "../lib/api.js";
import { $, h, openDialog, toast } from "../lib/dom.js";

// Fields the runner fills in itself: any value passes ("*"), the rest must be equal.
const GENERATED = ["messageId", "timestamp", "receivedAt", "sentAt", "originalTimestamp"];

export function proposedExpectation(result) {
  if (result.error) return { error: { name: result.error.name, message: result.error.message } };
  const generic = (message) => Object.fromEntries(Object.entries(message).map(
    ([key, value]) => [key, GENERATED.includes(key) ? "*" : value]));
  return { events: result.events.map(generic), objects: result.objects };
}

export function initSavedTests({ path, functionId, can, lastRun, definitions, getCode }) {
  const panel = $("#panel-tests");
  const base = () => path(`functions/${functionId()}/tests/`);
  let running = false;

  const saveButton = $("#save-as-test");
  const dialog = $("#save-test-dialog");
  if (saveButton) saveButton.addEventListener("click", () => {
    const run = lastRun();
    if (!run) return;
    $("#test-name").value = "";
    $("#test-expect").value = JSON.stringify(proposedExpectation(run.result), null, 2);
    for (const node of dialog.querySelectorAll("[data-error]")) node.textContent = "";
    openDialog(dialog);
    $("#test-name").focus();
  });
  if (dialog) $("#save-test-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = (field, text) => { dialog.querySelector(`[data-error="${field}"]`).textContent = text; };
    let expect;
    try {
      expect = JSON.parse($("#test-expect").value);
    } catch (problem) {
      return error("expect", `The expectation is not valid JSON: ${problem.message}.`);
    }
    const run = lastRun();
    // Secrets are references to the function's kept test values (Settings → Keep test
    // values), never copied into the test.
    const encrypted = definitions().filter((d) => d.encrypted).map((d) => d.name);
    const plain = Object.fromEntries(Object.entries(run.settings).filter(([name]) => !encrypted.includes(name)));
    try {
      await api("POST", base(), {
        name: $("#test-name").value.trim(), request: run.request, settings: plain, secret_settings: encrypted, expect,
      });
      dialog.close();
      toast("Test saved: Run all tests (Ctrl+Shift+Enter) and every deploy run it.");
      await reload();
    } catch (failure) {
      error("form", failure.message);
      for (const [field, messages] of Object.entries(failure.errors)) {
        const node = dialog.querySelector(`[data-error="${field.split(".")[0]}"]`);
        if (node) node.textContent = messages.join(" ");
      }
    }
  });

  const list = $("#saved-tests");
  const summary = $("#tests-summary");
  const row = (test, outcome) => h("li", { class: `saved-test ${outcome ? (outcome.passed ? "passed" : "failed") : ""}`, "data-test": test.id },
    h("div", { class: "saved-test-head" },
      outcome ? h("span", { class: `badge ${outcome.passed ? "ok" : "err"}` }, outcome.passed ? "PASS" : "FAIL") : null,
      h("strong", {}, test.name),
      can.edit_functions ? h("button", { type: "button", class: "link delete-test", "aria-label": `Delete test ${test.name}`, onclick: () => remove(test) }, "Delete") : null),
    outcome && !outcome.passed ? h("pre", { class: "differences" }, outcome.differences.join("\n")) : null);

  let tests = [];
  async function reload() {
    if (!functionId() || !panel) return;
    const page = await api("GET", `${base()}?limit=100`);
    tests = page.results;
    list.replaceChildren(...tests.map((test) => row(test)));
    $("#no-tests").hidden = tests.length > 0;
    summary.textContent = "";
  }
  async function remove(test) {
    if (!confirm(`Delete the test “${test.name}”? Deploys stop running it.`)) return;
    try {
      await api("DELETE", `${base()}${test.id}/`);
      await reload();
    } catch (failure) {
      toast(failure.message, "error");
    }
  }
  async function runAll() {
    if (!functionId() || running || !can.test_functions) return;
    running = true;
    const button = $("#run-tests");
    button.disabled = true;
    button.textContent = "Running tests…";
    summary.textContent = "";
    try {
      const outcome = await api("POST", `${base()}run/`, { code: getCode() });
      const byId = new Map(outcome.tests.map((t) => [t.id, t]));
      list.replaceChildren(...tests.map((test) => row(test, byId.get(test.id))));
      summary.textContent = outcome.tests.length
        ? `${outcome.passed} passed, ${outcome.failed} failed` : "No saved tests to run.";
      summary.className = outcome.failed ? "error" : "ok-text";
    } catch (failure) {
      summary.textContent = failure.message;
      summary.className = "error";
    } finally {
      running = false;
      button.disabled = false;
      button.textContent = "Run all tests";
    }
  }
  if ($("#run-tests")) $("#run-tests").addEventListener("click", runAll);

  return {
    reload,
    runAll,
    // After a Run: the result can become a test (once the function exists).
    offer(result) {
      if (saveButton) saveButton.hidden = !result || !functionId() || !can.edit_functions;
    },
    // A 409 of the deploy gate: which tests fail and how; "Deploy anyway" asks a reason.
    showRefusal(failure, deployAnyway) {
      const box = $("#gate-refusal");
      const failed = failure.body.failed_tests || [];
      box.replaceChildren(
        h("p", { class: "error" }, failure.message),
        h("ul", { class: "gate-failures" }, ...failed.map((test) => h("li", {},
          h("strong", {}, test.name), h("pre", { class: "differences" }, test.differences.join("\n"))))),
        h("label", { for: "deploy-anyway-reason" }, "Deploy anyway, because…"),
        h("input", { type: "text", id: "deploy-anyway-reason", maxlength: "500", placeholder: "Why deploy with failing tests (kept in the audit log)" }),
        h("p", { class: "error", "data-error": "deploy_anyway" }),
        h("button", { type: "button", class: "danger", id: "deploy-anyway", onclick: () => {
          const reason = $("#deploy-anyway-reason").value.trim();
          if (!reason) {
            box.querySelector('[data-error="deploy_anyway"]').textContent = "Say why: the reason goes to the audit log.";
            return;
          }
          deployAnyway(reason);
        } }, "Deploy anyway"));
      box.hidden = false;
      reload().then(() => {
        const names = new Set(failed.map((t) => t.name));
        for (const item of list.children) {
          const test = tests.find((t) => String(t.id) === item.dataset.test);
          if (test && names.has(test.name)) item.classList.add("failed");
        }
      }).catch(() => {});
    },
    clearRefusal() {
      const box = $("#gate-refusal");
      box.hidden = true;
      box.replaceChildren();
    },
  };
}
