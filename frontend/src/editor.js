// The editor page: Monaco with the function's code, Run (manual input or a captured
// webhook), settings and their test values, saved tests, Configure / Save / Save &
// Deploy, versions with a diff and restore. Everything goes through the REST API; the server decides.
import { api, allPages, wsApi } from "./lib/api.js";
import { $, $$, h, openDialog, pageData, showErrors, toast, wireCopyButtons, wireTabs } from "./lib/dom.js";
import { monaco, setSettingDefinitions, setupMonaco } from "./lib/monaco.js";
import { initSettingsPanel } from "./editor/settings-panel.js";
import { renderResult, errorLocation } from "./editor/results.js";
import { initVersions } from "./editor/versions.js";
import { initCatcher } from "./editor/catcher.js";
import { initSavedTests } from "./editor/saved-tests.js";
import { initPreview } from "./editor/preview.js";
import { initSamples } from "./editor/samples.js";
import { interfaceActions, wantedInterface } from "./editor/interface.js";
import { initSplit } from "./editor/split.js";

const data = pageData("editor-data");
const path = wsApi(data.workspace);
const can = data.can;

setupMonaco(pageData("monaco-workers"));
wireCopyButtons();

const DEFAULT_URL = "https://example.com/webhook";
const state = {
  requestUrl: DEFAULT_URL,
  functionId: data.function,
  fn: null,
  savedCode: "",
  savedDefinitions: "[]",
  definitions: [],
  running: false,
  // The manual input is as a sample filled it (Run then names the sample only).
  inputPristine: true,
  filling: false,
  // The interface of a function not created yet (Configure's choice, or a switch).
  interface: "onRequest",
};

const codeModel = monaco.editor.createModel("", "javascript", monaco.Uri.parse("file:///function.js"));
const editor = monaco.editor.create($("#code"), {
  model: codeModel,
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 13,
  scrollBeyondLastLine: false,
  readOnly: !can.edit_functions,
  tabSize: 2,
  ariaLabel: "Function code",
  fixedOverflowWidgets: true,
});
const bodyEditor = monaco.editor.create($("#body-editor"), {
  model: monaco.editor.createModel("{\n  \n}", "json", monaco.Uri.parse("file:///request-body.json")),
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 12,
  lineNumbers: "off",
  folding: false,
  scrollBeyondLastLine: false,
  ariaLabel: "Request body (JSON)",
  tabSize: 2,
});

const settingsPanel = initSettingsPanel({
  container: $("#settings-list"),
  can,
  onChange(definitions) {
    state.definitions = definitions;
    setSettingDefinitions(definitions);
    updateDirty();
  },
});

