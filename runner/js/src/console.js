// console.* captured per execution, with a byte cap so a chatty function cannot flood
// the execution log.
import { format } from './inspect.js';
import { activeExecution } from './state.js';

export const MAX_LOG_BYTES = 64 * 1024;
const CUT_MARKER = '[console output cut: over 64 KB]';

function record(level, args) {
  const execution = activeExecution();
  if (!execution || execution.logsCut) return;
  let message;
  try {
    message = format(...args);
  } catch (err) {
    message = '[unprintable value]';
  }
  const room = MAX_LOG_BYTES - execution.logBytes;
  if (message.length > room) {
    if (room > 0) execution.logs[execution.logs.length] = { level, message: message.slice(0, room) };
    execution.logs[execution.logs.length] = { level: 'warn', message: CUT_MARKER };
    execution.logsCut = true;
    execution.logBytes = MAX_LOG_BYTES;
    return;
  }
  execution.logBytes += message.length;
  execution.logs[execution.logs.length] = { level, message };
}

const levels = { log: 'log', info: 'info', warn: 'warn', error: 'error', debug: 'debug', trace: 'debug', dir: 'log' };

export const console = {};
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => record(level, args);
}
