// Saved tests in the editor: "Save as test" from the last Run (its output proposed as the
// expectation, editable as JSON), the Tests panel with "Run all tests" (Ctrl/Cmd+Shift+
// Enter; a pass/fail list, each failure's differences), and what the deploy gate says
// when a test fails (with "Deploy anyway" and a reason). The matching is the server's
// (runner/expectations.py), the same as `functions-cli test`.
import { api } from "../lib/api.js";
import { $, clearErrors, h, openDialog, showErrors, toast } from "../lib/dom.js";

// Fields the runner fills in itself: any value passes ("*"), the rest must be equal.
const GENERATED = ["messageId", "timestamp", "receivedAt", "sentAt", "originalTimestamp"];

export function proposedExpectation(result) {
  if (result.error) return { error: { name: result.error.name, message: result.error.message } };
  const generic = (message) => Object.fromEntries(Object.entries(message).map(
    ([key, value]) => [key, GENERATED.includes(key) ? "*" : value]));
  return { events: result.events.map(generic), objects: result.objects };
}

// The settings a test keeps from a Run: the plain values it ran with (those stored for
// the sample or the function, under what was typed), and as references the secrets that
// had a value in it. A secret the Run had none for is left out, so the test runs as the
// Run did rather than failing for a test secret nobody set.
export function testSettings(run, definitions) {
  const typed = run.settings;
  const stored = run.stored || {};
  const settings = {};
  const secrets = [];
  for (const { name, encrypted } of definitions) {
    const value = name in typed ? typed[name] : stored[name];
    if (encrypted) {
      const set = name in typed ? value !== null && value !== "" : Boolean(value && value.set);
      if (set) secrets.push(name);
    } else if (value !== undefined && value !== null && value !== "") {
      settings[name] = value;
    }
  }
  return { settings, secrets };
}

// A saved test runs with the function's kept test secrets: say so when the Run used
// another value (a sample's own, or one typed and not kept), or the function has none.
function secretsNote(run, secrets, functionSecrets) {
  return secrets.map((name) => {
    const kept = Boolean(functionSecrets[name] && functionSecrets[name].set);
    const other = run.sample || name in run.settings;
    if (!kept) return `${name}: the test runs with the function's test secret, which is not set, so it fails until one is kept (Custom request, Settings → Keep test values).`;
    if (other) return `${name}: the test runs with the function's kept test secret, not the value this Run used.`;
    return null;
  }).filter(Boolean).join(" ");
}

export function initSavedTests({ path, functionId, can, lastRun, definitions, functionSecrets, getCode }) {
  const panel = $("#panel-tests");
  const base = () => path(`functions/${functionId()}/tests/`);
  let running = false;

  const saveButton = $("#save-as-test");
  const dialog = $("#save-test-dialog");
  const form = $("#save-test-form");
  if (saveButton) saveButton.addEventListener("click", () => {
    const run = lastRun();
    if (!run) return;
    $("#test-name").value = "";
    $("#test-expect").value = JSON.stringify(proposedExpectation(run.result), null, 2);
    $("#test-secrets-note").textContent = secretsNote(run, testSettings(run, definitions()).secrets, functionSecrets());
    clearErrors(form);
    openDialog(dialog);
    $("#test-name").focus();
  });
  if (dialog) form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    let expect;
    try {
      expect = JSON.parse($("#test-expect").value);
    } catch (problem) {
      const message = `The expectation is not valid JSON: ${problem.message}.`;
      return showErrors(form, { message, errors: { expect: [message] } });
    }
    const run = lastRun();
    // Secrets are references to the function's kept test values (Settings → Keep test
    // values), never copied into the test.
    const { settings, secrets } = testSettings(run, definitions());
    try {
      await api("POST", base(), {
        name: $("#test-name").value.trim(), request: run.request, settings, secret_settings: secrets, expect,
      });
      dialog.close();
      toast("Test saved: Run all tests (Ctrl+Shift+Enter) and every deploy run it.");
      await reload();
    } catch (failure) {
      showErrors(form, failure);
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
  // The last outcome by test name (of "Run all tests" or of the deploy gate), shown until
  // the next one, also when the list is read again.
  let outcomes = new Map();
  let outcomeSummary = { text: "", className: "" };
  const render = () => {
    list.replaceChildren(...tests.map((test) => row(test, outcomes.get(test.name))));
    $("#no-tests").hidden = tests.length > 0;
    summary.textContent = outcomeSummary.text;
    summary.className = outcomeSummary.className;
  };
  const remember = (byName, text, failed) => {
    outcomes = byName;
    outcomeSummary = { text, className: failed ? "error" : "ok-text" };
  };
  async function reload() {
    if (!functionId() || !panel) return;
    const page = await api("GET", `${base()}?limit=100`);
    tests = page.results;
    render();
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
      remember(new Map(outcome.tests.map((t) => [t.name, t])), outcome.tests.length
        ? `${outcome.passed} passed, ${outcome.failed} failed` : "No saved tests to run.", outcome.failed);
      render();
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
            showErrors($("#deploy-form"), { errors: { deploy_anyway: ["Say why: the reason goes to the audit log."] } });
            return;
          }
          deployAnyway(reason);
        } }, "Deploy anyway"));
      box.hidden = false;
      // The Tests tab shows the same: every test but those failing passed on the draft.
      const byName = new Map(failed.map((test) => [test.name, { passed: false, differences: test.differences }]));
      reload().then(() => {
        for (const test of tests) if (!byName.has(test.name)) byName.set(test.name, { passed: true });
        remember(byName, `The deploy was refused: ${tests.length - failed.length} passed, ${failed.length} failed`, true);
        render();
      }).catch(() => {});
    },
    clearRefusal() {
      const box = $("#gate-refusal");
      box.hidden = true;
      box.replaceChildren();
    },
  };
}
