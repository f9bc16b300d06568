// setTimeout and friends, owned by the runner: the Python side wakes the isolate when the
// next timer is due, and every timer still pending when an execution ends is dropped.
import { activeExecution } from './state.js';

let nextId = 1;

class Timeout {
  constructor(id) { this.id = id; }
  ref() { return this; }
  unref() { return this; }
  hasRef() { return true; }
  refresh() { return this; }
  [Symbol.toPrimitive]() { return this.id; }
}

function schedule(fn, delay, args, repeat) {
  if (typeof fn !== 'function') {
    throw new TypeError('The "callback" argument must be of type function');
  }
  const execution = activeExecution();
  const id = nextId++;
  const ms = Math.max(1, Number(delay) || 0);
  if (execution) execution.timers.set(id, { fn, args, due: Date.now() + ms, repeat: repeat ? ms : 0 });
  return new Timeout(id);
}

function cancel(handle) {
  const execution = activeExecution();
  if (execution && handle !== undefined && handle !== null) execution.timers.delete(Number(handle));
}

export const timerGlobals = {
  setTimeout: (fn, delay, ...args) => schedule(fn, delay, args, false),
  setInterval: (fn, delay, ...args) => schedule(fn, delay, args, true),
  setImmediate: (fn, ...args) => schedule(fn, 0, args, false),
  clearTimeout: cancel,
  clearInterval: cancel,
  clearImmediate: cancel,
};

// Run every due timer of the execution; an exception in one fails the execution, as an
// uncaught exception does in Node.
export function fireDueTimers(execution) {
  const now = Date.now();
  const due = [...execution.timers].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due);
  for (const [id, timer] of due) {
    if (execution.settled || !execution.timers.has(id)) continue;
    if (timer.repeat) timer.due = now + timer.repeat;
    else execution.timers.delete(id);
    try {
      timer.fn(...timer.args);
    } catch (err) {
      execution.fail(err);
    }
  }
}

export function nextTimerDelay(execution) {
  let soonest = null;
  for (const timer of execution.timers.values()) {
    if (soonest === null || timer.due < soonest) soonest = timer.due;
  }
  return soonest === null ? null : Math.max(0, soonest - Date.now());
}
