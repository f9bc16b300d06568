// The built-ins (every object of the language a function can reach without creating it:
// Array.prototype, JSON, Map, the typed arrays, the iterator and generator prototypes,
// the methods themselves, ...) are shared by every execution of a warm isolate. They are
// locked when the isolate is made, before any function runs, so that nothing an
// execution does to them can reach a later one:
//
// - Every built-in is frozen. A change is refused: ignored in sloppy code, a TypeError in
//   strict code or from Object.defineProperty, as V8 says it.
// - Freezing alone would break ordinary code through the "override mistake": once
//   Object.prototype.toString is read-only, `obj.toString = f` on an object of your own
//   fails too. So the properties code commonly sets on its own objects (everything on
//   Object.prototype, Function.prototype, the error prototypes and the typed arrays'
//   prototype, which `Buffer` overrides; the conversions `toString`, `toLocaleString`,
//   `valueOf`, `toJSON` everywhere; Array.prototype push and concat) become accessors:
//   reading gives the built-in, assigning defines the property on the object assigned
//   to, as before, and assigning on the built-in itself throws an error that says why.
// - Two built-ins stay unfrozen. RegExp.prototype, because V8 runs regular expressions
//   fast only while it keeps its original shape (frozen, `replace` and `split` are 10-20x
//   slower): it is compared with a snapshot after every execution, and a change taints
//   the isolate (put back, it would not get its original shape again). And the Error
//   constructor, whose stackTraceLimit and prepareStackTrace are V8's stack trace
//   settings that code sets as in Node: after every execution its properties are put
//   back as they were; what cannot be put back taints the isolate.
// - The RegExp legacy statics (RegExp.$1, RegExp.input, ...), which would show the last
//   match of the previous execution, are reset after each one.
const { freeze, is } = Object;
const {
  apply, defineProperty, deleteProperty, getOwnPropertyDescriptor, getPrototypeOf, isExtensible, ownKeys,
} = Reflect;

const CONVERSIONS = new Set(['toString', 'toLocaleString', 'valueOf', 'toJSON']);
const TYPED_ARRAY_PROTOTYPE = getPrototypeOf(Uint8Array.prototype);
// Keys V8 watches with its "protectors" (fast paths for spread, species, iteration): made
// accessors, they would slow every array or typed array down; they stay plain frozen values.
const KEEP_AS_VALUES = new Set(['constructor', Symbol.iterator]);
const REGEXP_RESET = /(?:)/;
const regExpExec = RegExp.prototype.exec;

const watched = [];

function isObject(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

const labels = new Map();

// "Array.prototype", "TypedArray.prototype", ...: read before `constructor` is tamed.
function labelOf(home) {
  if (!labels.has(home)) {
    const ctor = getOwnPropertyDescriptor(home, 'constructor');
    const name = ctor && typeof ctor.value === 'function' ? ctor.value.name : '';
    labels.set(home, name ? `${name}.prototype` : 'a built-in object');
  }
  return labels.get(home);
}

function refuse(label, key) {
  const where = `${label}.${typeof key === 'symbol' ? `[${key.description}]` : key}`;
  return new TypeError(`Cannot assign to ${where}: built-in objects are frozen in Source Functions `
    + '(each execution must find them unchanged); use a function or object of your own instead');
}

// A writable data property of a built-in becomes an accessor with the same value.
function tame(home, key) {
  const descriptor = getOwnPropertyDescriptor(home, key);
  if (descriptor === undefined || !('value' in descriptor) || !descriptor.writable || !descriptor.configurable) return;
  const value = descriptor.value;
  const label = labelOf(home);
  defineProperty(home, key, {
    get() { return value; },
    set(replacement) {
      'use strict';
      if (this === home) {
        if (is(replacement, value)) return; // `X.prototype.m = X.prototype.m || polyfill`
        throw refuse(label, key);
      }
      if (!isObject(this)) return; // a primitive: ignored, as in sloppy code
      if (!defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true })) {
        throw new TypeError(`Cannot add property ${String(key)}, object is not extensible`);
      }
    },
    enumerable: descriptor.enumerable,
    configurable: false,
  });
}

function tameAll(home) {
  for (const key of ownKeys(home)) {
    if (!(home === TYPED_ARRAY_PROTOTYPE && KEEP_AS_VALUES.has(key))) tame(home, key);
  }
}

function errorPrototypes(preludeGlobals) {
  const found = [Error.prototype];
  for (const name of ownKeys(globalThis)) {
    if (preludeGlobals.has(name)) continue; // ValidationError and co. are the runner's
    const ctor = getOwnPropertyDescriptor(globalThis, name).value;
    if (typeof ctor !== 'function' || ctor === Error) continue;
    const prototype = getOwnPropertyDescriptor(ctor, 'prototype');
    if (prototype && isObject(prototype.value) && getPrototypeOf(prototype.value) === Error.prototype) {
      found.push(prototype.value);
    }
  }
  return found;
}