// --- dirty state and the unsaved-changes guard ----------------------------------------
function isDirty() {
  if (!can.edit_functions) return false;
  if (!state.functionId) return codeModel.getValue().trim() !== "";
  return codeModel.getValue() !== state.savedCode || JSON.stringify(state.definitions) !== state.savedDefinitions;
}
function updateDirty() {
  $("#dirty-state").textContent = !can.edit_functions ? "" : !state.functionId
    ? "Not created yet" : isDirty() ? "● Unsaved changes" : "Draft saved";
}
codeModel.onDidChangeContent(() => {
  monaco.editor.setModelMarkers(codeModel, "runner", []);
  updateDirty();
});
window.addEventListener("beforeunload", (event) => {
  if (isDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

function markSaved(fn) {
  state.functionId = fn.id;
  state.savedCode = fn.code;
  state.definitions = fn.settings;
  state.savedDefinitions = JSON.stringify(fn.settings);
  showFunction(fn);
  updateDirty();
}

// What the editor bar shows of the function (Configure changes only this).
function showFunction(fn) {
  state.fn = fn;
  $("#function-name").textContent = fn.name;
  document.title = `${fn.name} · Editor · Source Functions IDE`;
  const deployed = $("#deploy-state");
  deployed.textContent = fn.deployed_version ? `v${fn.deployed_version} deployed` : "not deployed";
  deployed.className = `badge ${fn.deployed_version ? "ok" : ""}`;
  deployed.title = fn.deployed_version
    ? `Version ${fn.deployed_version} is what new sources get; Save changes only the draft.`
    : "No version yet: Save & Deploy makes version 1, which sources can run.";
  deployed.hidden = false;
  showRunPolicy(fn);
  showInterface(fn.interface);
}

function currentInterface() {
  return state.fn ? state.fn.interface : state.interface;
}
function showInterface(name) {
  $("#interface-state").hidden = name !== "legacy";
}

// The draft's time limit and retry policy, as the editor bar shows them.
function showRunPolicy(fn) {
  const shown = $("#run-policy");
  const limit = `Time limit ${fn.time_limit_ms / 1000} s${fn.time_limit_is_default ? " (default)" : ""}`;
  shown.textContent = `${limit} · Retries: ${fn.retry_policy.summary}`;
  shown.title = shown.textContent;
  shown.hidden = false;
}

function loadFunction(fn, { keepPlace = false } = {}) {
  codeModel.setValue(fn.code);
  markSaved(fn);
  showConfiguration(fn);
  settingsPanel.render(fn.settings, fn.test_settings);
  setSettingDefinitions(fn.settings);
  updateDirty();
  samples.load(fn.id, { keepPlace }).catch((error) => toast(error.message, "error"));
}

// --- manual input -----------------------------------------------------------------------
function headersFromText(text) {
  const headers = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}
function buildRequest() {
  const query = $("#query").value.trim().replace(/^\?/, "");
  return {
    method: $("#method").value,
    url: `${state.requestUrl}${query ? `?${query}` : ""}`,
    headers: headersFromText($("#headers").value),
    // The body as written, byte for byte: a signature over it (Stripe-Signature,
    // X-Hub-Signature-256) checks out as it did for the sender. Parsed and sent as
    // `body`, it would be serialised again, with other spacing.
    rawBody: bodyEditor.getValue(),
  };
}
function fillManualInput(request) {
  state.filling = true;
  try {
    showRequest(request);
  } finally {
    state.filling = false;
    state.inputPristine = true;
  }
}
function showRequest(request) {
  const url = new URL(request.url || DEFAULT_URL);
  // The URL as the sample or the capture had it: a signature may cover it (HubSpot's v3).
  state.requestUrl = `${url.origin}${url.pathname}`;
  $("#method").value = request.method || "POST";
  $("#query").value = url.search.replace(/^\?/, "");
  $("#headers").value = Object.entries(request.headers || {}).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join("\n");
  bodyEditor.setValue("body" in request ? JSON.stringify(request.body, null, 2) : request.rawBody || "");
}
// Any change by hand: Run sends the request as shown.
const inputEdited = () => {
  if (!state.filling) state.inputPristine = false;
};
for (const field of ["#method", "#query", "#headers"]) $(field).addEventListener("input", inputEdited);
$("#method").addEventListener("change", inputEdited);
bodyEditor.onDidChangeModelContent(inputEdited);

const samples = initSamples({
  path, settingsPanel,
  fill: fillManualInput,
  isPristine: () => state.inputPristine,
  getFunction: () => state.fn,
  getDefinitions: () => state.definitions,
});

// --- Run ------------------------------------------------------------------------------
async function run() {
  if (!can.test_functions || state.running) return;
  state.running = true;
  const button = $("#run");
  button.disabled = true;
  button.textContent = "Running…";
  monaco.editor.setModelMarkers(codeModel, "runner", []);
  const body = { code: codeModel.getValue(), settings: settingsPanel.testValues() };
  const started = performance.now();
  try {
    const result = state.functionId
      ? await api("POST", path(`functions/${state.functionId}/test/`), { ...body, ...samples.runFields(buildRequest) })
      : await api("POST", data.scratch_test_url, { ...body, request: buildRequest(), definitions: state.definitions, interface: state.interface });
    state.lastRun = { request: buildRequest(), settings: body.settings, ...samples.storedValues(), result };
    showResult(result, null, performance.now() - started);
  } catch (error) {
    showResult(null, error);
  } finally {
    state.running = false;
    button.disabled = false;
    button.textContent = "▶ Run";
  }
}
function showResult(result, failure, roundTripMs = 0) {
  // The draft's answer to the sender once it exists: Configure's box may hold a change
  // that was cancelled. Before, the box is all there is.
  const responds = state.fn ? Boolean(state.fn.responds) : $("#fn-responds").checked;
  const code = codeModel.getValue();
  const errorActions = (error) => {
    const wanted = wantedInterface(error, code, currentInterface());
    return wanted ? interfaceActions(wanted, { canEdit: can.edit_functions, onSwitch: switchInterface }) : null;
  };
  const timeLimitMs = state.fn ? state.fn.time_limit_ms : data.run_policy_defaults.time_limit_ms;
  renderResult($("#results"), result, failure, (location) => jumpTo(location), { responds, errorActions, timeLimitMs, roundTripMs });
  $("#results-handle").hidden = false;
  resultsSplit.refresh();
  savedTests.offer(result);
  if (result && result.error) markError(result.error);
}
// The error's line in Monaco: a marker with the message and the hint.
function markError(error) {
  const where = errorLocation(error, codeModel.getLineCount());
  if (!where) return null;
  monaco.editor.setModelMarkers(codeModel, "runner", [{
    severity: monaco.MarkerSeverity.Error,
    message: [`${error.name}: ${error.message}`, error.hint].filter(Boolean).join("\n\n"),
    startLineNumber: where.line, startColumn: where.column,
    endLineNumber: where.line, endColumn: codeModel.getLineMaxColumn(where.line),
  }]);
  return where;
}

// Run the function with the interface its code is written for: saved in the draft (an
// owner's change; sources get it with the next deploy), or the choice for a function not
// created yet. Then Run again, so the result shows what it gives.
async function switchInterface(wanted, button) {
  button.disabled = true;
  try {
    if (state.functionId) {
      showFunction(await api("PATCH", path(`functions/${state.functionId}/`), { interface: wanted }));
      toast(`This function now has the ${wanted === "legacy" ? "legacy" : "onRequest"} interface, saved in the draft: sources get it with the next deploy.`);
    } else {
      state.interface = wanted;
      showInterface(wanted);
    }
    $("#fn-interface").value = wanted;
    await run();
  } catch (error) {
    button.disabled = false;
    toast(error.message, "error");
  }
}
function jumpTo({ line, column }) {
  $("#diff-pane").hidden = true;
  $("#code").hidden = false;
  editor.revealLineInCenter(line);
  editor.setPosition({ lineNumber: line, column });
  editor.focus();
}
if ($("#run")) $("#run").addEventListener("click", run);

// --- Configure, Save, Save & Deploy ------------------------------------------------------
async function save() {
  if (!can.edit_functions) return;
  if (!state.functionId) return openConfigure();
  try {
    const fn = await api("PATCH", path(`functions/${state.functionId}/`), { code: codeModel.getValue(), settings: state.definitions });
    markSaved(fn);
    await keepTestValues(false);
    toast("Draft saved. Running sources are untouched: they keep their version until you deploy and upgrade them.");
  } catch (error) {
    showSettingErrors(error);
    toast(error.message, "error");
  }
}
function showSettingErrors(error) {
  settingsPanel.showErrors(error.errors || {});
  if (Object.keys(error.errors || {}).some((k) => k.startsWith("settings"))) selectPanel($("#tab-settings"));
}
async function keepTestValues(announce = true) {
  if (!state.functionId || !can.test_functions) return;
  const values = settingsPanel.testValues();
  if (!Object.keys(values).length) return;
  try {
    const fn = await samples.keep(state.functionId, values);
    if (fn) state.fn = fn;
    samples.describe();
    if (announce) toast(fn ? "Test values kept for Run." : "Test values kept with this sample.");
  } catch (error) {
    showSettingErrors(error);
    toast(error.message, "error");
  }
}
if ($("#save-test-values")) $("#save-test-values").addEventListener("click", () => keepTestValues(true));

function openConfigure() {
  const dialog = $("#configure-dialog");
  fillConfigure(state.fn);
  openDialog(dialog);
  $("#fn-name").focus();
}
if ($("#configure")) $("#configure").addEventListener("click", openConfigure);
if ($("#save")) $("#save").addEventListener("click", save);

// --- Configure: name, description, methods, the answer to the sender, time limit, retries --
// The methods and the answer to the sender (also filled from a picked template, and read
// by Run to show what the sender would get).
function showConfiguration({ name, description, methods, responds, interface: chosen }) {
  if (name !== undefined) $("#fn-name").value = name;
  if (chosen !== undefined) $("#fn-interface").value = chosen;
  if (description !== undefined) $("#fn-description").value = description;
  for (const box of $$('#fn-methods input[name="method"]')) box.checked = box.value === "POST" || (methods || []).includes(box.value);
  $("#fn-responds").checked = Boolean(responds);
}

function fillConfigure(fn) {
  for (const node of $$("[data-error]", $("#configure-form"))) node.textContent = "";
  if (!fn) {
    $("#fn-interface").value = state.interface;
    return showRunPolicyDefaults(data.run_policy_defaults);
  }
  showConfiguration(fn);
  $("#fn-time-limit").value = fn.time_limit_is_default ? "" : String(fn.time_limit_ms / 1000);
  const policy = fn.retry_policy;
  $("#fn-retry-on").value = policy.retry_on;
  showNumber("#fn-attempts", policy.attempts);
  showNumber("#fn-first-delay", policy.first_delay_s);
  showNumber("#fn-max-delay", policy.max_delay_s);
  $("#fn-retry-summary").textContent = `Saved: ${policy.summary}`;
}

// A new function's empty fields take the deployment's defaults: shown as placeholders.
function showRunPolicyDefaults({ time_limit_ms: limit, retry_policy: policy }) {
  $("#fn-time-limit").placeholder = `${limit / 1000} (the default)`;
  $("#fn-attempts").placeholder = String(policy.attempts);
  $("#fn-first-delay").placeholder = String(policy.first_delay_s);
  $("#fn-max-delay").placeholder = String(policy.max_delay_s);
  $("#fn-retry-summary").textContent = `Default: ${policy.summary}`;
}

// A saved value the field would refuse (a deployment's default wait below the 1 s a
// function may choose) is its placeholder, not its value: the form still submits, and
// the value stays as it is until someone types another.
function showNumber(selector, value) {
  const input = $(selector);
  input.value = String(value);
  input.placeholder = "";
  if (input.checkValidity()) return;
  input.value = "";
  input.placeholder = `${value} (the default)`;
}

// A number field as the API takes it: empty is null (the default), else a number (a
// text that is none is sent as is, and the server says what it must be).
function numberField(selector, scale = 1) {
  const text = $(selector).value.trim();
  if (text === "") return null;
  const number = Number(text);
  return Number.isFinite(number) ? Math.round(number * scale * 1000) / 1000 : text;
}

// What Configure changes: the name, description, methods and answer to the sender, and
// every time limit and retry field for a new function, only those changed otherwise (so
// a default stays the default until someone picks a value).
function configureChanges(fn) {
  const limit = numberField("#fn-time-limit", 1000);
  const policy = {
    retry_on: $("#fn-retry-on").value,
    attempts: numberField("#fn-attempts"),
    first_delay_s: numberField("#fn-first-delay"),
    max_delay_s: numberField("#fn-max-delay"),
  };
  const changes = {
    name: $("#fn-name").value.trim(),
    description: $("#fn-description").value.trim(),
    interface: $("#fn-interface").value,
    methods: $$('#fn-methods input[name="method"]').filter((box) => box.checked).map((box) => box.value),
    responds: $("#fn-responds").checked,
  };
  const current = fn ? fn.retry_policy : {};
  const retry = Object.fromEntries(Object.entries(policy).filter(([k, v]) => v !== null && v !== current[k]));
  if (Object.keys(retry).length) changes.retry_policy = retry;
  const shownLimit = fn && !fn.time_limit_is_default ? fn.time_limit_ms : null;
  if (!fn ? limit !== null : limit !== shownLimit) changes.time_limit_ms = limit;
  return changes;
}

$("#configure-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  if (state.functionId) return saveConfiguration(form);
  try {
    const kept = samples.forCreation();
    const fn = await api("POST", path("functions/"), {
      ...configureChanges(null),
      code: codeModel.getValue(),
      settings: state.definitions,
      samples: kept.samples,
    });
    markSaved(fn);
    history.replaceState(null, "", `/workspaces/${data.workspace}/functions/${fn.id}/`);
    $("#configure-dialog").close();
    $("#configure").classList.remove("primary");
    $("#configure-submit").textContent = "Save configuration";
    $("#save").hidden = false;
    $("#deploy").hidden = false;
    if ($("#save-test-values")) $("#save-test-values").hidden = false;
    if ($("#run-tests")) $("#run-tests").disabled = false;
    // The test URL used so far is the function's now, with what it caught.
    await catcher.adoptInto(fn.id);
    if (Object.keys(kept.customValues).length) {
      state.fn = await api("PATCH", path(`functions/${fn.id}/test-settings/`), { settings: kept.customValues });
    }
    await samples.load(fn.id, { keepPlace: true });
    toast(`Created ${fn.name}. Save keeps the draft; Save & Deploy makes a version sources can run.`);
    versions.reload();
  } catch (error) {
    showErrors(form, error);
    showSettingErrors(error);
  }
});

async function saveConfiguration(form) {
  try {
    // Only the configuration: unsaved code and settings stay as they are in the editor.
    showFunction(await api("PATCH", path(`functions/${state.functionId}/`), configureChanges(state.fn)));
    $("#configure-dialog").close();
    toast("Configuration saved in the draft. Sources get the methods, the answer to the sender, the time limit and retries with the next deploy.");
  } catch (error) {
    showErrors(form, error);
  }
}

if ($("#deploy")) $("#deploy").addEventListener("click", () => {
  $("#deploy-message").value = "";
  savedTests.clearRefusal();
  $("#deploy-compile-error").hidden = true;
  for (const node of $$("[data-error]", $("#deploy-form"))) node.textContent = "";
  openDialog($("#deploy-dialog"));
  $("#deploy-message").focus();
});
$("#deploy-form").addEventListener("submit", (event) => {
  event.preventDefault();
  deploy();
});
// The deploy gate runs the saved tests: a failure is shown in the dialog, where
// "Deploy anyway" sends the same deploy again with a reason.
async function deploy(extra = {}) {
  const form = $("#deploy-form");
  try {
    const deployment = await api("POST", path(`functions/${state.functionId}/deploy/`), {
      message: $("#deploy-message").value.trim(), code: codeModel.getValue(), settings: state.definitions, ...extra,
    });
    $("#deploy-dialog").close();
    const fn = await api("GET", path(`functions/${state.functionId}/`));
    markSaved(fn);
    await showDeployed(deployment);
    versions.reload();
  } catch (error) {
    if (error.body && error.body.compile_error) return refusedToCompile(error);
    if (error.status === 409 && error.body && error.body.failed_tests) {
      // The draft was saved even so.
      $("#deploy-compile-error").hidden = true;
      markSaved(await api("GET", path(`functions/${state.functionId}/`)));
      savedTests.showRefusal(error, (reason) => deploy({ deploy_anyway: reason }));
      return;
    }
    showErrors(form, error);
    showSettingErrors(error);
  }
}

// Deploy refused code that does not compile: the draft was saved (Save keeps it), no
// version was made; the error is marked at its line, one click away.
async function refusedToCompile(error) {
  const compileError = error.body.compile_error;
  savedTests.clearRefusal();
  $('#deploy-form [data-error="form"]').textContent = "";
  const box = $("#deploy-compile-error");
  box.hidden = false;
  const where = markError(compileError);
  box.replaceChildren(h("p", {}, error.message),
    where ? h("button", { type: "button", class: "link error-link", "data-testid": "show-compile-error", onclick: () => {
      $("#deploy-dialog").close();
      jumpTo(where);
    } }, `Show line ${where.line} in the editor`) : null);
  try {
    markSaved(await api("GET", path(`functions/${state.functionId}/`)));
  } catch {
    // The refusal is what matters here; the dirty state is refreshed on the next save.
  }
}

async function showDeployed(deployment) {
  const number = deployment.version.number;
  $("#deployed-title").textContent = `Deployed version ${number}`;
  const moved = deployment.moved_sources.map((s) => s.name);
  $("#deployed-text").textContent = `New sources get v${number}.` + (moved.length ? ` Moved automatically (they follow the deployed version): ${moved.join(", ")}.` : "");
  const box = $("#lagging");
  box.replaceChildren(h("p", { class: "muted" }, "Checking sources…"));
  openDialog($("#deployed-dialog"));
  const sources = (await allPages(path("sources/"))).filter((s) => s.function.id === state.functionId && s.behind);
  if (!sources.length) {
    box.replaceChildren(h("p", {}, "No source lags behind."));
    return;
  }
  const upgrade = async (source, button) => {
    button.disabled = true;
    try {
      await api("POST", path(`sources/${source.slug}/upgrade/`), { version: number });
      button.replaceWith(h("span", { class: "badge ok" }, `upgraded to v${number}`));
    } catch (error) {
      button.disabled = false;
      button.after(h("span", { class: "error" }, ` ${[error.message, ...Object.values(error.errors).flat()].join(" ")}`));
    }
  };
  const rows = sources.map((s) => {
    const button = h("button", { type: "button", class: "upgrade-source" }, `Upgrade to v${number}`);
    button.addEventListener("click", () => upgrade(s, button));
    return h("li", { "data-source": s.slug }, h("a", { href: `/workspaces/${data.workspace}/sources/${s.slug}/` }, s.name), ` runs v${s.version} `, h("span", { class: "badge warn" }, "behind"), " ", button);
  });
  const all = h("button", { type: "button", class: "primary" }, "Upgrade all");
  all.addEventListener("click", () => $$(".upgrade-source", box).forEach((b) => b.click()));
  box.replaceChildren(h("p", {}, `These sources keep running their version until you upgrade them:`), h("ul", { class: "lagging" }, rows), ...(sources.length > 1 ? [all] : []));
}

// --- keyboard -------------------------------------------------------------------------
editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, save);
editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, run);
bodyEditor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, run);
bodyEditor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, save);
for (const where of [editor, bodyEditor]) {
  where.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyMod.Shift | monaco.KeyCode.Enter, () => runAllTests());
}
// "?" lists the shortcuts, where it is not typed into a field or the code.
const typing = (target) => target.closest("input, textarea, select, [contenteditable], .monaco-editor");
document.addEventListener("keydown", (event) => {
  if (event.key === "?" && !event.ctrlKey && !event.metaKey && !typing(event.target)) {
    event.preventDefault();
    openDialog($("#shortcuts-dialog"));
  }
});
$("#show-shortcuts").addEventListener("click", () => openDialog($("#shortcuts-dialog")));
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey)) return;
  if (event.key === "Enter" && event.shiftKey) {
    event.preventDefault();
    runAllTests();
  } else if (event.key === "s") {
    event.preventDefault();
    save();
  } else if (event.key === "Enter") {
    event.preventDefault();
    run();
  }
});

