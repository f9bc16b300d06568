// The runner's side of the protocol with Python. A batch of executions of one function
// version runs one execution after the other. Python drives it in steps: `start` or
// `step` kicks the isolate, V8 runs the microtasks that follow, then `collect` reports
// finished executions and what the current one waits for (fetches, timers).
// Python holds these functions (prelude.js); no global leads to them. Payloads come as
// JSON text, parsed here: each execution is handed its own request and settings only,
// and the batch that holds the others lives in this module's closure.
import { TimeoutError } from './errors.js';
import { collectLegacyOutput } from './segment.js';
import { currentExecution, setCurrentExecution } from './state.js';
import { fireDueTimers, nextTimerDelay } from './timers.js';
import { deliverFetch } from './fetch.js';
import { deliverCache, unsentCacheWrites } from './cache.js';
import { makeLegacyEvent, makeRequest } from './request.js';
import { resetAfterExecution, resetIdleIntrinsics } from './isolation.js';
import { grouped } from './caps.js';
import { senderResponse } from './respond.js';

const stringify = JSON.stringify;
const parse = JSON.parse;
// The clock of the loop guards, held here: a function that replaces Date cannot stop it.
const clock = Date.now;
let entryFactory = null;
let legacy = false;
let batch = null;
let tainted = false;

class Execution {
  constructor(index, item) {
    this.index = index;
    this.item = item;
    this.events = [];
    this.objects = [];
    this.logs = [];
    this.logBytes = 0;
    this.caps = batch.caps;
    this.dropped = { events: 0, objects: 0, logs: 0 };
    this.consoleCap = null; // the console cap gone over, in words (console.js)
    this.capErrors = {}; // per cap gone over, its OutputLimitError (caps.js)
    this.limitError = null; // the first of them: it fails the execution
    this.response = null; // what onRequest returned for the sender (respond.js)
    this.timers = new Map();
    this.pending = new Map();
    this.outbox = [];
    this.nextFetchId = 1;
    this.waited = false;
    this.settled = false;
    this.startedAt = Date.now();
  }

