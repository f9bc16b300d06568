// The `Segment` module of Source Functions: each call validates a message, fills the
// defaults and appends it to the outgoing batch of the current execution. The batch is
// handed over only when the function returns without error.
import { OutputLimitError, ValidationError } from './errors.js';
import { activeExecution } from './state.js';
import { checkOutputRoom, grouped, ordinal } from './caps.js';

// Captured so a function that replaces JSON or Array.prototype.push cannot break the batch.
const { stringify } = JSON;
const { keys } = Object;
const append = (list, value) => { list[list.length] = value; };

const MAX_MESSAGE_BYTES = 32 * 1024;
// Deeper than this no analytics payload goes; far deeper, the JSON readers and writers
// downstream (the runner's, the stores', a warehouse's) run out of stack.
const MAX_DEPTH = 100;
const COMMON_FIELDS = ['userId', 'anonymousId', 'context', 'integrations', 'messageId', 'timestamp'];
const TYPE_FIELDS = {
  identify: ['traits'],
  track: ['event', 'properties'],
  group: ['groupId', 'traits'],
  page: ['name', 'category', 'properties'],
  screen: ['name', 'category', 'properties'],
  alias: ['previousId'],
};
const OBJECT_FIELDS = ['properties', 'traits', 'context', 'integrations'];
export const EVENT_TYPES = Object.keys(TYPE_FIELDS);

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isMissing(value) {
  return value === undefined || value === null || value === '';
}

export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes;
}

function fail(call, text) {
  throw new ValidationError(`${call}: ${text}`);
}

function checkIdentity(call, type, message) {
  if (type === 'alias') {
    if (isMissing(message.previousId)) fail(call, '"previousId" is required');
    if (isMissing(message.userId)) fail(call, '"userId" is required');
  } else if (isMissing(message.userId) && isMissing(message.anonymousId)) {
    fail(call, '"userId" or "anonymousId" is required');
  }
}

function checkShape(call, type, message) {
  if (type === 'track' && isMissing(message.event)) fail(call, '"event" is required');
  if (type === 'group' && isMissing(message.groupId)) fail(call, '"groupId" is required');
  for (const field of OBJECT_FIELDS) {
    if (message[field] !== undefined && !isPlainObject(message[field])) {
      fail(call, `"${field}" must be an object`);
    }
  }
}

// Returns the message as JSON: what the execution's report carries, so a later change to
// the objects the function passed in does not reach it (and it is serialised only once).
function checkedJson(call, message) {
  const text = stringify(message);
  // A UTF-16 unit is at most 3 bytes of UTF-8: short texts need no counting.
  const bytes = text.length * 3 <= MAX_MESSAGE_BYTES ? 0 : utf8Length(text);
  if (bytes > MAX_MESSAGE_BYTES) {
    fail(call, `the message is ${bytes} bytes; the limit is 32 KB`);
  }
  const depth = text.length > MAX_DEPTH * 2 ? nesting(text) : 0;
  if (depth > MAX_DEPTH) {
    fail(call, `the message is nested ${depth} levels deep; the limit is ${MAX_DEPTH}`);
  }
  return text;
}

// How deep the objects and arrays of a JSON text go (brackets inside strings skipped).
function nesting(text) {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // a string: to its closing quote, past escaped characters
      for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return deepest;
}

function copyFields(type, message) {
  const out = { type };
  for (const field of COMMON_FIELDS.concat(TYPE_FIELDS[type])) {
    if (message[field] !== undefined) out[field] = message[field];
  }
  if (out.timestamp instanceof Date) out.timestamp = out.timestamp.toISOString();
  if (out.timestamp === undefined || out.timestamp === null) out.timestamp = new Date().toISOString();
  return out;
}

// Validate one event call and return the message to send, as JSON.
export function buildEvent(type, message, call = `Segment.${type}()`) {
  if (!isPlainObject(message)) fail(call, 'expects an object argument');
  checkIdentity(call, type, message);
  checkShape(call, type, message);
  return checkedJson(call, copyFields(type, message));
}

// Validate one `Segment.set()` call and return the object to upsert, as JSON.
export function buildObject(message, call = 'Segment.set()') {
  if (!isPlainObject(message)) fail(call, 'expects an object argument');
  if (isMissing(message.collection) || typeof message.collection !== 'string') {
    fail(call, '"collection" is required and must be a string');
  }
  if (isMissing(message.id)) fail(call, '"id" is required');
  if (!isPlainObject(message.properties)) fail(call, '"properties" is required and must be an object');
  const out = { collection: message.collection, id: String(message.id), properties: message.properties };
  return checkedJson(call, out);
}

function emitter(type) {
  const call = `Segment.${type}`;
  return function (message) {
    const execution = activeExecution();
    if (execution) checkOutputRoom(execution, 'events', call);
    const event = buildEvent(type, message);
    if (execution) append(execution.events, event);
  };
}

export const Segment = Object.freeze({
  identify: emitter('identify'),
  track: emitter('track'),
  group: emitter('group'),
  page: emitter('page'),
  screen: emitter('screen'),
  alias: emitter('alias'),
  set(message) {
    const execution = activeExecution();
    if (execution) checkOutputRoom(execution, 'objects', 'Segment.set');
    const object = buildObject(message);
    if (execution) append(execution.objects, object);
  },
});

function checkReturned(list, cap, kind) {
  if (list.length > cap) {
    throw new OutputLimitError(`${ordinal(cap + 1)} ${kind.slice(0, -1)} returned by processEvents(): a function may emit at most ${grouped(cap)} ${kind} per request`);
  }
}

// The legacy interface returns `{events, objects}`; they go through the same checks and
// caps. Events and objects are kept as JSON texts (see checkedJson). `warning`: why
// nothing was emitted when the object returned has neither (a message returned as it is).
export function collectLegacyOutput(output, caps) {
  const result = { events: [], objects: [], warning: null };
  if (output === undefined || output === null) return result;
  if (!isPlainObject(output)) fail('processEvents()', 'must return an object { events, objects }');
  result.warning = legacyShapeWarning(output);
  const events = output.events === undefined ? [] : output.events;
  const objects = output.objects === undefined ? [] : output.objects;
  if (!Array.isArray(events)) fail('processEvents()', '"events" must be an array');
  if (!Array.isArray(objects)) fail('processEvents()', '"objects" must be an array');
  checkReturned(events, caps.events, 'events');
  checkReturned(objects, caps.objects, 'objects');
  events.forEach((event, i) => {
    const call = `processEvents() events[${i}]`;
    const type = event && event.type;
    if (!EVENT_TYPES.includes(type)) fail(call, `"type" must be one of ${EVENT_TYPES.join(', ')}`);
    append(result.events, buildEvent(type, event, call));
  });
  objects.forEach((object, i) => {
    append(result.objects, buildObject(object, `processEvents() objects[${i}]`));
  });
  return result;
}

function legacyShapeWarning(output) {
  if (output.events !== undefined || output.objects !== undefined || !keys(output).length) return null;
  const what = typeof output.type === 'string' ? `one ${output.type} message` : 'an object with neither events nor objects';
  return `processEvents() returned ${what}, not { events, objects }: nothing was emitted. Return { events: [message] } to emit it.`;
}
