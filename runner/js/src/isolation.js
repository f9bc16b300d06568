// Between two executions in a warm isolate, globals a run created are deleted and globals
// it replaced are put back. The built-ins are locked when the isolate is made (see
// lockdown.js): frozen, except RegExp.prototype and Error, checked against a snapshot. The
// runner's own objects a function can reach (console, Segment, the error classes, fetch,
// the libraries' exports, ...) are *guarded*: their properties are made non-configurable
// (so a value cannot hide behind a getter and a check is a plain read), and after every
// run added properties are deleted and replaced values put back. A run that changed what
// cannot be put back (RegExp.prototype, non-configurable globals, a guarded object frozen
// or one of its values replaced by a read-only one) marks the isolate tainted: it is
// thrown away.
//
// This code runs after the function, so it must not depend on anything the function can
// replace: no iteration protocol, no destructuring, no global looked up late.
import { onGlobalLoaded, onLibraryLoaded } from './loader.js';
import { lockIntrinsics, resetRegExpStatics, resetWatchedIntrinsics } from './lockdown.js';

const { ownKeys, deleteProperty, defineProperty, getOwnPropertyDescriptor } = Reflect;
const { isExtensible } = Object;
const { getPrototypeOf } = Reflect;

const GUARD_DEPTH = 3;

const globalKeys = [];
const globalBefore = [];
const globalIndex = new Map();
// Guarded objects: each with its key count; each of their data properties as a triple.
const guardedObjects = [];
const guardedCounts = [];
const guardedKeysets = [];
const holders = [];
const keys = [];
const values = [];
let notGuarded = null;
let globalPrototype = null;

function push(list, value) {
  defineProperty(list, list.length, { value, writable: true, enumerable: true, configurable: true });
}

function isDataProperty(descriptor) {
  return descriptor !== undefined && 'value' in descriptor;
}

function isObject(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function rememberGlobal(key) {
  const descriptor = getOwnPropertyDescriptor(globalThis, key);
  if (globalIndex.has(key)) {
    globalBefore[globalIndex.get(key)] = descriptor;
  } else {
    globalIndex.set(key, globalKeys.length);
    push(globalKeys, key);
    push(globalBefore, descriptor);
  }
  if (isDataProperty(descriptor)) guardTree(descriptor.value);
}

// The prelude's own globals are guarded when the snapshot is taken; a library's exports
// when it is first loaded (before the function that asked for it gets them).
export function guardTree(root) {
  const pending = [root];
  const depths = [0];
  for (let i = 0; i < pending.length; i++) {
    const obj = pending[i];
    if (!isObject(obj) || notGuarded.has(obj)) continue;
    notGuarded.add(obj); // seen
    // A frozen object (the protocol object) cannot be changed; its children may be.
    const own = isExtensible(obj) ? guard(obj) : ownKeys(obj);
    if (depths[i] >= GUARD_DEPTH) continue;
    const children = [getPrototypeOf(obj)];
    for (let j = 0; j < own.length; j++) {
      const descriptor = getOwnPropertyDescriptor(obj, own[j]);
      if (isDataProperty(descriptor)) push(children, descriptor.value);
    }
    for (let j = 0; j < children.length; j++) {
      push(pending, children[j]);
      push(depths, depths[i] + 1);
    }
  }
}

function guard(obj) {
  const own = ownKeys(obj);
  for (let j = 0; j < own.length; j++) {
    const descriptor = getOwnPropertyDescriptor(obj, own[j]);
    if (descriptor.configurable) {
      descriptor.configurable = false;
      defineProperty(obj, own[j], descriptor);
    }
    if (!isDataProperty(descriptor)) continue;
    push(holders, obj);
    push(keys, own[j]);
    push(values, descriptor.value);
  }
  push(guardedObjects, obj);
  push(guardedCounts, own.length);
  push(guardedKeysets, own);
  return own;
}

// `preludeGlobals`: the names of the globals the prelude defined.
export function takeSnapshot(preludeGlobals) {
  notGuarded = lockIntrinsics(preludeGlobals); // built-ins are locked, never guarded
  globalPrototype = getPrototypeOf(globalThis);
  const all = ownKeys(globalThis);
  for (let i = 0; i < all.length; i++) rememberGlobal(all[i]);
  onGlobalLoaded(rememberGlobal);
  onLibraryLoaded(guardTree);
}

function restoreGlobal(key, before) {
  const now = getOwnPropertyDescriptor(globalThis, key);
  if (isDataProperty(before) && isDataProperty(now) && now.value === before.value) return true;
  if (!isDataProperty(before) && now && now.get === before.get && now.set === before.set) return true;
  try {
    defineProperty(globalThis, key, before);
    return true;
  } catch (err) {
    return false;
  }
}

function restoreGlobals() {
  let clean = true;
  for (let i = 0; i < globalKeys.length; i++) {
    const before = globalBefore[i];
    // Reading a data property is cheap; only accessors and changed values need a descriptor.
    if (isDataProperty(before) && globalThis[globalKeys[i]] === before.value) continue;
    clean = restoreGlobal(globalKeys[i], before) && clean;
  }
  // Counted once the deleted globals are back, so that a run that deleted one global and
  // created another does not keep the one it created.
  const now = ownKeys(globalThis);
  if (now.length !== globalKeys.length) {
    for (let i = 0; i < now.length; i++) {
      if (!globalIndex.has(now[i]) && !deleteProperty(globalThis, now[i])) clean = false;
    }
  }
  return clean;
}

function removeAddedKeys(obj, before) {
  const now = ownKeys(obj);
  const known = new Set();
  for (let i = 0; i < before.length; i++) known.add(before[i]);
  let clean = true;
  for (let i = 0; i < now.length; i++) {
    if (!known.has(now[i]) && !deleteProperty(obj, now[i])) clean = false;
  }
  return clean;
}

function restoreGuarded() {
  let clean = true;
  for (let i = 0; i < guardedObjects.length; i++) {
    const obj = guardedObjects[i];
    if (!isExtensible(obj)) return false;
    if (ownKeys(obj).length !== guardedCounts[i]) clean = removeAddedKeys(obj, guardedKeysets[i]) && clean;
  }
  for (let i = 0; i < holders.length; i++) {
    const holder = holders[i];
    if (holder[keys[i]] === values[i]) continue;
    // Non-configurable, so still a data property: put back unless made read-only.
    holder[keys[i]] = values[i];
    if (holder[keys[i]] !== values[i]) clean = false;
  }
  return clean;
}

// A name a function does not declare is looked up on the global object's prototype
// chain: a run that swapped the prototype, or froze the global object, would reach the
// next run. Neither can be undone safely, so the isolate is thrown away.
function globalObjectIntact() {
  return isExtensible(globalThis) && getPrototypeOf(globalThis) === globalPrototype;
}

// Returns false when the isolate must not run anything else.
export function resetAfterExecution() {
  try {
    const clean = globalObjectIntact() && restoreGlobals() && restoreGuarded()
      && resetWatchedIntrinsics();
    resetRegExpStatics();
    return clean;
  } catch (err) {
    return false; // something the function left behind threw: do not trust this isolate
  }
}

// Between kicks, when no execution runs: a promise chain an execution left behind may
// have run after its reset.
export function resetIdleIntrinsics() {
  try {
    resetRegExpStatics();
    return globalObjectIntact() && resetWatchedIntrinsics();
  } catch (err) {
    return false;
  }
}
