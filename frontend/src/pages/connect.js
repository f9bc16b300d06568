// Connect a source: name + settings generated from the deployed version's definitions.
import { api, wsApi } from "../lib/api.js";
import { $, pageData, showErrors } from "../lib/dom.js";
import { readSettingsForm, renderSettingsForm } from "../lib/settings-form.js";

export function initConnect() {
  const data = pageData("connect-data");
  if (!data) return;
  const form = $("#connect-form");
  const fields = $("#settings-form");
  renderSettingsForm(fields, data.settings);
  $("#source-name").focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const source = await api("POST", wsApi(data.workspace)("sources/"), {
        name: $("#source-name").value.trim(),
        function: data.function,
        version: data.version,
        follow_deployed: $("#follow-deployed").checked,
        settings: readSettingsForm(fields, data.settings),
      });
      location.assign(`/workspaces/${data.workspace}/sources/${source.slug}/`);
    } catch (error) {
      showErrors(form, error);
      button.disabled = false;
    }
  });
}
