// Destinations: the list with each one's last 24 h (every member), and for owners the
// create form per kind, edit, enable/disable, delete, Send test and the replay of its
// delivery dead letters (docs/destinations.md).
import { allPages, api, errorWords, wsApi } from "../lib/api.js";
import { $, h, pageData, toast } from "../lib/dom.js";
import { plural } from "../lib/words.js";
import { formatTime } from "../lib/time.js";
import { countBadges, lagText, lastError } from "../lib/deliveries.js";
import { commonFields, kindFields, readDestinationForm, showDestinationErrors } from "../lib/destination-form.js";

export function initDestinations() {
  const data = pageData("destinations-data");
  const page = { data, path: wsApi(data.workspace), groups: new Map() };
  allPages(page.path("destinations/"))
    .then((destinations) => {
      for (const destination of destinations) showDestination(page, destination);
      $("#no-destinations").hidden = destinations.length > 0;
    })
    .catch((error) => toast(error.message, "error"));
  if (data.can_manage) wireCreate(page);
}

// A destination is a <tbody>: its row, then a row for what was opened under it (the
// edit form, the answer of Send test, its dead letters).
function showDestination(page, destination) {
  const known = page.groups.get(destination.id);
  const row = destinationRow(page, destination);
  if (known) {
    known.row.replaceWith(row);
    known.row = row;
    known.destination = destination;
    return;
  }
  const panel = h("td", { colspan: page.data.can_manage ? 8 : 7 },
    h("div", { class: "test-result", hidden: true, "aria-live": "polite" }),
    h("div", { class: "edit-area", hidden: true }),
    deadLetters(page, destination.id));
  const group = h("tbody", { class: "destination", "data-destination": destination.id },
    row, h("tr", { class: "destination-panel" }, panel));
  page.groups.set(destination.id, { row, panel, destination, group });
  $("#destinations").append(group);
}

const KIND_NOTES = {
  segment: (d, data) => {
    const preset = data.presets.find((p) => p.value === (d.config.preset || "custom"));
    return [preset ? preset.name : d.config.preset, d.config.base_url].filter(Boolean).join(" · ");
  },
  webhook: (d) => d.config.url,
};

function destinationRow(page, d) {
  const kind = page.data.kinds.find((k) => k.value === d.kind);
  const messages = page.data.messages.find(([value]) => value === d.messages);
  const note = KIND_NOTES[d.kind] ? KIND_NOTES[d.kind](d, page.data) : "";
  const stats = d.stats || {};
  return h("tr", { class: "destination-row" },
    h("th", { scope: "row" }, d.name),
    h("td", {}, kind ? kind.label : d.kind, note ? h("div", { class: "muted small" }, h("code", {}, note)) : null),
    h("td", {}, messages ? messages[1] : d.messages),
    h("td", {}, h("span", { class: `badge ${d.enabled ? "ok" : ""}`, "data-state": "" }, d.enabled ? "enabled" : "disabled")),
    h("td", {}, countBadges(stats)),
    h("td", { class: "nowrap" }, lagText(stats.lag_s)),
    h("td", { class: "last-error" }, lastError(stats.last_error)),
    page.data.can_manage ? h("td", { class: "actions" }, actions(page, d)) : null);
}

function actions(page, d) {
  const button = (label, onclick, cls = "link") => h("button", { type: "button", class: cls, onclick }, label);
  return h("div", { class: "row-actions" },
    button("Edit", () => openEdit(page, d.id)),
    button("Send test", (event) => sendTest(page, d.id, event.currentTarget)),
    button(d.enabled ? "Disable" : "Enable", () => setEnabled(page, d.id, !d.enabled)),
    button("Delete", () => remove(page, d.id), "link danger-link"));
}

async function refresh(page, id) {
  try {
    showDestination(page, await api("GET", page.path(`destinations/${id}/`)));
  } catch (error) {
    toast(error.message, "error");
  }
}

function wireCreate(page) {
  const { data } = page;
  const form = $("#create-form");
  const kind = $("#create-kind");
  kind.replaceChildren(...data.kinds.map((k) => h("option", { value: k.value }, k.label)));
  // One fieldset per kind, all kept: switching kinds loses nothing typed.
  const fieldsets = data.kinds.map((k) => kindFields(data, k.value, "create"));
  $("#create-fields").replaceChildren(...commonFields(data, "create"), ...fieldsets);
  const chosen = () => fieldsets.find((f) => f.dataset.kind === kind.value);
  const show = () => fieldsets.forEach((f) => (f.hidden = f !== chosen()));
  kind.addEventListener("change", show);
  show();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const body = { ...readDestinationForm(form, chosen()), kind: kind.value };
      const created = await api("POST", page.path("destinations/"), body);
      showErrors(form, {});
      showSecretOnce(created.generated && created.generated.secret);
      showDestination(page, created);
      $("#no-destinations").hidden = true;
      $("#create-name").value = "";
      for (const input of chosen().querySelectorAll("input[type=password]")) input.value = "";
      toast(`Destination ${created.name} created.`);
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
}

function showErrors(form, error) {
  showDestinationErrors(form, { errors: {}, message: "", ...error });
}

function showSecretOnce(secret) {
  const box = $("#secret-once");
  box.hidden = !secret;
  $("#new-secret").value = secret || "";
  if (secret) $("#new-secret").focus();
}

