// Small DOM helpers shared by the pages.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export function toast(message, kind = "info") {
  const box = $("#toasts");
  if (!box) return;
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : null }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

// An API error in a form: each field's messages next to it (the field marked invalid, the
// first one focused), and above the button what is left in words — "Correct the 2 fields
// marked above." — never the API's field keys.
export function showErrors(form, error) {
  clearErrors(form);
  const placed = [];
  const unplaced = [];
  for (const [field, messages] of Object.entries(error.errors || {})) {
    const target = $(`[data-error="${CSS.escape(field)}"]`, form);
    if (target && !target.closest("[hidden]")) {
      target.textContent = messages.join(" ");
      placed.push(target);
    } else {
      unplaced.push(sentence(field, messages));
    }
  }
  for (const target of placed) {
    const input = inputOf(target);
    if (input) input.setAttribute("aria-invalid", "true");
  }
  const marked = placed.length === 1 ? "Correct the field marked above." : `Correct the ${placed.length} fields marked above.`;
  const text = placed.length ? [marked, ...unplaced].join(" ") : unplaced.length ? unplaced.join(" ") : error.message;
  const general = $('[data-error="form"]', form);
  if (general) general.textContent = text;
  else toast(text, "error");
  const first = placed.length ? inputOf(placed[0]) : null;
  if (first) first.focus();
}

export function clearErrors(form) {
  for (const node of $$("[data-error]", form)) node.textContent = "";
  for (const node of $$('[aria-invalid="true"]', form)) node.removeAttribute("aria-invalid");
}

// The input an error slot is about: the one just before it, or the one of its setting row.
function inputOf(slot) {
  const before = slot.previousElementSibling;
  if (before && before.matches("input, select, textarea")) return before;
  const row = slot.closest(".setting, .field");
  return row ? $("input, select, textarea", row) : null;
}

// An error key as a user reads it (catalog/api/base.py: field_in_words).
export function fieldInWords(field) {
  if (field === "non_field_errors" || field === "detail") return "";
  const parts = field.split(".");
  if (parts.length === 2 && parts[0] === "settings") return `setting ${parts[1]}`;
  return parts.map((part) => {
    const indexed = part.match(/^([^[]+)\[(\d+)\]$/);
    if (!indexed) return part.replaceAll("_", " ");
    return `${indexed[1].replace(/s$/, "").replaceAll("_", " ")} ${Number(indexed[2]) + 1}`;
  }).reverse().join(" of ");
}

function sentence(field, messages) {
  const words = fieldInWords(field);
  const text = messages.join(" ");
  return words ? `${words[0].toUpperCase()}${words.slice(1)}: ${text}` : text;
}

// Copy buttons (`<button class="copy" data-copy="#input">`): the button says "Copied"
// (or how to copy by hand when the browser refused) for a moment, and a status line
// says it to screen readers too.
export function wireCopyButtons(root = document) {
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const input = $(button.dataset.copy);
    if (!input) return;
    input.select();
    const copied = await copyText(input.value);
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = copied ? "Copied" : "Press Ctrl+C";
    button.classList.toggle("copied", copied);
    announce(copied ? "Copied to the clipboard." : "The browser did not allow copying: the text is selected, press Ctrl+C.");
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = label;
      button.classList.remove("copied");
    }, 2000);
  });
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

function announce(message) {
  let status = $("#copy-status");
  if (!status) {
    status = h("p", { id: "copy-status", class: "sr-only", role: "status", "aria-live": "polite" });
    document.body.append(status);
  }
  status.textContent = message;
}

export function openDialog(dialog) {
  if (!dialog.open) dialog.showModal();
  for (const closer of $$("[data-close]", dialog)) closer.onclick = () => dialog.close();
}

// Tabs with arrow-key navigation (WAI-ARIA tabs pattern).
export function wireTabs(tablist, onChange) {
  const tabs = $$(':scope > [role="tab"]', tablist);
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (onChange) onChange(tab);
  };
  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) select(tab);
  });
  tablist.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(index + step + tabs.length) % tabs.length];
    next.focus();
    select(next);
    event.preventDefault();
  });
  return select;
}
