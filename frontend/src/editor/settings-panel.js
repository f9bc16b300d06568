// The Settings panel: define settings (owners) and give test values for Run
// (owners and source admins). The test values shown are those of the request being
// run: the chosen sample's (each sample has its own) or the function's. Secret test
// values are write-only: shown as set / not set, with Clear to remove a stored one.
import { h } from "../lib/dom.js";

const TYPES = [["string", "String"], ["boolean", "Boolean"], ["array", "List of strings"], ["text_map", "Map (string → string)"]];

export function initSettingsPanel({ container, can, onChange }) {
  let definitions = [];
  let masked = {};
  const typed = new Map(); // name -> raw input value the user typed for this run; null: cleared

  const emit = () => onChange(definitions.map((d) => ({ ...d })));

  function testInput(def, index) {
    const id = `test-${index}`;
    const stored = masked[def.name];
    const isSet = stored && typeof stored === "object" && "set" in stored ? stored.set : false;
    const disabled = !can.test_functions;
    let input;
    if (def.type === "boolean") {
      input = h("input", { type: "checkbox", id, checked: typed.has(def.name) ? typed.get(def.name) === true : stored === true, disabled });
      input.addEventListener("change", () => typed.set(def.name, input.checked));
    } else if (def.type === "array" || def.type === "text_map") {
      const current = typed.has(def.name) ? typed.get(def.name) : stored;
      const text = def.type === "array" ? (Array.isArray(current) ? current.join("\n") : "")
        : current && typeof current === "object" && !("set" in current) ? Object.entries(current).map(([k, v]) => `${k}=${v}`).join("\n") : "";
      input = h("textarea", { id, rows: 2, disabled, placeholder: def.type === "array" ? "one per line" : "key=value per line" }, text);
      input.addEventListener("input", () => typed.set(def.name, parseList(def.type, input.value)));
    } else {
      const cleared = typed.get(def.name) === null;
      const value = typed.has(def.name) ? typed.get(def.name) : def.encrypted ? "" : stored ?? "";
      input = h("input", {
        type: def.encrypted ? "password" : "text", id, disabled: disabled || cleared, autocomplete: "new-password",
        value: typeof value === "string" ? value : "",
        placeholder: cleared ? "cleared: not used by Run (Keep test values to save)"
          : def.encrypted ? (isSet ? "•••••• set (leave empty to keep)" : "not set") : "test value",
      });
      input.addEventListener("input", () => typed.set(def.name, input.value));
    }
    const label = h("label", { for: id }, "Test value", def.encrypted ? h("span", { class: "badge" }, "secret") : null);
    return h("div", { class: "field" }, label, input, def.encrypted ? clearControl(def, isSet) : null);
  }

  // A stored secret cannot be shown, so an empty field keeps it: clearing it is a
  // button of its own (and Undo until the values are kept).
  function clearControl(def, isSet) {
    if (!can.test_functions) return null;
    const cleared = typed.get(def.name) === null;
    if (!isSet && !cleared) return null;
    const button = h("button", { type: "button", class: "link clear-secret", "data-clear": def.name },
      cleared ? "Undo clear" : `Clear ${def.name}`);
    button.addEventListener("click", () => {
      if (cleared) typed.delete(def.name);
      else typed.set(def.name, null);
      render(definitions, masked);
    });
    return button;
  }

  function definitionCard(def, index) {
    const readOnly = !can.edit_functions;
    const field = (key, label, attrs = {}) => {
      const input = h("input", { type: "text", id: `def-${index}-${key}`, value: def[key] || "", disabled: readOnly, ...attrs });
      input.addEventListener("change", () => {
        const old = def[key];
        def[key] = input.value.trim();
        if (key === "name" && typed.has(old)) typed.set(def[key], typed.get(old));
        emit();
      });
      return h("div", { class: "field" }, h("label", { for: input.id }, label), input, h("p", { class: "error", "data-error": `settings[${index}].${key}` }));
    };
    const type = h("select", { id: `def-${index}-type`, disabled: readOnly }, TYPES.map(([v, l]) => h("option", { value: v, selected: def.type === v }, l)));
    type.addEventListener("change", () => {
      def.type = type.value;
      typed.delete(def.name);
      emit();
      render(definitions, masked);
    });
    const flag = (key, label) => {
      const box = h("input", { type: "checkbox", id: `def-${index}-${key}`, checked: def[key], disabled: readOnly });
      box.addEventListener("change", () => {
        def[key] = box.checked;
        emit();
        if (key === "encrypted") render(definitions, masked);
      });
      return h("label", { class: "check", for: box.id }, box, ` ${label}`);
    };
    const remove = readOnly ? null : h("button", { type: "button", class: "link danger-link", "aria-label": `Remove setting ${def.name}` }, "Remove");
    if (remove) remove.addEventListener("click", () => {
      definitions.splice(index, 1);
      emit();
      render(definitions, masked);
    });
    return h("fieldset", { class: "setting-def", "data-setting": def.name },
      h("legend", {}, h("code", {}, `settings.${def.name || "…"}`)),
      h("div", { class: "row" }, field("name", "Name", { spellcheck: "false", placeholder: "apiKey" }), field("label", "Label")),
      h("div", { class: "row" }, h("div", { class: "field" }, h("label", { for: type.id }, "Type"), type), h("div", { class: "field flags" }, flag("required", "Required"), flag("encrypted", "Encrypted (secret)"))),
      field("description", "Description"),
      testInput(def, index),
      remove);
  }

  function render(defs, maskedValues = masked) {
    definitions = defs.map((d) => ({ ...d }));
    masked = maskedValues || {};
    container.replaceChildren(...(definitions.length ? definitions.map(definitionCard) : [h("p", { class: "muted" }, "No settings defined.")]));
  }

  const add = document.getElementById("add-setting");
  if (add) add.addEventListener("click", () => {
    let n = definitions.length + 1;
    while (definitions.some((d) => d.name === `setting${n}`)) n += 1;
    definitions.push({ name: `setting${n}`, label: `Setting ${n}`, description: "", type: "string", required: false, encrypted: false });
    emit();
    render(definitions, masked);
    const inputs = container.querySelectorAll(".setting-def");
    inputs[inputs.length - 1].querySelector("input").focus();
  });

  return {
    render,
    // Values typed for this run, over the stored test values on the server: null
    // clears one (Clear, or a plain value emptied); an empty secret keeps the stored one.
    testValues() {
      const values = {};
      for (const def of definitions) {
        if (!typed.has(def.name)) continue;
        const value = typed.get(def.name);
        if (value === "" && def.type === "string") {
          if (!def.encrypted && masked[def.name] !== undefined) values[def.name] = null;
          continue;
        }
        values[def.name] = value;
      }
      return values;
    },
    // What was typed, as typed: kept per sample while another one is shown.
    typedValues() {
      return Object.fromEntries(typed);
    },
    // The test values of another request: its stored ones (masked) and what was typed
    // for it. A sample brings the settings it runs with, and one without a secret must
    // not run with the previous sample's.
    show(maskedValues, typedValues = {}) {
      typed.clear();
      for (const [name, value] of Object.entries(typedValues)) typed.set(name, value);
      render(definitions, maskedValues);
    },
    showErrors(errors) {
      for (const node of container.querySelectorAll("[data-error]")) node.textContent = "";
      for (const [field, messages] of Object.entries(errors)) {
        const node = container.querySelector(`[data-error="${CSS.escape(field)}"]`);
        if (node) node.textContent = messages.join(" ");
      }
    },
  };
}

function parseList(type, text) {
  if (type === "array") return text.split("\n").map((s) => s.trim()).filter(Boolean);
  const map = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return map;
}
