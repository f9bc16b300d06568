// A settings form generated from setting definitions ({name, label, description, type,
// required, encrypted}). Secret values are write-only: the server says {"set": bool};
// an empty secret input keeps the stored value.
import { h } from "./dom.js";

function inputFor(def, value) {
  const id = `setting-${def.name}`;
  const secret = def.encrypted;
  const isSet = value && typeof value === "object" && "set" in value ? value.set : false;
  if (def.type === "boolean") {
    return h("input", { type: "checkbox", id, name: def.name, checked: value === true });
  }
  if (def.type === "array") {
    return h("textarea", { id, name: def.name, rows: 3, placeholder: "One value per line" },
      Array.isArray(value) ? value.join("\n") : "");
  }
  if (def.type === "text_map") {
    const text = value && typeof value === "object" && !("set" in value)
      ? Object.entries(value).map(([k, v]) => `${k}=${v}`).join("\n") : "";
    return h("textarea", { id, name: def.name, rows: 3, placeholder: "key=value, one per line" }, text);
  }
  return h("input", {
    type: secret ? "password" : "text",
    id,
    name: def.name,
    autocomplete: secret ? "new-password" : "off",
    placeholder: secret ? (isSet ? "•••••• (set; leave empty to keep)" : "not set") : "",
    value: !secret && typeof value === "string" ? value : "",
  });
}

export function renderSettingsForm(container, definitions, values = {}) {
  const legend = container.querySelector("legend");
  container.replaceChildren(...(legend ? [legend] : []));
  if (!definitions.length) {
    container.append(h("p", { class: "muted" }, "This function has no settings."));
    return;
  }
  for (const def of definitions) {
    const input = inputFor(def, values[def.name]);
    const label = h("label", { for: input.id },
      def.label || def.name, def.required ? h("span", { class: "req", title: "required" }, " *") : null,
      def.encrypted ? h("span", { class: "badge" }, "secret") : null);
    const help = def.description ? h("p", { class: "help muted" }, def.description) : null;
    const row = def.type === "boolean"
      ? h("div", { class: "setting check-row" }, input, label, help)
      : h("div", { class: "setting" }, label, input, help);
    row.append(h("p", { class: "error", "data-error": `settings.${def.name}` }));
    container.append(row);
  }
}

// The values the user typed, for the API: secrets left empty are not sent (kept).
export function readSettingsForm(container, definitions, { includeEmpty = false } = {}) {
  const values = {};
  for (const def of definitions) {
    const input = container.querySelector(`[name="${CSS.escape(def.name)}"]`);
    if (!input) continue;
    if (def.type === "boolean") {
      values[def.name] = input.checked;
    } else if (def.type === "array") {
      values[def.name] = input.value.split("\n").map((s) => s.trim()).filter(Boolean);
    } else if (def.type === "text_map") {
      const map = {};
      for (const line of input.value.split("\n")) {
        const at = line.indexOf("=");
        if (at > 0) map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      values[def.name] = map;
    } else if (input.value !== "") {
      values[def.name] = input.value;
    } else if (!def.encrypted && includeEmpty) {
      values[def.name] = null;
    }
  }
  return values;
}
