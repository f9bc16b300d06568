// The Node 20 globals functions use that V8 alone does not have: AbortController and
// AbortSignal (with the Event/EventTarget they rest on, and DOMException for their
// errors), structuredClone, queueMicrotask and performance.now.
import { activeExecution } from './state.js';

const DOM_CODES = { AbortError: 20, TimeoutError: 23, DataCloneError: 25 };

export class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(message);
    Object.defineProperty(this, 'name', { value: String(name), writable: true, configurable: true });
    Object.defineProperty(this, 'code', { value: DOM_CODES[name] || 0, configurable: true });
  }
}

export class Event {
  constructor(type, options = {}) {
    if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
    this.type = String(type);
    this.bubbles = Boolean(options && options.bubbles);
    this.cancelable = Boolean(options && options.cancelable);
    this.defaultPrevented = false;
    this.target = null;
    this.currentTarget = null;
    this.timeStamp = Date.now();
  }

  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this._stopped = true; }
}

const listenersOf = new WeakMap();

export class EventTarget {
  constructor() {
    listenersOf.set(this, new Map());
  }

  addEventListener(type, listener, options) {
    if (listener === null || listener === undefined) return;
    const once = Boolean(options && typeof options === 'object' && options.once);
    const map = listenersOf.get(this);
    const list = map.get(type) || [];
    if (list.some((entry) => entry.listener === listener)) return;
    list.push({ listener, once });
    map.set(type, list);
    const signal = options && typeof options === 'object' ? options.signal : undefined;
    if (signal) signal.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type, listener) {
    const map = listenersOf.get(this);
    const list = map.get(type);
    if (list) map.set(type, list.filter((entry) => entry.listener !== listener));
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event');
    event.target = event.currentTarget = this;
    const handler = this[`on${event.type}`];
    const list = (listenersOf.get(this).get(event.type) || []).slice();
    if (typeof handler === 'function') list.unshift({ listener: handler, once: false });
    for (const entry of list) {
      if (entry.once) this.removeEventListener(event.type, entry.listener);
      if (typeof entry.listener === 'function') entry.listener.call(this, event);
      else if (entry.listener && typeof entry.listener.handleEvent === 'function') entry.listener.handleEvent(event);
      if (event._stopped) break;
    }
    return !event.defaultPrevented;
  }
}

const signalState = new WeakMap();
let constructing = false;

export class AbortSignal extends EventTarget {
  constructor() {
    if (!constructing) throw new TypeError('Illegal constructor');
    super();
    signalState.set(this, { aborted: false, reason: undefined });
    this.onabort = null;
  }

  get aborted() { return signalState.get(this).aborted; }
  get reason() { return signalState.get(this).reason; }

  throwIfAborted() {
    if (this.aborted) throw this.reason;
  }

  static abort(reason) {
    const signal = newSignal();
    abortSignal(signal, reason);
    return signal;
  }

  static timeout(ms) {
    const signal = newSignal();
    globalThis.setTimeout(() => abortSignal(signal, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    return signal;
  }

  static any(signals) {
    const signal = newSignal();
    for (const source of signals) {
      if (source.aborted) {
        abortSignal(signal, source.reason);
        break;
      }
      source.addEventListener('abort', () => abortSignal(signal, source.reason), { once: true });
    }
    return signal;
  }
}

function newSignal() {
  constructing = true;
  try {
    return new AbortSignal();
  } finally {
    constructing = false;
  }
}

function abortSignal(signal, reason) {
  const state = signalState.get(signal);
  if (state.aborted) return;
  state.aborted = true;
  state.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
  signal.dispatchEvent(new Event('abort'));
}

const controllerSignal = new WeakMap();

export class AbortController {
  constructor() {
    controllerSignal.set(this, newSignal());
  }

  get signal() { return controllerSignal.get(this); }
  abort(reason) { abortSignal(controllerSignal.get(this), reason); }
}

// Node reports an exception thrown by a microtask as uncaught: here it fails the
// execution that queued it. A stray one (its execution is over) does not run.
export function queueMicrotask(callback) {
  if (typeof callback !== 'function') {
    throw new TypeError('The "callback" argument must be of type function');
  }
  const execution = activeExecution();
  Promise.resolve().then(() => {
    if (execution === null || activeExecution() !== execution) return;
    try {
      callback();
    } catch (err) {
      execution.fail(err);
    }
  });
}

function cloneError(value, clone) {
  const Ctor = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[value.name] || Error;
  const copy = new Ctor(value.message);
  if ('stack' in value) copy.stack = String(value.stack);
  if ('cause' in value) copy.cause = clone(value.cause);
  return copy;
}

function uncloneable(value) {
  const shown = typeof value === 'function' ? String(value).slice(0, 60) : String(value);
  return new DOMException(`${shown} could not be cloned.`, 'DataCloneError');
}

// The structured clone algorithm for the values functions pass around: primitives,
// plain objects and arrays (cycles kept), Date, RegExp, Map, Set, errors, ArrayBuffers,
// typed arrays and DataViews. Functions and symbols cannot be cloned; other objects
// become plain objects of their own enumerable properties, as in Node.
export function structuredClone(value, options) {
  if (arguments.length === 0) throw new TypeError('The "value" argument must be specified');
  if (options && options.transfer && options.transfer.length) {
    throw new DOMException('transferring is not available in this runtime', 'DataCloneError');
  }
  const seen = new Map();
  const clone = (v) => {
    if (typeof v === 'function' || typeof v === 'symbol') throw uncloneable(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    const tag = Object.prototype.toString.call(v);
    let copy;
    if (tag === '[object Date]') copy = new Date(v.getTime());
    else if (tag === '[object RegExp]') copy = new RegExp(v.source, v.flags);
    else if (v instanceof ArrayBuffer) copy = v.slice(0);
    else if (v instanceof DataView) copy = new DataView(clone(v.buffer), v.byteOffset, v.byteLength);
    else if (ArrayBuffer.isView(v)) copy = new (typedArrayClass(v))(v);
    else if (v instanceof Error) copy = cloneError(v, clone);
    else if (tag === '[object Promise]' || tag === '[object WeakMap]' || tag === '[object WeakSet]') throw uncloneable(v);
    if (copy !== undefined) {
      seen.set(v, copy);
      return copy;
    }
    if (v instanceof Map) {
      copy = new Map();
      seen.set(v, copy);
      for (const [key, item] of v) copy.set(clone(key), clone(item));
      return copy;
    }
    if (v instanceof Set) {
      copy = new Set();
      seen.set(v, copy);
      for (const item of v) copy.add(clone(item));
      return copy;
    }
    copy = Array.isArray(v) ? new Array(v.length) : {};
    seen.set(v, copy);
    for (const key of Object.keys(v)) copy[key] = clone(v[key]);
    return copy;
  };
  return clone(value);
}

// The typed array class of `view`, among the built-in ones (a Buffer clones to a
// Uint8Array, as in Node).
function typedArrayClass(view) {
  const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  for (const Kind of kinds) {
    if (Object.prototype.toString.call(view) === `[object ${Kind.name}]`) return Kind;
  }
  return Uint8Array;
}

const timeOrigin = Date.now();

export const performance = {
  timeOrigin,
  now: () => Date.now() - timeOrigin,
  toJSON: () => ({ timeOrigin }),
};
