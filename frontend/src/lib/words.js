// A count and its noun as a person says them: "1 error", "2 errors", "1 delivery",
// "3 deliveries". `many` for the nouns that do not just take an s.

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}
