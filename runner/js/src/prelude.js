// Entry of the prelude evaluated once in every new isolate: installs the globals a
// Segment source function expects, removes what could run code behind the runner's
// back, snapshots the globals, and hands the protocol to Python.
//
// The protocol (install, start, step, abort, collect) must stay out of a function's
// reach: with it, one execution could install its own handler for the next source, or
// read every execution of its batch. So it is never a global. `__runnerHandOver`, the
// only global that leads to it, exists between the prelude and the next script Python
// evaluates (before any function is installed) and deletes itself; Python keeps the
// protocol's functions as mini-racer handles. The prelude is strict code (the bundle
// starts with "use strict", see build.mjs), so a function cannot climb to them either:
// `onRequest.caller` is null when the caller is strict, and `.caller`/`.arguments`
// of a strict function throw.
import * as errors from './errors.js';
import { Segment } from './segment.js';
import { console } from './console.js';
import { timerGlobals } from './timers.js';
import { Headers } from './headers.js';
import { FormData } from './formdata.js';
import { fetch, Request, Response } from './fetch.js';
import { atob, btoa, TextDecoder, TextEncoder } from './encoding.js';
import { AWS, google } from './aws.js';
import { AbortController, AbortSignal, DOMException, Event, EventTarget, performance, queueMicrotask, structuredClone } from './web.js';
import { cache } from './cache.js';
import { format, inspect } from './inspect.js';
import {
  defineLazyGlobal, loadNamedLibraries, provideModule, registerLibraries, requireLibrary, requireNamedLibrary,
} from './loader.js';
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
  const values = {
    Segment, console, Headers, FormData, fetch, Request, Response, atob, btoa, TextDecoder, TextEncoder, AWS, google,
    AbortController, AbortSignal, DOMException, Event, EventTarget, performance, queueMicrotask, structuredClone,
  };
  for (const [name, value] of Object.entries(Object.assign(values, timerGlobals))) defineGlobal(name, value);
  defineGlobal('global', globalThis);
  defineGlobal('cache', cache);
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
  // Segment's runtime page names these; each is compiled only in an isolate whose
  // function's code names it (runner/engine.py).
  for (const [name, library, pick] of SEGMENT_LIBRARIES) {
    lazy(name, () => (pick || ((exports) => exports))(requireNamedLibrary(name, library)));
  }
}

const SEGMENT_LIBRARIES = [
  ['uuidv5', 'uuidv5'],
  ['moment', 'moment'],
  ['jsonwebtoken', 'jsonwebtoken'],
  ['xml2js', 'xml2js'],
  ['zlib', 'zlib', (zlib) => ({ zlib })],
  ['winstonlib', 'winston'],
  ['stripe', 'stripe'],
  ['twilio', 'twilio'],
  ['sendgrid', 'sendgrid'],
  ['hubspotlib', 'hubspot'],
  ['jsforce', 'jsforce'],
  ['nodemailjet', 'mailjet'],
  ['https', 'https'],
];

removeHostScheduling();
installGlobals();
// The crypto and oauth bundles reach fetch and the execution's random seed this way.
// Frozen: no run may leave anything on it (fetch itself is a guarded global).
// The Node shims of the SDK bundles (js/src/node) format as console does and build URLs
// with the WHATWG URL library.
provideModule('runner-core', Object.freeze({
  fetch,
  entropy: Object.freeze(() => runtime.entropy()),
  format: Object.freeze(format),
  inspect: Object.freeze(inspect),
  whatwgUrl: Object.freeze(() => requireLibrary('url')),
}));

// Python calls these with their payload as the receiver (runner/minirace_adapter.py).
function receiving(entry) {
  return function () { return entry(this); };
}

const protocol = Object.freeze({
  install: receiving((factory) => runtime.install(factory, false)),
  installLegacy: receiving((factory) => runtime.install(factory, true)),
  start: receiving(runtime.start),
  step: receiving(runtime.step),
  abort: receiving(runtime.abort),
  collect: runtime.collect,
});

// Python registers the library sources through this and keeps what it returns. It is
// called with its payload as the receiver (JSON text, not a script's source, so that V8
// keeps no second copy of the libraries): `libraries`, name -> source, and `load`, the
// globals of the libraries the function names, compiled now rather than within its
// first execution's time limit.
Object.defineProperty(globalThis, '__runnerHandOver', {
  value() {
    delete globalThis.__runnerHandOver;
    const { libraries, load } = JSON.parse(this);
    registerLibraries(libraries);
    takeSnapshot(preludeGlobals);
    loadNamedLibraries(load);
    return protocol;
  },
  writable: false,
  configurable: true,
  enumerable: false,
});
