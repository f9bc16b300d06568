// One line per fetch call a function made, as the runner records them. The last record
// may count calls refused over the per-execution cap instead of describing one call.
export function fetchLine(fetch) {
  if (fetch.refused) return fetch.error;
  const duration = fetch.duration_ms ? ` (${Number(fetch.duration_ms).toFixed(0)} ms)` : "";
  return `${fetch.method || "GET"} ${fetch.url} → ${fetch.status ?? fetch.error ?? "no response"}${duration}`;
}
