// Node modules that reach the host (files, processes, sockets, other contexts): a library
// that loads one gets this, and any use of it says clearly why it cannot work here.
function refuse(name) {
  return () => {
    throw new Error(`${name}() is not available in this runtime: a function cannot reach files, `
      + 'processes or sockets of the host (use fetch() for HTTP)');
  };
}

module.exports = new Proxy({}, {
  get(target, prop) {
    if (typeof prop === 'symbol' || prop === '__esModule' || prop === 'then' || prop === 'default') return undefined;
    if (prop === 'constants') return {};
    if (prop === 'Module') return { _initPaths() {}, _nodeModulePaths: () => [] };
    return refuse(String(prop));
  },
});
