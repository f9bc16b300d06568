// `cache`, as Segment's runtime documents it: cache.load(key, ttl, fn) answers the value
// kept under `key`, or awaits fn() and keeps what it returns for `ttl` ms (-1 or left out:
// no expiry); cache.delete(key) removes it. The values live outside the isolate, in the
// store the runner's caller chose (runner/cache.py): each operation is a message in the
// execution's outbox, like a fetch, answered by Python before the next step. Values are
// JSON text there, so a hit is a fresh copy and nothing a function keeps can change it.
//
// load resolves only once its value is stored, so the next execution of the batch (and
// every other worker) finds it; a delete the function did not wait for is still done
// (runtime.js hands the unsent ones over with the execution's report).
import { activeExecution } from './state.js';
import { console } from './console.js';

const stringify = JSON.stringify;
const parse = JSON.parse;
const captureStackTrace = Error.captureStackTrace; // Error is not frozen: taken now
const { getPrototypeOf } = Object;
const { isArray } = Array;
const objectPrototype = Object.prototype;
const MAX_KEY_CHARS = 256;
const HINTS = {
  Date: ' (for a date, cache date.toISOString())',
  Map: ' (for a Map, cache Object.fromEntries(map))',
  Set: ' (for a Set, cache [...set])',
  Buffer: " (for bytes, cache buffer.toString('base64'))",
  Uint8Array: ' (for bytes, cache them as base64 text)',
};

function checkKey(method, key) {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS) {
    throw new TypeError(`cache.${method}: the key must be a string of 1 to ${MAX_KEY_CHARS} characters`);
  }
}

function checkTtl(ttl) {
  if (ttl === undefined || ttl === null || ttl === -1) return null;
  if (typeof ttl !== 'number' || !(ttl > 0) || ttl === Infinity) {
    throw new TypeError('cache.load: ttl must be a number of milliseconds above 0, or -1 (or left out) for no expiry');
  }
  return Math.ceil(ttl);
}

function describe(value) {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  const prototype = getPrototypeOf(value);
  const name = prototype && prototype.constructor && prototype.constructor.name;
  return name ? `a ${name}` : 'an object of a class';
}

function isPlain(value) {
  if (isArray(value)) return true;
  const prototype = getPrototypeOf(value);
  return prototype === objectPrototype || prototype === null;
}

// Why a value is not plain JSON (so a hit would not give back what fn returned), or null.
function notJson(original, inArray) {
  const kind = typeof original;
  if (kind === 'string' || kind === 'boolean' || original === null) return null;
  if (kind === 'number') return Number.isFinite(original) ? null : describe(original);
  if (kind === 'object') return isPlain(original) ? null : describe(original);
  // In an object, JSON leaves an undefined property out, which reads back the same.
  if (original === undefined && !inArray) return null;
  return describe(original);
}

// A TypeError whose stack is that of the function's call to cache.load, so the error
// points at the user's line, not at the runner's code after an await.
function errorAt(site, message) {
  const err = new TypeError(message);
  const frames = String(site.stack);
  err.stack = `TypeError: ${message}${frames.slice(frames.indexOf('\n'))}`;
  return err;
}

// The value as JSON text; a TypeError naming what is not JSON.
function serialise(key, value, site) {
  let problem = null;
  function check(name, converted) {
    if (problem !== null) return undefined;
    const original = this[name];
    const found = name === '' && original === undefined ? 'undefined' : notJson(original, isArray(this));
    if (found !== null) {
      const where = name === '' ? 'it' : `its ${isArray(this) ? 'item' : 'property'} ${stringify(name)}`;
      const constructor = typeof original === 'object' && original && getPrototypeOf(original);
      const hint = (constructor && constructor.constructor && HINTS[constructor.constructor.name]) || '';
      problem = `${where} is ${found}${hint}`;
      return undefined;
    }
    return converted;
  }
  let text;
  try {
    text = stringify(value, check);
  } catch (err) {
    problem = `it cannot be written as JSON (${err && err.message})`;
  }
  if (problem !== null) {
    throw errorAt(site, `cache.load(${stringify(key)}): fn gave a value that cannot be cached: ${problem}. Cache only JSON values: objects, arrays, strings, finite numbers, true, false and null`);
  }
  return text;
}

function ask(execution, operation) {
  return new Promise((resolve, reject) => {
    const waits = execution.cacheWaits || (execution.cacheWaits = new Map());
    const id = execution.nextFetchId++;
    waits.set(id, { resolve, reject });
    execution.outbox[execution.outbox.length] = { id, cache: operation };
  });
}

function note(text) {
  if (text) console.warn(`[cache] ${text}`);
}

async function loadOnce(execution, key, ttl, fn, site) {
  const found = await ask(execution, { op: 'get', key });
  note(found.note);
  if (typeof found.value === 'string') return parse(found.value);
  const value = await fn();
  const text = serialise(key, value, site);
  const stored = await ask(execution, { op: 'put', key, value: text, ttl });
  note(stored.note);
  return value;
}

function load(key, ttl, fn) {
  checkKey('load', key);
  const ms = checkTtl(ttl);
  if (typeof fn !== 'function') {
    throw new TypeError('cache.load: fn must be a function that returns (or resolves to) the value to cache');
  }
  const execution = activeExecution();
  if (!execution) return new Promise(() => {}); // a stray call after its execution ended
  const site = {};
  captureStackTrace(site, load);
  // Two loads of one key at once in an execution share the first one's fn() call.
  const loads = execution.cacheLoads || (execution.cacheLoads = new Map());
  if (loads.has(key)) return loads.get(key);
  const promise = loadOnce(execution, key, ms, fn, site);
  loads.set(key, promise);
  const forget = () => { if (loads.get(key) === promise) loads.delete(key); };
  promise.then(forget, forget);
  return promise;
}

function remove(key) {
  checkKey('delete', key);
  const execution = activeExecution();
  if (!execution) return Promise.resolve();
  return ask(execution, { op: 'delete', key }).then((answer) => note(answer.note));
}

export const cache = Object.freeze({ load, delete: remove });

// Python's answer to one of the execution's cache operations.
export function deliverCache(execution, answer) {
  const waits = execution.cacheWaits;
  const waiter = waits && waits.get(answer.id);
  if (!waiter) return;
  waits.delete(answer.id);
  waiter.resolve(answer);
}

// The writes an execution queued but Python has not seen yet, when it ends.
export function unsentCacheWrites(execution) {
  const writes = [];
  for (let i = 0; i < execution.outbox.length; i++) {
    const operation = execution.outbox[i].cache;
    if (operation && operation.op !== 'get') writes[writes.length] = operation;
  }
  return writes;
}
