// Node's `timers` module: the runner's own timers (globals of the prelude).
module.exports = {
  setTimeout: (...args) => globalThis.setTimeout(...args),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
  setInterval: (...args) => globalThis.setInterval(...args),
  clearInterval: (handle) => globalThis.clearInterval(handle),
  setImmediate: (...args) => globalThis.setImmediate(...args),
  clearImmediate: (handle) => globalThis.clearImmediate(handle),
};