// Built-ins no global property leads to; only a value the language makes gives them.
function hiddenIntrinsics() {
  const found = [getPrototypeOf(globalThis)];
  const add = (make) => {
    try {
      const value = make();
      if (isObject(value)) found.push(value);
    } catch (err) {
      // Not in this version of V8.
    }
  };
  add(() => getPrototypeOf(async function () {}));
  add(() => getPrototypeOf(function* () {}));
  add(() => getPrototypeOf(async function* () {}));
  add(() => getPrototypeOf([][Symbol.iterator]()));
  add(() => getPrototypeOf(''[Symbol.iterator]()));
  add(() => getPrototypeOf(new Map()[Symbol.iterator]()));
  add(() => getPrototypeOf(new Set()[Symbol.iterator]()));
  add(() => getPrototypeOf(/(?:)/g[Symbol.matchAll]('')));
  add(() => getPrototypeOf([].values().map((x) => x)));
  add(() => getPrototypeOf(Iterator.from({ next() { return { done: true }; } })));
  add(() => getPrototypeOf(new Intl.Segmenter().segment('')));
  add(() => getPrototypeOf(new Intl.Segmenter().segment('')[Symbol.iterator]()));
  return found;
}

function intrinsicRoots(preludeGlobals) {
  const roots = hiddenIntrinsics();
  for (const name of ownKeys(globalThis)) {
    if (preludeGlobals.has(name)) continue;
    const descriptor = getOwnPropertyDescriptor(globalThis, name);
    if ('value' in descriptor) roots.push(descriptor.value);
    else roots.push(descriptor.get, descriptor.set);
  }
  return roots;
}

// `putBack`: whether a change is undone (else it only reports the built-in changed).
function watch(obj, putBack) {
  const keys = ownKeys(obj);
  const descriptors = keys.map((key) => getOwnPropertyDescriptor(obj, key));
  watched.push({ obj, putBack, keys, known: new Set(keys), descriptors, prototype: getPrototypeOf(obj) });
}

// Freezes every built-in reachable from the global object (through property values,
// accessors and prototypes), except the prelude's globals, RegExp.prototype and Error.
// Returns the set of built-ins, which the runner must never guard or walk again.
// It runs before any function, so it may use the built-ins freely.
export function lockIntrinsics(preludeGlobals) {
  tameAll(Object.prototype);
  tameAll(Function.prototype);
  tameAll(TYPED_ARRAY_PROTOTYPE);
  for (const prototype of errorPrototypes(preludeGlobals)) tameAll(prototype);
  tame(Array.prototype, 'push');
  tame(Array.prototype, 'concat');
  watch(RegExp.prototype, false);
  watch(Error, true);
  const seen = new Set([globalThis]);
  const pending = intrinsicRoots(preludeGlobals);
  while (pending.length > 0) {
    const obj = pending.pop();
    if (!isObject(obj) || seen.has(obj)) continue;
    seen.add(obj);
    pending.push(getPrototypeOf(obj));
    const mutable = obj === RegExp.prototype || obj === Error;
    const isFunction = typeof obj === 'function';
    for (const key of ownKeys(obj)) {
      if (isFunction && (key === 'length' || key === 'name')) continue; // numbers and strings
      if (!mutable && CONVERSIONS.has(key)) tame(obj, key);
      const descriptor = getOwnPropertyDescriptor(obj, key);
      if ('value' in descriptor) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
    if (!mutable) freeze(obj);
  }
  return seen;
}

function sameDescriptor(before, now) {
  return now !== undefined && is(before.value, now.value) && before.get === now.get
    && before.set === now.set && before.writable === now.writable
    && before.enumerable === now.enumerable && before.configurable === now.configurable;
}

function putBack(entry) {
  const { obj, known, keys, descriptors } = entry;
  const now = ownKeys(obj);
  for (let i = 0; i < now.length; i++) {
    if (!known.has(now[i]) && !deleteProperty(obj, now[i])) return false;
  }
  for (let i = 0; i < keys.length; i++) {
    const descriptor = getOwnPropertyDescriptor(obj, keys[i]);
    if (!sameDescriptor(descriptors[i], descriptor) && !defineProperty(obj, keys[i], descriptors[i])) return false;
  }
  return true;
}

function untouched(entry) {
  const { obj, keys, descriptors } = entry;
  if (ownKeys(obj).length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (!sameDescriptor(descriptors[i], getOwnPropertyDescriptor(obj, keys[i]))) return false;
  }
  return true;
}

// Puts back what can be and tells whether the built-ins left unfrozen are as they were.
// Reads descriptors only, so nothing a function defined (a getter) runs here.
export function resetWatchedIntrinsics() {
  for (let i = 0; i < watched.length; i++) {
    const entry = watched[i];
    if (!isExtensible(entry.obj) || getPrototypeOf(entry.obj) !== entry.prototype) return false;
    if (!(entry.putBack ? putBack(entry) : untouched(entry))) return false;
  }
  return true;
}

// RegExp.$1, RegExp.input, RegExp.lastMatch, ... show the last match of the context.
export function resetRegExpStatics() {
  apply(regExpExec, REGEXP_RESET, ['']);
}
