// What onRequest returned, read as the answer for the webhook's sender: a Response (the
// class of fetch.js, a global), or a plain { status, headers, body } object. Anything
// else that is not nothing (undefined, null) is not a response: the sender gets the
// usual answer, and the execution a warning naming what was returned.
//
// Only the shape is read here, into strings and a number; the limits (status range,
// allowed headers, body size) are Python's (runner/response.py), except the body's
// size, checked before the body is copied into the report. This runs inside the
// execution: what a function's getters or proxies throw fails that execution only.
import { OutputLimitError } from './errors.js';
import { Response } from './fetch.js';
import { Headers } from './headers.js';
import { toBytes, utf8Decode, utf8Encode } from './encoding.js';
import { byteSize } from './caps.js';

const { getPrototypeOf, keys } = Object;
const { isArray } = Array;
const { isInteger } = Number;
const stringify = JSON.stringify;
const RESPONSE_KEYS = new Set(['status', 'statusText', 'headers', 'body']);
const HOW = 'To answer the sender, return new Response(body, { status, headers }) or '
  + '{ status, headers, body } with a whole-number status; to give the usual answer, return nothing.';

// { response, warning }: the response as { status, headers: {name: value}, body }, or a
// warning (a sentence) when the value is something else; both null for nothing.
export function senderResponse(value, maxBodyBytes) {
  if (value === undefined || value === null) return { response: null, warning: null };
  if (value instanceof Response) {
    return fromParts(value.status, value.headers, bodyText(value._body), maxBodyBytes, 'a Response');
  }
  if (!isPlainObject(value)) return notResponse(describe(value));
  const names = keys(value);
  const shaped = names.length > 0 && names.every((name) => RESPONSE_KEYS.has(name))
    && (names.includes('status') || names.includes('body'));
  if (!shaped) return notResponse(describe(value));
  const status = value.status === undefined ? 200 : value.status;
  const headers = new Headers(value.headers instanceof Headers ? value.headers : value.headers || {});
  const body = plainBody(value.body, headers);
  return fromParts(status, headers, body, maxBodyBytes, 'an object');
}

function fromParts(status, headers, body, maxBodyBytes, what) {
  if (typeof status !== 'number' || !isInteger(status)) {
    return notResponse(`${what} whose status is ${preview(status)}`);
  }
  checkBodySize(body, maxBodyBytes);
  const map = headers instanceof Headers ? headers._map : new Headers(headers)._map;
  const named = {};
  for (const [name, values] of map) named[String(name)] = values.join(', ');
  return { response: { status, headers: named, body }, warning: null };
}

function notResponse(what) {
  return {
    response: null,
    warning: `onRequest returned ${what}, which is not a response: the sender gets the usual answer. ${HOW}`,
  };
}

function isPlainObject(value) {
  if (typeof value !== 'object' || isArray(value)) return false;
  const prototype = getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// A Response's body as fetch.js keeps it (null, a string, or bytes), as text.
function bodyText(body) {
  if (body === null || body === undefined) return '';
  return typeof body === 'string' ? body : utf8Decode(toBytes(body));
}

// The body of a plain object: text as it is, bytes as UTF-8, anything else as JSON (with
// a JSON content type unless the function chose one).
function plainBody(body, headers) {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8');
    return body;
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return utf8Decode(toBytes(body));
  if (typeof body === 'object') {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    const text = stringify(body);
    return text === undefined ? '' : text;
  }
  return String(body);
}

function checkBodySize(body, maxBodyBytes) {
  // A UTF-16 unit is one to three UTF-8 bytes (a surrogate pair four): only a body
  // between the two bounds needs counting.
  if (body.length * 3 <= maxBodyBytes) return;
  const size = body.length > maxBodyBytes ? body.length : utf8Encode(body).length;
  if (size > maxBodyBytes) {
    throw new OutputLimitError(`the response's body is over ${byteSize(maxBodyBytes)} (a function may answer its sender with at most ${byteSize(maxBodyBytes)})`);
  }
}

function preview(value) {
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${stringify(text)} (a string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} (${typeof value === 'number' ? 'not a whole number' : `a ${typeof value}`})`;
  }
  return describe(value);
}

function describe(value) {
  switch (typeof value) {
    case 'number': return `a number (${String(value)})`;
    case 'string': return `a string (${preview(value).replace(/ \(a string\)$/, '')})`;
    case 'boolean': return `a boolean (${String(value)})`;
    case 'bigint': return `a bigint (${String(value)})`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    case 'undefined': return 'nothing';
    default: break;
  }
  if (value === null) return 'null';
  if (isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (!isPlainObject(value)) {
    const ctor = getPrototypeOf(value) && getPrototypeOf(value).constructor;
    const name = typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name ? ctor.name : 'object';
    return `an instance of ${name}`;
  }
  const names = keys(value);
  if (!names.length) return 'an empty object';
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  return `an object with ${names.length === 1 ? 'the key' : 'the keys'} ${shown}`;
}
