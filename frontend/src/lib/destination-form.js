// The fields of a destination, as the create and edit forms of the Destinations page
// ask them. Which fields each kind has, and which are required, come from the page data
// (the service's table); the words for them are here. Credentials are write-only: an
// edit shows "set", and an empty credential field keeps the stored value.
import { $, $$, h } from "./dom.js";

const WORDS = {
  preset: { label: "Service" },
  base_url: { label: "Base URL", placeholder: "https://collector.example.com" },
  write_key: { label: "Write key", help: "Sent as the basic-auth user of every request." },
  url: { label: "URL", placeholder: "https://example.com/webhooks/functions",
    help: "Batches are POSTed here as JSON, signed in the X-Signature header." },
  secret: { label: "Signing secret", help: "At least 16 characters. Leave empty to have one generated: it is shown once." },
  dsn: { label: "PostgreSQL DSN", placeholder: "postgresql://loader:password@db.example.com:5432/analytics",
    help: "Each source loads into a schema of its name in this database." },
};
const ORDER = ["preset", "base_url", "url", "write_key", "secret", "dsn"];

// Where a kind's check refusal ("could not connect: …") is shown: the field it is about.
const byOrder = (a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name);

// The name, messages and (when creating) enabled fields; `prefix` keeps ids unique.
export function commonFields(data, prefix, destination) {
  const id = (name) => `${prefix}-${name}`;
  return [
    h("label", { for: id("name") }, "Name", h("span", { class: "req", title: "required" }, " *")),
    h("input", { type: "text", id: id("name"), name: "name", maxlength: 100, autocomplete: "off",
      value: destination ? destination.name : "" }),
    h("p", { class: "error", "data-error": "name" }),
    h("label", { for: id("messages") }, "Messages"),
    h("select", { id: id("messages"), name: "messages" }, data.messages.map(([value, label]) =>
      h("option", { value, selected: (destination ? destination.messages : "all") === value }, label))),
    h("p", { class: "error", "data-error": "messages" }),
    destination ? null : h("label", { class: "check" },
      h("input", { type: "checkbox", name: "enabled", checked: true }), " Enabled: deliver to it from now on"),
  ];
}

// The fieldset of one kind's configuration and credentials.
export function kindFields(data, kind, prefix, destination) {
  const spec = data.kinds.find((k) => k.value === kind);
  const fieldset = h("fieldset", { class: "kind-fields", "data-kind": kind },
    h("legend", {}, spec.label));
  const config = (destination && destination.config) || {};
  const set = (destination && destination.credentials) || {};
  for (const field of [...spec.config].sort(byOrder)) {
    fieldset.append(configField(data, field, `${prefix}-${kind}`, config[field.name]));
  }
  for (const field of [...spec.credentials].sort(byOrder)) {
    fieldset.append(credentialField(field, `${prefix}-${kind}`, Boolean(destination), set[field.name] === "set"));
  }
  fieldset.append(h("p", { class: "error", "data-error": "config" }), h("p", { class: "error", "data-error": "credentials" }));
  if (kind === "duckdb") fieldset.append(warehouseHint(data));
  if (kind === "segment") wirePresets(data, fieldset);
  fieldset.append(h("p", { class: "error", "data-error": "kind" }));
  return fieldset;
}

function labelFor(id, field, words) {
  return h("label", { for: id }, words.label || field.name,
    field.required ? h("span", { class: "req", title: "required" }, " *") : null);
}

function configField(data, field, prefix, value) {
  const words = WORDS[field.name] || {};
  const id = `${prefix}-${field.name}`;
  const input = field.name === "preset"
    ? h("select", { id, name: "config.preset" }, data.presets.map((p) =>
      h("option", { value: p.value, selected: (value || "segment") === p.value }, p.name)))
    : h("input", { type: "text", id, name: `config.${field.name}`, autocomplete: "off",
      placeholder: words.placeholder || "", value: value || "" });
  return h("div", { class: "field-block" }, labelFor(id, field, words), input,
    h("p", { class: "help muted", "data-help": field.name }, words.help || ""),
    h("p", { class: "error", "data-error": `config.${field.name}` }));
}

