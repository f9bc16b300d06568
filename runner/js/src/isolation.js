// Between two executions in a warm isolate, globals a run created are deleted and globals
// it replaced are put back. The runner's own objects a function can reach (console,
// Segment, the error classes, fetch, the libraries' exports, ...) are *guarded*: their
// properties are made non-configurable (so a value cannot hide behind a getter and a
// check is a plain read), and after every run added properties are deleted and replaced
// values put back. A run that changed what cannot be put back (built-in prototypes,
// non-configurable globals, a guarded object frozen or a value made read-only) marks the
// isolate tainted: it is thrown away.
//
// This code runs after the function, so it must not depend on anything the function can
// replace: no iteration protocol, no destructuring, no prototype methods looked up late.
import { onGlobalLoaded, onLibraryLoaded } from './loader.js';

const { ownKeys, deleteProperty, defineProperty, getOwnPropertyDescriptor } = Reflect;
const { isExtensible } = Object;
const { getPrototypeOf } = Reflect;

const INTRINSICS = [
  Object, Object.prototype, Function.prototype, Array, Array.prototype, String, String.prototype,
  Number.prototype, Boolean.prototype, Symbol.prototype, Promise, Promise.prototype, JSON, Math,
  Date, Date.prototype, RegExp.prototype, Error, Error.prototype, Map.prototype, Set.prototype,
  Reflect, BigInt.prototype,
  getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map()[Symbol.iterator]()),
  getPrototypeOf(getPrototypeOf([][Symbol.iterator]())),
];
const GUARD_DEPTH = 3;

const globalKeys = [];
const globalBefore = [];
const globalIndex = new Map();
const intrinsicObjects = [];
const intrinsicCounts = [];
const intrinsicHolders = [];
const intrinsicKeys = [];
const intrinsicValues = [];
// Guarded objects: each with its key count; each of their data properties as a triple.
const guardedObjects = [];
const guardedCounts = [];
const guardedKeysets = [];
const holders = [];
const keys = [];
const values = [];
let notGuarded = null;

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

function skipIntrinsic(value) {
  if (!isObject(value)) return;
  notGuarded.add(value);
  notGuarded.add(getPrototypeOf(value));
  const prototype = getOwnPropertyDescriptor(value, 'prototype');
  if (isDataProperty(prototype) && isObject(prototype.value)) {
    notGuarded.add(prototype.value);
    notGuarded.add(getPrototypeOf(prototype.value));
  }
}

// V8's own globals are intrinsics (checked, never guarded); the prelude's are guarded.
function snapshotIntrinsics(preludeGlobals) {
  notGuarded = new Set([globalThis, null]);
  const all = ownKeys(globalThis);
  for (let i = 0; i < all.length; i++) {
    const descriptor = getOwnPropertyDescriptor(globalThis, all[i]);
    if (!preludeGlobals.has(all[i]) && isDataProperty(descriptor)) skipIntrinsic(descriptor.value);
  }
  for (let i = 0; i < INTRINSICS.length; i++) {
    const obj = INTRINSICS[i];
    notGuarded.add(obj);
    const own = ownKeys(obj);
    push(intrinsicObjects, obj);
    push(intrinsicCounts, own.length);
    for (let j = 0; j < own.length; j++) {
      const descriptor = getOwnPropertyDescriptor(obj, own[j]);
      if (!isDataProperty(descriptor)) continue;
      push(intrinsicHolders, obj);
      push(intrinsicKeys, own[j]);
      push(intrinsicValues, descriptor.value);
    }
  }
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
  snapshotIntrinsics(preludeGlobals);
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
  const now = ownKeys(globalThis);
  if (now.length !== globalKeys.length) {
    for (let i = 0; i < now.length; i++) {
      if (!globalIndex.has(now[i]) && !deleteProperty(globalThis, now[i])) clean = false;
    }
  }
  for (let i = 0; i < globalKeys.length; i++) {
    const before = globalBefore[i];
    // Reading a data property is cheap; only accessors and changed values need a descriptor.
    if (isDataProperty(before) && globalThis[globalKeys[i]] === before.value) continue;
    clean = restoreGlobal(globalKeys[i], before) && clean;
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

// Direct reads keep this cheap (a descriptor per property costs ~50 µs per execution).
// A replaced data property shows as another value; an added or deleted one as another
// count of keys.
function intrinsicsUntouched() {
  for (let i = 0; i < intrinsicObjects.length; i++) {
    if (ownKeys(intrinsicObjects[i]).length !== intrinsicCounts[i]) return false;
  }
  for (let i = 0; i < intrinsicHolders.length; i++) {
    if (intrinsicHolders[i][intrinsicKeys[i]] !== intrinsicValues[i]) return false;
  }
  return true;
}

// Returns false when the isolate must not run anything else.
export function resetAfterExecution() {
  try {
    return restoreGlobals() && restoreGuarded() && intrinsicsUntouched();
  } catch (err) {
    return false; // something the function left behind threw: do not trust this isolate
  }
}