// --- panels -----------------------------------------------------------------------------
const selectPanel = wireTabs($(".side-pane > .tabs"), (tab) => {
  if (tab.id === "tab-versions") versions.reload();
  if (tab.id === "tab-tests") savedTests.reload().catch((error) => toast(error.message, "error"));
  if (tab.id === "tab-preview" && preview) preview.reload();
});
function runAllTests() {
  if (!state.functionId) return;
  selectPanel($("#tab-tests"));
  savedTests.runAll();
}
const selectTestTab = wireTabs($("#panel-test > .tabs"));
wireTabs($("#results .result-tabs"));

// --- the splits: code | side pane, and under the code the result ------------------------
const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
const relayout = () => {
  editor.layout();
  bodyEditor.layout();
};
initSplit({
  handle: $("#split-handle"),
  container: $("#editor-layout"),
  variable: "--side-width",
  storageKey: "editor.split.side-width",
  axis: "x",
  min: 22 * rem,
  otherMin: 20 * rem,
  defaultSize: (room) => room * 0.38,
  label: (width, share) => `Code ${share} %, test pane ${width} px`,
  onResize: relayout,
});
const resultsSplit = initSplit({
  handle: $("#results-handle"),
  container: $("#code-column"),
  variable: "--results-height",
  storageKey: "editor.split.results-height",
  axis: "y",
  min: 7 * rem,
  otherMin: 8 * rem,
  defaultSize: (room) => room * 0.4,
  label: (height, share) => `Code ${share} %, result ${height} px`,
  onResize: relayout,
});

