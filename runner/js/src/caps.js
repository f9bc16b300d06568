// The caps on what one execution may emit (events, objects) and write (console lines
// and bytes), from the Limits Python sends with each batch. They are checked at the call,
// before any work, so a runaway loop stops at its first call over a cap at the cost of
// a comparison. Going over fails the execution with OutputLimitError, even when the
// function catches the error: the first one is kept and reported.
import { OutputLimitError } from './errors.js';

// A console line costs its text plus this much (its level, its framing when stored),
// so a flood of empty lines counts too.
export const LINE_OVERHEAD_BYTES = 32;

// 1000 -> "1,000", without Intl (a function may not change it, but it is not needed).
export function grouped(n) {
  let text = String(n);
  for (let i = text.length - 3; i > 0; i -= 3) text = text.slice(0, i) + ',' + text.slice(i);
  return text;
}

// 1001 -> "1,001st", 12 -> "12th".
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' })[n % 10] || 'th';
  return grouped(n) + suffix;
}

export function byteSize(n) {
  if (n % (1024 * 1024) === 0) return `${grouped(n / (1024 * 1024))} MB`;
  if (n % 1024 === 0) return `${grouped(n / 1024)} KB`;
  return `${grouped(n)} bytes`;
}

// The error for going over the cap of `kind`, made at the first call over it (`message`
// is only called then); later calls throw it again, which costs no new stack trace.
export function overLimit(execution, kind, message) {
  let err = execution.capErrors[kind];
  if (err === undefined) {
    err = execution.capErrors[kind] = new OutputLimitError(message());
    if (!execution.limitError) execution.limitError = err;
  }
  return err;
}

// Before a Segment call adds to `kind` ('events' or 'objects'): throws past the cap.
export function checkOutputRoom(execution, kind, call) {
  const cap = execution.caps[kind];
  if (execution[kind].length < cap) return;
  execution.dropped[kind] += 1;
  throw overLimit(execution, kind, () => `${ordinal(cap + 1)} ${call} call: a function may emit at most ${grouped(cap)} ${kind} per request`);
}
