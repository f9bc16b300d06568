// The function's interface: onRequest(request, settings), or the legacy
// exports.processEvents(event). A Run that fails because the code is written for the
// other one gets the way to switch it (an owner's change, made by the server's rules)
// and the migration steps.
import { h } from "../lib/dom.js";

export const MIGRATION_URL = "/help/legacy-functions/";
export const INTERFACES = { onRequest: "onRequest(request, settings)", legacy: "legacy (exports.processEvents)" };

// Code that really is written for one interface: what its entry point is.
const LEGACY_CODE = /\b(?:module\.)?exports\.processEvents\s*=|\bmodule\.exports\s*=/;
const ON_REQUEST_CODE = /\bfunction\s+onRequest\s*\(|\bonRequest\s*=/;

// The interface the code is written for, when the run's error says it is not the one
// the function has (the runner's ReferenceError for the entry point it looked for).
export function wantedInterface(error, code, current) {
  if (!error || error.name !== "ReferenceError") return null;
  const message = String(error.message || "");
  if (current !== "legacy" && /^(exports|module) is not defined/.test(message) && LEGACY_CODE.test(code)) return "legacy";
  if (current === "legacy" && message.startsWith("exports.processEvents is not defined") && ON_REQUEST_CODE.test(code) && !LEGACY_CODE.test(code)) return "onRequest";
  return null;
}

// The controls under such an error: the migration steps, and the switch for who may
// change the function.
export function interfaceActions(wanted, { canEdit, onSwitch }) {
  const steps = h("a", { href: MIGRATION_URL, target: "_blank", rel: "noopener", "data-testid": "migration-link" },
    wanted === "legacy" ? "How to migrate it to onRequest" : "About the two interfaces");
  const label = wanted === "legacy" ? "Switch this function to the legacy interface" : "Switch this function to the onRequest interface";
  const button = canEdit ? h("button", { type: "button", class: "switch-interface", "data-testid": "switch-interface", onclick: (event) => onSwitch(wanted, event.currentTarget) }, label) : null;
  return h("div", { class: "interface-actions" }, button, steps);
}
