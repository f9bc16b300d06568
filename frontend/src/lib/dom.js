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

export function showErrors(form, error) {
  for (const node of $$("[data-error]", form)) node.textContent = "";
  const unplaced = [];
  for (const [field, messages] of Object.entries(error.errors || {})) {
    const key = field.replace(/^settings\./, "settings.");
    const target = $(`[data-error="${CSS.escape(key)}"]`, form);
    if (target) target.textContent = messages.join(" ");
    else unplaced.push(`${field}: ${messages.join(" ")}`);
  }
  const general = $('[data-error="form"]', form);
  const text = [error.message, ...unplaced].join(" ");
  if (general) general.textContent = text;
  else toast(text, "error");
}

export function wireCopyButtons(root = document) {
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const input = $(button.dataset.copy);
    if (!input) return;
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      document.execCommand("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  });
}

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
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
