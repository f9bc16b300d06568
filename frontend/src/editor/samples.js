// The "Sample payload" menu of the Test tab: the function's samples (those of the
// template picked, before Configure keeps them with the function), each running with
// test settings of its own, and "Custom request" (typed by hand or from the catcher),
// which runs with the function's test values. Choosing one fills the manual input and
// puts its test values in the Settings panel; what was typed for each is kept while
// another is shown. A saved sample's secrets stay on the server: Run names the sample.
import { api, allPages } from "../lib/api.js";
import { $, h } from "../lib/dom.js";

const CUSTOM = "";

export function initSamples({ path, settingsPanel, fill, isPristine, getFunction, getDefinitions }) {
  const select = $("#sample");
  let samples = []; // {key, id?, name, request, settings}: settings masked once saved
  let active = CUSTOM;
  const typedBy = new Map(); // key -> what was typed for it (settingsPanel.typedValues)

  const current = () => samples.find((s) => s.key === active) || null;

  function renderMenu() {
    select.replaceChildren(
      h("option", { value: CUSTOM }, "Custom request (the function's test values)"),
      ...samples.map((s) => h("option", { value: s.key }, s.name)),
    );
    select.value = active;
  }

  function remember() {
    typedBy.set(active, settingsPanel.typedValues());
  }

  // What the chosen input runs with, in words next to the menu.
  function describe() {
    const sample = current();
    const values = sample ? sample.settings : (getFunction() || {}).test_settings || {};
    const names = Object.entries(values)
      .filter(([, value]) => !(value && typeof value === "object" && value.set === false))
      .map(([name]) => name);
    const whose = sample ? "this sample's own test settings" : "the function's test values";
    const none = sample ? "This sample has no test settings of its own." : "The function has no test values.";
    $("#sample-settings").textContent = names.length ? `Runs with ${whose}: ${names.join(", ")}.` : none;
  }

  function choose(key, { fillInput = true } = {}) {
    remember();
    active = samples.some((s) => s.key === key) ? key : CUSTOM;
    showActive(fillInput);
  }

  function showActive(fillInput) {
    select.value = active;
    const sample = current();
    if (sample && fillInput) fill(sample.request);
    const stored = sample ? (sample.id ? sample.settings : {}) : (getFunction() || {}).test_settings || {};
    // A template's sample, not kept yet, brings its settings as typed values.
    const typed = typedBy.get(active) ?? (sample && !sample.id ? sample.settings : {});
    settingsPanel.show(stored, typed);
    describe();
  }
  select.addEventListener("change", () => choose(select.value));

  // Setting values of a sample as the API takes them: only the settings defined, and
  // no empty or cleared ones (nothing is stored yet).
  function given(values) {
    const names = new Set(getDefinitions().map((d) => d.name));
    return Object.fromEntries(Object.entries(values || {}).filter(([name, value]) => names.has(name) && value !== "" && value !== null));
  }

  return {
    // The samples of a template picked for a new function.
    fromTemplate(list) {
      samples = list.map((s, i) => ({ key: `t${i}`, name: s.name, request: s.request, settings: s.settings || {} }));
      typedBy.clear();
      active = samples.length ? samples[0].key : CUSTOM;
      renderMenu();
      $("#sample-field").hidden = false;
      showActive(true);
    },
    // The function's samples; keepPlace: the same place in the menu, the input as it is
    // (right after Configure, the sample chosen before is the same one).
    async load(functionId, { keepPlace = false } = {}) {
      const place = samples.findIndex((s) => s.key === active);
      const saved = await allPages(path(`functions/${functionId}/samples/`));
      samples = saved.map((s) => ({ key: `s${s.id}`, id: s.id, name: s.name, request: s.request, settings: s.settings }));
      typedBy.clear();
      const kept = keepPlace && place >= 0 && samples[place] ? samples[place].key : CUSTOM;
      active = keepPlace ? kept : samples.length ? samples[0].key : CUSTOM;
      renderMenu();
      $("#sample-field").hidden = false;
      showActive(!keepPlace);
    },
    // A capture or a request typed by hand: it runs with the function's test values.
    useCustom() {
      choose(CUSTOM, { fillInput: false });
    },
    // The fields a Run sends besides the code and the settings: a saved sample's id
    // (its stored settings apply) and the request, left out when it is the sample's own
    // as shown (the server has it unmasked, signatures included).
    runFields(buildRequest) {
      const sample = current();
      if (!sample || !sample.id) return { request: buildRequest() };
      return isPristine() ? { sample: sample.id } : { sample: sample.id, request: buildRequest() };
    },
    // For Configure: the samples with their settings as typed, and the custom request's.
    forCreation() {
      remember();
      return {
        samples: samples.map((s) => ({ name: s.name, request: s.request, settings: given(typedBy.get(s.key) ?? s.settings) })),
        customValues: given(typedBy.get(CUSTOM) || {}),
      };
    },
    // Keep test values: the chosen sample's, or the function's. Returns the function
    // when its values changed, else null.
    async keep(functionId, values) {
      const sample = current();
      if (sample && sample.id) {
        const saved = await api("PATCH", path(`functions/${functionId}/samples/${sample.id}/`), { settings: values });
        sample.settings = saved.settings;
        typedBy.delete(active);
        settingsPanel.show(sample.settings, {});
        describe();
        return null;
      }
      const fn = await api("PATCH", path(`functions/${functionId}/test-settings/`), { settings: values });
      typedBy.delete(active);
      settingsPanel.show(fn.test_settings, {});
      return fn;
    },
    describe,
    // The stored test values the chosen input runs with (masked: a secret as {set}) and
    // the saved sample's name, if one is chosen: what "Save as test" keeps of a Run.
    storedValues() {
      const sample = current();
      if (sample && sample.id) return { stored: sample.settings, sample: sample.name };
      if (sample) return { stored: {}, sample: sample.name };
      return { stored: (getFunction() || {}).test_settings || {}, sample: null };
    },
  };
}