  succeed(value) {
    if (this.settled) return;
    if (this.limitError) {
      this.fail(this.limitError);
      return;
    }
    try {
      if (legacy) {
        const output = collectLegacyOutput(value, this.caps);
        this.events = output.events;
        this.objects = output.objects;
        if (output.warning !== null) this.logs[this.logs.length] = { level: 'warn', message: output.warning };
      } else {
        this.answer(value);
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    finish(this, null);
  }

  answer(value) {
    const answer = senderResponse(value, this.caps.responseBytes);
    this.response = answer.response;
    if (answer.warning !== null) this.logs[this.logs.length] = { level: 'warn', message: answer.warning };
  }

  fail(err) {
    if (this.settled) return;
    const first = this.limitError || err;
    const described = describeError(first);
    // Describing it may have run the function's code (a getter, Error.prepareStackTrace)
    // until a loop guard stopped it: then the time limit is what failed it.
    const limit = this.limitError;
    finish(this, limit && limit !== first ? describeError(limit) : described);
  }
}

function describeError(err) {
  if (err !== null && typeof err === 'object' && 'message' in err) {
    const name = String(err.name || 'Error');
    const message = String(err.message);
    let stack = '';
    try { stack = String(err.stack || ''); } catch (e) { stack = ''; }
    const described = { name, message, stack: stack || `${name}: ${message}` };
    if (err === overtime) described.limit = 'time'; // Python adds the loop's line
    return described;
  }
  const message = String(err);
  return { name: 'Error', message, stack: `Error: ${message}` };
}

function jsonList(texts) {
  let list = '';
  for (let i = 0; i < texts.length; i++) list += (i ? ',' : '') + texts[i];
  return '[' + list + ']';
}

function finish(execution, error) {
  execution.settled = true;
  execution.timers.clear();
  execution.pending.clear();
  const cacheWrites = stringify(unsentCacheWrites(execution));
  execution.outbox = [];
  setCurrentExecution(null);
  if (!resetAfterExecution()) tainted = true;
  noteDroppedLines(execution);
  // Serialised now, while the runtime is known clean (or tainted by this very execution):
  // a later execution that poisons JSON (a toJSON on a prototype) cannot touch it.
  // Events and objects are JSON already (segment.js): joined by hand, not parsed again.
  const report = '{"index":' + execution.index
    + ',"events":' + jsonList(error ? [] : execution.events)
    + ',"objects":' + jsonList(error ? [] : execution.objects)
    + ',"logs":' + stringify(execution.logs)
    + ',"error":' + stringify(error)
    + ',"response":' + stringify(error ? null : execution.response)
    + ',"cache":' + cacheWrites
    + ',"durationMs":' + stringify(Date.now() - execution.startedAt) + '}';
  batch.done[batch.done.length] = report;
  // An execution that waited on fetches or timers ends its kick, so its result reaches
  // Python before anything else runs.
  if (execution.waited || tainted) batch.hold = true;
  pump();
}

function noteDroppedLines(execution) {
  const count = execution.dropped.logs;
  if (count === 0) return;
  const lines = count === 1 ? 'line' : 'lines';
  execution.logs[execution.logs.length] = {
    level: 'warn',
    message: `[${grouped(count)} more console ${lines} dropped: a function may ${execution.consoleCap}]`,
  };
}

// --- loop guards --------------------------------------------------------------------------
// The runner puts a call to loopGuard at the top of every loop body of the function
// (runner/loops.py): at the execution's time limit it throws a TimeoutError whose stack
// is where the loop was, and throws it again at every later turn of any loop, so a loop
// that catches it still stops. The execution fails with it whatever it does next.
let guardTicks = 0;
let guardDeadline = Infinity; // of the execution that began last
let overtime = null; // that execution's TimeoutError, once its time is up

function loopGuard() {
  if (overtime !== null) throw overtime;
  // The clock is read every 16th turn: a few nanoseconds a turn, and a turn that takes a
  // millisecond is still stopped within 16 ms of the limit.
  if ((++guardTicks & 15) !== 0 || clock() < guardDeadline) return;
  overtime = new TimeoutError(`the function ran past its ${limitInWords(batch.timeoutMs)} limit`);
  const execution = currentExecution();
  if (execution !== null && !execution.limitError) execution.limitError = overtime;
  throw overtime;
}
Object.freeze(loopGuard);

function limitInWords(ms) {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

function invoke(item) {
  const entry = entryFactory();
  if (legacy) {
    const handler = entry && entry.processEvents;
    if (typeof handler !== 'function') {
      throw new ReferenceError('exports.processEvents is not defined: a legacy function must set exports.processEvents = async (event) => ({ events, objects })');
    }
    return handler(makeLegacyEvent(item.request));
  }
  if (typeof entry !== 'function') {
    throw new ReferenceError('onRequest is not defined: a source function must define async function onRequest(request, settings)');
  }
  return entry(makeRequest(item.request), item.settings);
}

function begin(index) {
  const item = batch.items[index];
  batch.items[index] = null; // the batch keeps no execution's data once it has started
  const execution = new Execution(index, item);
  setCurrentExecution(execution);
  guardDeadline = clock() + batch.timeoutMs;
  overtime = null;
  batch.starts += 1;
  let promise;
  try {
    promise = Promise.resolve(invoke(item));
  } catch (err) {
    promise = Promise.reject(err);
  }
  promise.then((value) => execution.succeed(value), (err) => execution.fail(err));
}

function mayStartAnother() {
  if (batch.hold || tainted || batch.next >= batch.items.length) return false;
  if (batch.starts >= batch.maxStarts) return false;
  return batch.starts === 0 || Date.now() - batch.kickedAt < batch.sliceMs;
}

function pump() {
  if (currentExecution() === null && mayStartAnother()) begin(batch.next++);
}

function newKick() {
  batch.kickedAt = Date.now();
  batch.starts = 0;
  batch.hold = false;
}

// `maker` is the function's compiled code (runner/compiler.py): given the loop guard, it
// gives the factory each execution calls.
export function install(maker, isLegacy) {
  entryFactory = maker(loopGuard);
  legacy = Boolean(isLegacy);
}

export function start(text) {
  const spec = parse(text);
  batch = {
    items: spec.items, next: 0, done: [], sliceMs: spec.sliceMs, maxStarts: spec.maxStarts,
    caps: spec.limits, kickedAt: 0, starts: 0, hold: false, timeoutMs: spec.timeoutMs || Infinity,
  };
  newKick();
  pump();
}

export function step(text) {
  const answers = parse(text);
  newKick();
  const execution = currentExecution();
  if (execution === null) {
    pump();
    return;
  }
  for (const answer of answers) (answer.cache ? deliverCache : deliverFetch)(execution, answer);
  fireDueTimers(execution);
}

export function abort(text) {
  const message = String(text);
  const execution = currentExecution();
  newKick();
  if (execution) execution.fail(new TimeoutError(message));
  else pump();
}

export function entropy() {
  const execution = currentExecution();
  return execution ? execution.item.seed : 'idle';
}

// Built by hand from strings and numbers, so nothing a function replaced (Array.prototype
// join, a toJSON) decides what Python reads; `started` lets Python see a lost report.
export function collect() {
  const execution = currentExecution();
  let current = 'null';
  if (execution) {
    execution.waited = true;
    current = stringify({
      index: execution.index,
      elapsedMs: Date.now() - execution.startedAt,
      outbox: execution.outbox,
      pendingFetches: execution.pending.size,
      nextTimerMs: nextTimerDelay(execution),
    });
    execution.outbox = [];
  }
  if (execution === null && !tainted && !resetIdleIntrinsics()) tainted = true;
  const done = batch.done;
  batch.done = [];
  let reports = '';
  for (let i = 0; i < done.length; i++) reports += (i ? ',' : '') + done[i];
  const finished = execution === null && batch.next >= batch.items.length;
  return '{"done":[' + reports + '],"current":' + current + ',"finished":' + finished
    + ',"tainted":' + tainted + ',"started":' + batch.next + '}';
}
