// The Destinations section of a source page: where the source sends, with each
// destination's last 24 h, and for who manages the source the choice of where it sends
// (`PUT sources/<slug>/destinations/`, null for every enabled destination). Returns what
// refreshes the counts (the live debugger calls it after a burst of deliveries).
import { allPages, api, errorWords, wsApi } from "../lib/api.js";
import { $, $$, h, toast } from "../lib/dom.js";
import { plural } from "../lib/words.js";
import { countBadges, lagText, lastError } from "../lib/deliveries.js";

export function initSourceDestinations(data) {
  const path = wsApi(data.workspace);
  const routing = path(`sources/${data.slug}/destinations/`);
  const form = $("#routing-form");
  const load = async () => {
    try {
      const [state, all] = await Promise.all([
        api("GET", routing),
        form ? allPages(path("destinations/")) : null,
      ]);
      showState(data, state);
      if (form) showChoices(data, form, state, all);
    } catch (error) {
      toast(error.message, "error");
    }
  };
  if (form) wireRouting(data, form, routing);
  load();
  return async () => showState(data, await api("GET", routing)); // the counts, again
}

function showState(data, state) {
  const line = $("#routing-line");
  const receiving = state.receiving;
  if (state.destinations === null) {
    line.textContent = receiving.length
      ? "Sends to every enabled destination of the workspace (the default)."
      : "Sends to every enabled destination of the workspace, and it has none yet: what the function emits stays in the product's own stores.";
  } else {
    line.textContent = receiving.length
      ? "Sends only to the destinations chosen for it."
      : "Sends to no destination: what the function emits stays in the product's own stores.";
  }
  $("#receiving").hidden = receiving.length === 0;
  $("#receiving tbody").replaceChildren(...receiving.map((d) => h("tr", { "data-destination": d.id },
    h("th", { scope: "row" }, d.name, d.enabled ? null : h("span", { class: "badge", title: "A disabled destination receives nothing until it is enabled." }, "disabled")),
    h("td", {}, data.destination_kinds[d.kind] || d.kind),
    h("td", {}, countBadges(d)),
    h("td", { class: "nowrap" }, lagText(d.lag_s)),
    h("td", {}, lastError(d.last_error)))));
}

function showChoices(data, form, state, all) {
  const chosen = state.destinations === null
    ? new Set(all.filter((d) => d.enabled).map((d) => d.id))
    : new Set(state.destinations);
  $$('[name="routing"]', form).forEach((radio) => {
    radio.checked = radio.value === (state.destinations === null ? "all" : "chosen");
  });
  $("#routing-choices", form).replaceChildren(...all.map((d) => h("li", {},
    h("label", { class: "check" },
      h("input", { type: "checkbox", name: "destination", value: d.id, checked: chosen.has(d.id) }),
      ` ${d.name} `, h("span", { class: "muted" }, `(${data.destination_kinds[d.kind] || d.kind})`),
      d.enabled ? null : h("span", { class: "badge" }, "disabled")))));
  if (!all.length) $("#routing-choices", form).append(h("li", { class: "muted" }, "The workspace has no destinations yet: owners create them on the Destinations page."));
  form.hidden = false;
}

function wireRouting(data, form, routing) {
  // Ticking a destination means choosing them.
  form.addEventListener("change", (event) => {
    if (event.target.name === "destination") $('[name="routing"][value="chosen"]', form).checked = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const slot of $$("[data-error]", form)) slot.textContent = "";
    const every = $('[name="routing"][value="all"]', form).checked;
    const ids = $$('[name="destination"]:checked', form).map((box) => Number(box.value));
    try {
      const state = await api("PUT", routing, { destinations: every ? null : ids });
      showState(data, state);
      toast(every ? "The source sends to every enabled destination." : `The source sends to ${plural(ids.length, "destination")}.`);
    } catch (error) {
      const slot = $(error.errors.destinations ? '[data-error="destinations"]' : '[data-error="form"]', form);
      slot.textContent = errorWords(error);
    }
  });
}