function credentialField(field, prefix, editing, isSet) {
  const words = WORDS[field.name] || {};
  const id = `${prefix}-${field.name}`;
  const placeholder = editing ? (isSet ? "set: leave empty to keep it" : "not set") : (words.placeholder || "");
  return h("div", { class: "field-block" },
    labelFor(id, { ...field, required: field.required && !(editing && isSet) }, words),
    h("input", { type: "password", id, name: `credentials.${field.name}`, autocomplete: "new-password", placeholder }),
    editing ? h("span", { class: `badge ${isSet ? "ok" : ""}`, "data-credential": field.name }, isSet ? "set" : "not set") : null,
    h("p", { class: "help muted", "data-help": field.name }, editing && field.name === "secret" ? "Leave empty to keep the stored secret." : words.help || ""),
    h("p", { class: "error", "data-error": `credentials.${field.name}` }));
}

function warehouseHint(data) {
  const query = `.venv/bin/duckdb -readonly ${data.warehouse_path} "select * from ${data.example_source}.tracks"`;
  return h("div", { class: "hint" },
    h("p", {}, "Nothing to fill in: the embedded warehouse is this workspace's DuckDB file ",
      h("code", {}, data.warehouse_path), ", with a schema per source. Query it while the product runs:"),
    h("pre", { class: "command" }, query),
    h("p", { class: "help muted" }, "The product holds the file only while it loads: if the query says ",
      h("code", {}, "Could not set lock on file"), ", run it again a moment later (docs/destinations.md)."));
}

// A preset fills in what the service needs: its base URL (or an example of one), what
// the write key is, and a note on what a check proves with it.
function wirePresets(data, fieldset) {
  const select = $('[name="config.preset"]', fieldset);
  const baseUrl = $('[name="config.base_url"]', fieldset);
  const show = () => {
    const preset = data.presets.find((p) => p.value === select.value) || {};
    baseUrl.placeholder = preset.base_url || preset.base_url_example || WORDS.base_url.placeholder;
    const example = preset.base_url_example ? ` Which one: ${preset.base_url_example}.` : "";
    $('[data-help="base_url"]', fieldset).textContent = preset.base_url
      ? `Leave empty for ${preset.base_url}.${example}`
      : `Required for ${preset.name || "this service"}.${example}`;
    const help = [preset.write_key_help, preset.check_note,
      preset.takes_objects === false ? `${preset.name} has no Object API: it takes events only.` : ""];
    // The space before the link stays outside it, so the underline starts at the word.
    $('[data-help="write_key"]', fieldset).replaceChildren(help.filter(Boolean).join(" ") || WORDS.write_key.help,
      ...(preset.docs_url ? [" ", h("a", { href: preset.docs_url, target: "_blank", rel: "noopener" }, `${preset.name} docs`)] : []));
  };
  select.addEventListener("change", show);
  show();
}

// What the form says, for the API. Credentials left empty are not sent: on a change
// the stored ones are kept, on a creation a webhook's secret is generated.
export function readDestinationForm(form, fieldset) {
  const body = { config: {}, credentials: {} };
  const name = $('[name="name"]', form);
  if (name) body.name = name.value.trim();
  const messages = $('[name="messages"]', form);
  if (messages) body.messages = messages.value;
  const enabled = $('[name="enabled"]', form);
  if (enabled) body.enabled = enabled.checked;
  for (const input of $$("[name^='config.']", fieldset)) body.config[input.name.slice(7)] = input.value.trim();
  for (const input of $$("[name^='credentials.']", fieldset)) {
    if (input.value !== "") body.credentials[input.name.slice(12)] = input.value;
  }
  return body;
}

// The API's 400 `errors` by field next to their fields; the rest in the form's own
// line. Nothing typed is touched.
export function showDestinationErrors(form, error) {
  for (const node of $$("[data-error]", form)) node.textContent = "";
  const unplaced = [];
  for (const [field, messages] of Object.entries(error.errors || {})) {
    // A failed check names the field to fix (ingest.destinations.CHECKED_FIELD). Each
    // kind's fieldset has its own "config" slot: the one shown, not the first.
    const slot = $$(`[data-error="${CSS.escape(field)}"]`, form).find((node) => !node.closest("[hidden]"));
    if (slot) slot.textContent = messages.join(" ");
    else unplaced.push(...messages);
  }
  const general = $('[data-error="form"]', form);
  const anyField = Object.keys(error.errors || {}).length > 0;
  general.textContent = unplaced.length ? unplaced.join(" ") : anyField ? "" : error.message;
  const first = $$("[data-error]", form).find((node) => node.textContent);
  if (first) first.scrollIntoView({ block: "nearest" });
}
