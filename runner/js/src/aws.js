// SDKs that need Node itself (files, gRPC, credentials from the host) are stand-ins whose
// every use says so clearly, instead of a ReferenceError that reads like a typo: `AWS`
// (aws-sdk v2) and `google.cloud.*` (the @google-cloud libraries), as Segment exposes them.
function unavailable(path, sdk, api) {
  throw new Error(`${path} is not available in this runtime: ${sdk} needs Node.js. ` +
    `Call the ${api} HTTP API with fetch() instead.`);
}

// The proxy's target is a frozen, callable and constructible object with no properties,
// so a stand-in holds nothing a function could leave behind for the next run.
function emptyTarget() {
  const target = function () {}.bind(null);
  delete target.length;
  delete target.name;
  return Object.freeze(target);
}

function stub(path, describe) {
  return new Proxy(emptyTarget(), {
    get(target, prop) {
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'toJSON') return undefined;
      return stub(`${path}.${prop}`, describe);
    },
    set() { describe(path); },
    apply() { describe(path); },
    construct() { describe(path); },
  });
}

export const AWS = stub('AWS', (path) => unavailable(path, 'the AWS SDK', 'AWS'));

// google.cloud.bigquery -> "@google-cloud/bigquery".
function describeGoogle(path) {
  const parts = path.split('.');
  const sdk = parts.length > 2 ? `@google-cloud/${parts[2]}` : 'the @google-cloud libraries';
  unavailable(path, sdk, 'Google Cloud REST');
}

export const google = stub('google', describeGoogle);
