// console.* captured per execution, within the caps on console lines and bytes
// (caps.js): the first lines are kept, and the call that goes over fails the execution.
import { format } from './inspect.js';
import { activeExecution } from './state.js';
import { LINE_OVERHEAD_BYTES, byteSize, grouped, ordinal, overLimit } from './caps.js';
import { utf8Length } from './segment.js';

function fits(execution, message) {
  const room = execution.caps.consoleBytes - execution.logBytes - LINE_OVERHEAD_BYTES;
  // A UTF-16 unit is at least one byte of UTF-8: a longer text is not even counted.
  if (message.length > room) return false;
  const bytes = utf8Length(message);
  if (bytes > room) return false;
  execution.logBytes += bytes + LINE_OVERHEAD_BYTES;
  return true;
}

function record(method, level, args) {
  const execution = activeExecution();
  if (!execution) return;
  const caps = execution.caps;
  if (execution.consoleCap === null && execution.logs.length >= caps.consoleLines) {
    execution.consoleCap = `write at most ${grouped(caps.consoleLines)} console lines per request`;
  }
  if (execution.consoleCap === null) {
    let message;
    try {
      message = format(...args);
    } catch (err) {
      message = '[unprintable value]';
    }
    if (fits(execution, message)) {
      execution.logs[execution.logs.length] = { level, message };
      return;
    }
    execution.consoleCap = `write at most ${byteSize(caps.consoleBytes)} of console output per request`;
  }
  // Over a cap: this line and every later one are dropped (and counted, see runtime.js).
  execution.dropped.logs += 1;
  throw overLimit(execution, 'logs', () => `${ordinal(execution.logs.length + 1)} console.${method} call: a function may ${execution.consoleCap}`);
}

const levels = { log: 'log', info: 'info', warn: 'warn', error: 'error', debug: 'debug', trace: 'debug', dir: 'log' };

export const console = {};
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => record(method, level, args);
}
