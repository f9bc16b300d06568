// aws-sdk v2 needs Node itself, so `AWS` is a stand-in whose every use says so clearly
// (instead of a ReferenceError that reads like a typo).
function unavailable(path) {
  throw new Error(`${path} is not available in this runtime: the AWS SDK needs Node.js. ` +
    'Call the AWS HTTP API with fetch() instead.');
}

function stub(path) {
  return new Proxy(function () {}, {
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
