// aws-sdk v2 needs Node itself, so `AWS` is a stand-in whose every use says so clearly
// (instead of a ReferenceError that reads like a typo).
function unavailable(path) {
  throw new Error(`${path} is not available in this runtime: the AWS SDK needs Node.js. ` +
    'Call the AWS HTTP API with fetch() instead.');
}

// The proxy's target is a frozen, callable and constructible object with no properties,
// so `AWS` holds nothing a function could leave behind for the next run.
function emptyTarget() {
  const target = function () {}.bind(null);
  delete target.length;
  delete target.name;
  return Object.freeze(target);
}

function stub(path) {
  return new Proxy(emptyTarget(), {
    get(target, prop) {
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'toJSON') return undefined;
      return stub(`${path}.${prop}`);
    },
    set() { unavailable(path); },
    apply() { unavailable(path); },
    construct() { unavailable(path); },
  });
}

export const AWS = stub('AWS');
