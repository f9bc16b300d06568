// The one piece of Node's `process` the `xml` package touches.
export const process = { nextTick: (fn, ...args) => Promise.resolve().then(() => fn(...args)) };
