// Between two executions in a warm isolate, globals a run created are deleted and globals
// it replaced are put back. A run that changed what cannot be put back (built-in
// prototypes, non-configurable globals) marks the isolate tainted: it is thrown away.
import { onGlobalLoaded } from './loader.js';

const INTRINSICS = [
  Object, Object.prototype, Function.prototype, Array, Array.prototype, String, String.prototype,
  Number.prototype, Boolean.prototype, Symbol.prototype, Promise, Promise.prototype, JSON, Math,
  Date, Date.prototype, RegExp.prototype, Error, Error.prototype, Map.prototype, Set.prototype,
  Reflect, BigInt.prototype,
];

const globalValues = new Map();
const intrinsicKeyCounts = [];
const intrinsicValues = [];

function isDataProperty(descriptor) {
  return descriptor !== undefined && 'value' in descriptor;
}

function rememberGlobal(key) {
  globalValues.set(key, Object.getOwnPropertyDescriptor(globalThis, key));
}

export function takeSnapshot() {
  for (const key of Reflect.ownKeys(globalThis)) rememberGlobal(key);
  for (const obj of INTRINSICS) {
    const keys = Reflect.ownKeys(obj);
    intrinsicKeyCounts.push([obj, keys.length]);
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(obj, key);
      if (isDataProperty(descriptor)) intrinsicValues.push([obj, key, descriptor.value]);
    }
  }
  onGlobalLoaded(rememberGlobal);
}

function restoreGlobal(key, before) {
  const now = Object.getOwnPropertyDescriptor(globalThis, key);
  if (isDataProperty(before) && isDataProperty(now) && now.value === before.value) return true;
  if (!isDataProperty(before) && now && now.get === before.get && now.set === before.set) return true;
  try {
    Object.defineProperty(globalThis, key, before);
    return true;
  } catch (err) {
    return false;
  }
}

function restoreGlobals() {
  let clean = true;
  const keys = Reflect.ownKeys(globalThis);
  if (keys.length !== globalValues.size) {
    for (const key of keys) {
      if (!globalValues.has(key) && !Reflect.deleteProperty(globalThis, key)) clean = false;
    }
  }
  for (const [key, before] of globalValues) {
    // Reading a data property is cheap; only accessors and changed values need a descriptor.
    if (isDataProperty(before) && globalThis[key] === before.value) continue;
    clean = restoreGlobal(key, before) && clean;
  }
  return clean;
}

// Direct reads keep this cheap (a descriptor per property costs ~50 µs per execution).
// A replaced data property shows as another value; an added or deleted one as another
// count of keys.
function intrinsicsUntouched() {
  for (const [obj, count] of intrinsicKeyCounts) {
    if (Reflect.ownKeys(obj).length !== count) return false;
  }
  for (const [obj, key, value] of intrinsicValues) {
    if (obj[key] !== value) return false;
  }
  return true;
}

// Returns false when the isolate must not run anything else.
export function resetAfterExecution() {
  return restoreGlobals() && intrinsicsUntouched();
}