const versions = initVersions({
  path, can, codeModel, getState: () => state,
  onRestore(fn) {
    loadFunction(fn, { keepPlace: true });
    toast(`Restored into the draft. Running sources are untouched.`);
  },
  isDirty,
});

const savedTests = initSavedTests({
  path, can,
  functionId: () => state.functionId,
  lastRun: () => state.lastRun,
  definitions: () => state.definitions,
  functionSecrets: () => (state.fn || {}).test_settings || {},
  getCode: () => codeModel.getValue(),
});
const preview = $("#panel-preview")
  ? initPreview({ path, getState: () => state, getCode: () => codeModel.getValue() })
  : null;

const catcher = initCatcher({
  path, can,
  use(request, { runNow }) {
    fillManualInput(request);
    samples.useCustom();
    selectTestTab($("#tab-manual"));
    if (runNow) run();
  },
});

// --- start ------------------------------------------------------------------------------
async function pickTemplate(slug) {
  const template = await api("GET", path(`templates/${slug}/`));
  codeModel.setValue(template.code);
  state.definitions = template.settings;
  settingsPanel.render(template.settings, {});
  setSettingDefinitions(template.settings);
  samples.fromTemplate(template.samples || []);
  showConfiguration({
    name: slug === "default" ? "" : template.name,
    description: template.description,
    methods: template.methods,
    responds: template.responds,
  });
  updateDirty();
}

async function start() {
  if (state.functionId) {
    try {
      loadFunction(await api("GET", path(`functions/${state.functionId}/`)));
      catcher.start(state.functionId);
    } catch (error) {
      toast(error.message, "error");
    }
    return;
  }
  setSettingDefinitions([]);
  updateDirty();
  catcher.startScratch(new URLSearchParams(location.search).get("catcher"));
  const dialog = $("#template-dialog");
  openDialog(dialog);
  let picked = false;
  dialog.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-template]");
    if (!button) return;
    picked = true;
    dialog.close();
    await pickTemplate(button.dataset.template);
    editor.focus();
  });
  dialog.addEventListener("close", () => {
    if (!picked) pickTemplate("default");
  });
}
start();
