// Functions catalog: New Function dialog and the function side sheet.
import { api, wsApi } from "../lib/api.js";
import { $, h, openDialog, pageData, toast } from "../lib/dom.js";

export function initCatalog() {
  const ws = pageData("workspace-slug");
  const sheetData = pageData("sheet-data") || {};
  const path = wsApi(ws);
  const sheet = $("#function-sheet");
  let current = null;
  let opener = null;

  firstRunGuide(ws, path);

  const newButton = $("#new-function");
  if (newButton) newButton.addEventListener("click", () => openDialog($("#new-function-dialog")));

  const open = (id, button) => {
    current = sheetData[id];
    opener = button;
    $("#sheet-title").textContent = current.name;
    $(".sheet-description", sheet).textContent = current.description || "No description.";
    $(".sheet-version", sheet).textContent = current.deployed_version
      ? `Deployed version: v${current.deployed_version}` : "Not deployed yet: deploy it from the editor to connect sources.";
    $('[data-action="edit"]', sheet).href = `/workspaces/${ws}/functions/${current.id}/`;
    const connect = $('[data-action="connect"]', sheet);
    if (connect) {
      connect.href = `/workspaces/${ws}/sources/new/?function=${current.id}`;
      connect.hidden = !current.deployed_version;
    }
    const list = $(".sheet-sources", sheet);
    list.replaceChildren(...(current.sources.length ? current.sources.map((s) =>
      h("li", {}, h("a", { href: `/workspaces/${ws}/sources/${s.slug}/` }, s.name), ` v${s.version}`,
        s.behind ? h("span", { class: "badge warn" }, "behind") : null,
        s.enabled ? null : h("span", { class: "badge" }, "disabled"))) : [h("li", { class: "muted" }, "No sources yet.")]));
    for (const row of document.querySelectorAll("#function-list tr[data-function]")) {
      row.classList.toggle("selected", row.dataset.function === String(id));
    }
    sheet.hidden = false;
    document.body.classList.add("sheet-open");
    $(".close-sheet", sheet).focus();
  };
  const close = ({ refocus = true } = {}) => {
    if (sheet.hidden) return;
    sheet.hidden = true;
    document.body.classList.remove("sheet-open");
    for (const row of document.querySelectorAll("#function-list tr.selected")) row.classList.remove("selected");
    if (refocus && opener) opener.focus();
  };
  // The whole row opens the sheet (its name is the button for the keyboard); a click
  // anywhere else but in the sheet or a dialog closes it, and still does what it clicked.
  document.addEventListener("click", (event) => {
    const row = event.target.closest("#function-list tr[data-function]");
    if (row) return open(row.dataset.function, $(".open-sheet", row));
    if (!sheet.hidden && !sheet.contains(event.target) && !event.target.closest("dialog")) {
      close({ refocus: false });
    }
  });
  $(".close-sheet", sheet).addEventListener("click", () => close());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !sheet.hidden && !document.querySelector("dialog[open]")) close();
  });

  const deleteButton = $('[data-action="delete"]', sheet);
  if (deleteButton) deleteButton.addEventListener("click", () => {
    const dialog = $("#delete-dialog");
    const n = current.sources.length;
    $(".delete-text", dialog).textContent = n
      ? `“${current.name}” and ${n === 1 ? "this source" : `these ${n} sources`} will be deleted; ${n === 1 ? "its webhook URL stops" : "their webhook URLs stop"} working:`
      : `“${current.name}” and all its versions will be deleted.`;
    $(".delete-sources", dialog).replaceChildren(...current.sources.map((s) => h("li", {}, s.name)));
    dialog.returnValue = "";
    openDialog(dialog);
    dialog.onclose = async () => {
      if (dialog.returnValue !== "confirm") return;
      try {
        await api("DELETE", path(`functions/${current.id}/?force=${n ? "true" : "false"}`));
        toast(`Deleted ${current.name}.`);
        location.reload();
      } catch (error) {
        toast(error.message, "error");
      }
    };
  });
}

// The empty catalog's three steps. The test URL of step 2 is a scratch one of this user
// (ingest/catcher.py), kept for the next visit and handed to the editor of step 1, which
// listens to it: what was sent before the template was picked is there to run.
const GUIDE_KEY = (ws) => `first-run-catcher:${ws}`;

async function firstRunGuide(ws, path) {
  if (!$("#first-run")) return;
  let scratch = null;
  const kept = localStorage.getItem(GUIDE_KEY(ws));
  if (kept) scratch = await api("GET", path(`catchers/${kept}/`)).catch(() => null);
  try {
    if (!scratch || Date.parse(scratch.expires_at) < Date.now() + 60 * 60 * 1000) scratch = await api("POST", path("catchers/"));
  } catch (error) {
    $("#first-run-url").placeholder = error.message;
    return;
  }
  localStorage.setItem(GUIDE_KEY(ws), String(scratch.id));
  $("#first-run-url").value = scratch.url;
  const curl = $("#first-run-curl");
  curl.textContent = `curl -X POST '${scratch.url}' -H 'Content-Type: application/json' \\\n  -d '{"type": "track", "event": "Signed Up", "userId": "u1"}'`;
  curl.hidden = false;
  const pick = $("#first-run-pick");
  pick.href = `${pick.getAttribute("href")}?catcher=${scratch.id}`;
}
