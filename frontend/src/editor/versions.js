// Versions: history, a side-by-side diff (Monaco's diff editor) of any two of
// {draft, deployed, vN}, and restore into the draft.
import { allPages, api } from "../lib/api.js";
import { $, h, openDialog, toast } from "../lib/dom.js";
import { formatTime } from "../lib/time.js";
import { monaco } from "../lib/monaco.js";

export function initVersions({ path, can, codeModel, getState, onRestore, isDirty }) {
  let list = [];
  let diffEditor = null;
  const cache = new Map();

  async function codeOf(choice) {
    const state = getState();
    if (choice === "draft") return codeModel.getValue();
    const number = choice === "deployed" ? state.fn && state.fn.deployed_version : Number(choice);
    if (!number) return "";
    if (!cache.has(number)) cache.set(number, (await api("GET", path(`functions/${state.functionId}/versions/${number}/`))).code);
    return cache.get(number);
  }
  const labelOf = (choice) => choice === "draft" ? "Draft (editor)" : choice === "deployed" ? `Deployed (v${getState().fn.deployed_version})` : `v${choice}`;

  async function showDiff(left, right) {
    const [original, modified] = await Promise.all([codeOf(left), codeOf(right)]);
    $("#code").hidden = true;
    $("#diff-pane").hidden = false;
    $("#diff-title").textContent = `${labelOf(left)} ↔ ${labelOf(right)}`;
    if (!diffEditor) {
      diffEditor = monaco.editor.createDiffEditor($("#diff"), { automaticLayout: true, readOnly: true, renderSideBySide: true, minimap: { enabled: false }, originalEditable: false, hideUnchangedRegions: { enabled: true } });
    }
    const old = diffEditor.getModel();
    diffEditor.setModel({ original: monaco.editor.createModel(original, "javascript"), modified: monaco.editor.createModel(modified, "javascript") });
    if (old) {
      old.original.dispose();
      old.modified.dispose();
    }
    $("#close-diff").focus();
  }
  $("#close-diff").addEventListener("click", () => {
    $("#diff-pane").hidden = true;
    $("#code").hidden = false;
  });
  $("#show-diff").addEventListener("click", () => showDiff($("#diff-left").value, $("#diff-right").value));

  // What restoring would lose: changes that are in no version (unsaved ones in the
  // editor, or a saved draft that was never deployed), in words; null when nothing.
  async function whatRestoreLoses(number) {
    if (isDirty()) return "your unsaved changes in the editor";
    const saved = getState().savedCode;
    const kept = await Promise.all([codeOf("deployed"), codeOf(String(number))]).catch(() => []);
    return kept.includes(saved) ? null : "the saved draft, whose changes were never deployed";
  }

  function confirmRestore(number, lost) {
    const dialog = $("#restore-dialog");
    $("#restore-title").textContent = `Restore v${number} into the draft?`;
    $("#restore-text").textContent = `v${number} takes the place of ${lost}, and is saved as the draft. ` +
      "Those changes are in no version: once replaced, they are gone for good.";
    $("#restore-confirm").textContent = `Replace with v${number}`;
    dialog.returnValue = "";
    openDialog(dialog);
    $("#restore-confirm").focus();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "restore"), { once: true }));
  }

  async function restore(number) {
    const lost = await whatRestoreLoses(number);
    if (lost && !(await confirmRestore(number, lost))) return;
    try {
      const fn = await api("POST", path(`functions/${getState().functionId}/versions/${number}/restore/`));
      onRestore(fn);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function render() {
    const state = getState();
    const choices = [["draft", "Draft (editor)"], ...(state.fn && state.fn.deployed_version ? [["deployed", `Deployed (v${state.fn.deployed_version})`]] : []), ...list.map((v) => [String(v.number), `v${v.number}`])];
    for (const [id, preferred] of [["diff-left", "deployed"], ["diff-right", "draft"]]) {
      const select = $(`#${id}`);
      const keep = select.value;
      select.replaceChildren(...choices.map(([value, label]) => h("option", { value }, label)));
      select.value = choices.some(([v]) => v === keep) ? keep : choices.some(([v]) => v === preferred) ? preferred : "draft";
    }
    $("#versions").replaceChildren(...(list.length ? list.map((v) => h("li", { class: "version", "data-version": v.number },
      h("div", {}, h("strong", {}, `v${v.number}`), state.fn && state.fn.deployed_version === v.number ? h("span", { class: "badge ok" }, "deployed") : null,
        " ", h("span", { class: "muted" }, `${v.author || "—"} · ${formatTime(v.created_at)}`)),
      v.message ? h("p", {}, v.message) : null,
      h("div", { class: "version-actions" },
        h("button", { type: "button", class: "link", onclick: () => showDiff(String(v.number), "draft") }, "Diff with draft"),
        can.edit_functions ? h("button", { type: "button", class: "link", onclick: () => restore(v.number) }, "Restore into draft") : null)))
      : [h("li", { class: "muted" }, state.functionId ? "No versions yet: Save & Deploy makes version 1." : "Create the function first.")]));
  }

  return {
    async reload() {
      const state = getState();
      if (state.functionId) {
        try {
          list = await allPages(path(`functions/${state.functionId}/versions/`));
        } catch (error) {
          toast(error.message, "error");
        }
      }
      render();
    },
  };
}