function openEdit(page, id) {
  const group = page.groups.get(id);
  const area = $(".edit-area", group.panel);
  if (!area.hidden) {
    area.hidden = true;
    return;
  }
  const d = group.destination;
  const prefix = `edit-${id}`;
  const fieldset = kindFields(page.data, d.kind, prefix, d);
  const form = h("form", { class: "edit-form form-card", novalidate: true },
    h("h3", {}, `Edit ${d.name}`), ...commonFields(page.data, prefix, d), fieldset,
    h("p", { class: "error", "data-error": "form", role: "alert" }),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => (area.hidden = true) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = readDestinationForm(form, fieldset);
      showDestination(page, await api("PATCH", page.path(`destinations/${id}/`), body));
      area.hidden = true;
      toast("Destination saved: it was checked and works.");
    } catch (error) {
      showErrors(form, error);
    }
  });
  area.replaceChildren(form);
  area.hidden = false;
  $("input", form).focus();
}

async function sendTest(page, id, button) {
  const box = $(".test-result", page.groups.get(id).panel);
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    box.replaceChildren(testAnswer(await api("POST", page.path(`destinations/${id}/test/`))));
    box.hidden = false;
  } catch (error) {
    toast(errorWords(error), "error");
  } finally {
    button.disabled = false;
    button.textContent = "Send test";
  }
}

function testAnswer(answer) {
  const took = [answer.status === null || answer.status === undefined ? "" : `HTTP ${answer.status}`,
    `${Number(answer.seconds).toFixed(3)} s`].filter(Boolean).join(" · ");
  return h("div", { class: `answer ${answer.ok ? "ok" : "err"}` },
    h("p", {}, h("strong", {}, "Send test: "),
      h("span", { class: `badge ${answer.ok ? "ok" : "err"}`, "data-answer": answer.ok ? "ok" : "refused" },
        answer.ok ? "taken" : "not taken"),
      ` ${took}`),
    answer.error ? h("p", { class: "error" }, answer.error) : null,
    // Taken, `detail` is the product's summary of what it sent; refused, the first 1 KB
    // of the destination's own answer.
    answer.detail && answer.ok ? h("p", { class: "answer-detail" }, answer.detail) : null,
    answer.detail && !answer.ok ? [h("p", { class: "muted small" }, "What the destination answered (first 1 KB):"),
      h("pre", { class: "answer-detail" }, answer.detail)] : null);
}

async function setEnabled(page, id, enabled) {
  try {
    const changed = await api("PATCH", page.path(`destinations/${id}/`), { enabled });
    showDestination(page, changed);
    toast(enabled ? `${changed.name} enabled.` : `${changed.name} disabled: nothing new is delivered to it.`);
  } catch (error) {
    toast(errorWords(error), "error");
  }
}

async function remove(page, id) {
  const group = page.groups.get(id);
  const { name } = group.destination;
  if (!confirm(`Delete ${name}? Its deliveries and dead letters go with it; what it took stays where it went.`)) return;
  try {
    await api("DELETE", page.path(`destinations/${id}/`));
    group.group.remove();
    page.groups.delete(id);
    $("#no-destinations").hidden = page.groups.size > 0;
    toast(`Destination ${name} deleted.`);
  } catch (error) {
    toast(errorWords(error), "error");
  }
}

// Deliveries the destination refused for good (or past the retry window), loaded when
// opened; owners send them again one by one or all.
function deadLetters(page, id) {
  const list = h("ul", { class: "dead-letters" });
  const head = h("div", { class: "section-head" });
  const details = h("details", { class: "delivery-dead-letters" },
    h("summary", {}, "Delivery dead letters"), head, list);
  const load = async () => {
    try {
      const found = await api("GET", page.path(`destinations/${id}/dead-letters/?limit=50`));
      head.replaceChildren(h("span", { class: "muted" }, found.count ? `${plural(found.count, "dead letter")}, newest first.` : "None: nothing was refused for good."));
      if (page.data.can_manage && found.count) head.append(h("button", { type: "button", onclick: () => replay({ all: true }) }, "Replay all"));
      list.replaceChildren(...found.results.map((letter) => deadLetter(page, letter, replay)));
    } catch (error) {
      toast(error.message, "error");
    }
  };
  const replay = async (body) => {
    try {
      const done = await api("POST", page.path(`destinations/${id}/dead-letters/replay/`), body);
      toast(`Sending ${plural(done.replayed.length, "delivery", "deliveries")} again.`);
      await load();
      await refresh(page, id);
    } catch (error) {
      toast(errorWords(error), "error");
    }
  };
  details.addEventListener("toggle", () => details.open && load());
  return details;
}

// A dead letter's event and object counts are what it delivered before it failed (part
// of a batch); its time is when its output was recorded (a dead letter's
// next_attempt_at is no time anything happened).
function deadLetter(page, letter, replay) {
  const taken = [letter.event_count && plural(letter.event_count, "event"), letter.object_count && plural(letter.object_count, "object")]
    .filter(Boolean).join(", ");
  return h("li", { class: "dead-letter", "data-delivery": letter.id },
    h("div", {},
      h("div", {}, formatTime(letter.created_at), ` · source ${letter.source}`, taken ? ` · ${taken} delivered` : "",
        ` · ${plural(letter.attempts, "attempt")}`, letter.http_status ? ` · HTTP ${letter.http_status}` : ""),
      h("div", { class: "error" }, letter.error || "No error recorded.")),
    page.data.can_manage ? h("button", { type: "button", onclick: () => replay({ ids: [letter.id] }) }, "Replay") : null);
}
