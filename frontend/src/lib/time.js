// Dates and times as every page says them: in the reader's time zone and language, one
// format ("Dec 2, 06:32:22 PM"; the year too when it is not this year's). A time the
// server writes into a page is a <time datetime="…"> that showTimes() words the same way.

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const year = date.getFullYear() === new Date().getFullYear() ? undefined : "numeric";
  return date.toLocaleString(undefined, { year, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// A <time> element for a time the page adds itself (its datetime kept for tools).
export function timeElement(iso) {
  const node = document.createElement("time");
  if (iso) node.dateTime = iso;
  node.textContent = formatTime(iso);
  return node;
}

// The times the server rendered (in its own format and time zone), said as formatTime does.
export function showTimes(root = document) {
  for (const node of root.querySelectorAll("time[datetime]")) node.textContent = formatTime(node.dateTime);
}
