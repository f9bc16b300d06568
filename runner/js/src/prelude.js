// Entry of the prelude evaluated once in every new isolate: installs the globals a
// Segment source function expects, removes what could run code behind the runner's
// back, snapshots the globals, and exposes the protocol object `__runner`.
import * as errors from './errors.js';
import { Segment } from './segment.js';
import { console } from './console.js';
import { timerGlobals } from './timers.js';
import { Headers } from './headers.js';
import { FormData } from './formdata.js';
import { fetch, Request, Response } from './fetch.js';
import { atob, btoa, TextDecoder, TextEncoder } from './encoding.js';
import { AWS } from './aws.js';
import { defineLazyGlobal, registerLibraries, requireLibrary } from './loader.js';
import { takeSnapshot } from './isolation.js';
import * as runtime from './runtime.js';

const preludeGlobals = new Set();

function defineGlobal(name, value) {
  preludeGlobals.add(name);
  const existing = Object.getOwnPropertyDescriptor(globalThis, name);
  if (existing && !existing.configurable) {
    globalThis[name] = value; // mini-racer's own `var setTimeout`: writable, not configurable
    return;
  }
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

// mini-racer installs its own timers; V8 can also schedule work through
// Atomics.waitAsync and FinalizationRegistry. Code must only run inside the runner's
// steps, where the time limit applies.
function removeHostScheduling() {
  delete globalThis.FinalizationRegistry;
  delete Atomics.waitAsync;
  globalThis.__timer_manager = undefined;
}

function installGlobals() {
  for (const name of ['ValidationError', 'EventNotSupported', 'InvalidEventPayload', 'RetryError']) {
    defineGlobal(name, errors[name]);
  }
  const values = { Segment, console, Headers, FormData, fetch, Request, Response, atob, btoa, TextDecoder, TextEncoder, AWS };
  for (const [name, value] of Object.entries(Object.assign(values, timerGlobals))) defineGlobal(name, value);
  defineGlobal('global', globalThis);
  const lazy = (name, load) => {
    preludeGlobals.add(name);
    defineLazyGlobal(name, load);
  };
  lazy('_', () => requireLibrary('lodash'));
  lazy('xml', () => requireLibrary('xml'));
  lazy('Buffer', () => requireLibrary('buffer').Buffer);
  lazy('crypto', () => requireLibrary('crypto'));
  lazy('URL', () => requireLibrary('url').URL);
  lazy('URLSearchParams', () => requireLibrary('url').URLSearchParams);
  lazy('OAuth', () => requireLibrary('oauth'));
}

function provideCore() {
  registerLibraries({ 'runner-core': '(function (require, module) { module.exports = globalThis.__runner.core; })' });
}

removeHostScheduling();
installGlobals();
provideCore();

const protocol = Object.freeze({
  install: runtime.install,
  start: runtime.start,
  step: runtime.step,
  abort: runtime.abort,
  collect: runtime.collect,
  registerLibraries,
  core: Object.freeze({ fetch, entropy: runtime.entropy }),
});
Object.defineProperty(globalThis, '__runner', { value: protocol, writable: false, configurable: false, enumerable: false });

// Python registers the library sources and then calls this.
defineGlobal('__runnerReady', () => {
  delete globalThis.__runnerReady;
  preludeGlobals.add('__runner');
  takeSnapshot(preludeGlobals);
});
