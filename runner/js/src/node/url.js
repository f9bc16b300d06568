// Node's `url`: the legacy parse/format/resolve (the `url` package) and the WHATWG URL
// classes, which are the runtime's own URL library.
const legacy = require('url/');
const core = require('runner-core');

module.exports = {
  parse: legacy.parse,
  format: legacy.format,
  resolve: legacy.resolve,
  resolveObject: legacy.resolveObject,
  Url: legacy.Url,
  get URL() { return core.whatwgUrl().URL; },
  get URLSearchParams() { return core.whatwgUrl().URLSearchParams; },
  fileURLToPath() { throw new Error('url.fileURLToPath() is not available in this runtime: there are no files'); },
  pathToFileURL() { throw new Error('url.pathToFileURL() is not available in this runtime: there are no files'); },
};
