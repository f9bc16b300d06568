// Node's `util` for libraries: formatting is the runner's own (the one console uses).
const core = require('runner-core');

function inspect(value) {
  return core.inspect(value);
}
inspect.custom = Symbol.for('nodejs.util.inspect.custom');

function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const kCustomPromisified = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  if (original[kCustomPromisified]) return original[kCustomPromisified];
  return function (...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (err, value) => (err ? reject(err) : resolve(value)));
    });
  };
}
promisify.custom = kCustomPromisified;

function callbackify(original) {
  return function (...args) {
    const callback = args.pop();
    original.apply(this, args).then((value) => callback(null, value), (err) => callback(err));
  };
}

const tag = (value) => Object.prototype.toString.call(value);

const types = {
  isDate: (v) => tag(v) === '[object Date]',
  isRegExp: (v) => tag(v) === '[object RegExp]',
  isPromise: (v) => tag(v) === '[object Promise]',
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v) => v instanceof Uint8Array,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer,
  isNativeError: (v) => v instanceof Error,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
};

module.exports = {
  format: (...args) => core.format(...args),
  inspect,
  inherits,
  promisify,
  callbackify,
  deprecate: (fn) => fn,
  debuglog: () => () => {},
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isObject: (v) => v !== null && typeof v === 'object',
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  isBuffer: (v) => require('buffer').Buffer.isBuffer(v),
  isDate: types.isDate,
  isRegExp: types.isRegExp,
  isError: types.isNativeError,
  types,
  _extend: (target, source) => Object.assign(target, source),
  TextEncoder: globalThis.TextEncoder,
  TextDecoder: globalThis.TextDecoder,
};
