// fetch with the node-fetch 2 API. The request is queued in the execution's outbox; the
// Python side performs it (with its network guard) and delivers the response back.
import { AbortError, FetchError } from './errors.js';
import { Headers, receivedHeaders } from './headers.js';
import { FormData } from './formdata.js';
import { base64ToBytes, bytesToBase64, toBytes, utf8Decode } from './encoding.js';
import { activeExecution } from './state.js';
import { requireLibrary } from './loader.js';

const USER_AGENT = 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)';
// An HTTP token (RFC 7230), as Node checks a method; and a legal header value.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REDIRECTS = ['follow', 'manual', 'error'];
const MAX_FOLLOW = 20;

// Options are checked here, where a bad one is an ordinary TypeError the function can
// catch (never a failure of the runner's own code). Like node-fetch, a missing option
// (undefined, null, 0, '') takes the default and a numeric string is read as a number.
function numberOption(name, value) {
  if (value === undefined || value === null || value === false || value === '') return 0;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
    throw new TypeError(`${name} must be a number`);
  }
  return number;
}

function methodOption(value) {
  const method = String(value).toUpperCase();
  if (!TOKEN.test(method)) throw new TypeError(`Method must be a valid HTTP token ["${method}"]`);
  return method;
}

function redirectOption(value) {
  if (!REDIRECTS.includes(value)) {
    throw new TypeError(`redirect must be one of 'follow', 'manual' or 'error', got '${String(value)}'`);
  }
  return value;
}

function followOption(value) {
  // node-fetch compares its redirect count with `follow`: null stops at the first one.
  return value === undefined ? MAX_FOLLOW : Math.min(MAX_FOLLOW, numberOption('follow', value === null ? 0 : value));
}

function signalOption(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || typeof value.addEventListener !== 'function' || !('aborted' in value)) {
    throw new TypeError('Expected signal to be an instanceof AbortSignal');
  }
  return value;
}

function abortError() {
  const err = new AbortError('The user aborted a request.');
  err.type = 'aborted';
  return err;
}

class Body {
  _initBody(body) {
    this._body = body === undefined || body === null ? null : body;
    this.bodyUsed = false;
  }

  _consume() {
    if (this.bodyUsed) return Promise.reject(new TypeError(`body used already for: ${this.url}`));
    this.bodyUsed = true;
    return Promise.resolve(this._body);
  }

  async text() {
    const body = await this._consume();
    if (body === null) return '';
    return typeof body === 'string' ? body : utf8Decode(body);
  }

  async json() {
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new FetchError(`invalid json response body at ${this.url} reason: ${err.message}`);
    }
  }

  async arrayBuffer() {
    const body = await this._consume();
    const bytes = body === null ? new Uint8Array(0) : toBytes(body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  async buffer() {
    const body = await this._consume();
    const { Buffer } = requireLibrary('buffer');
    return Buffer.from(body === null ? new Uint8Array(0) : toBytes(body));
  }
}

function encodeBody(body, headers) {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    return body;
  }
  if (body instanceof FormData) {
    if (!headers.has('content-type')) headers.set('content-type', body.getHeaders()['content-type']);
    return body.getBytes();
  }
  if (Object.prototype.toString.call(body) === '[object URLSearchParams]') {
    if (!headers.has('content-type')) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    }
    return body.toString();
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return toBytes(body);
  return String(body);
}

export class Request extends Body {
  constructor(input, init = {}) {
    super();
    const source = input instanceof Request ? input : null;
    if (init === null || typeof init !== 'object') init = {};
    this.url = source ? source.url : String(input);
    if (!/^https?:\/\//i.test(this.url)) throw new TypeError('Only absolute URLs are supported');
    this.method = methodOption(init.method || (source && source.method) || 'GET');
    this.headers = new Headers(init.headers || (source && source.headers) || {});
    const body = init.body !== undefined ? init.body : source && source._body;
    if (body !== undefined && body !== null && (this.method === 'GET' || this.method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    this._initBody(encodeBody(body, this.headers));
    this.redirect = redirectOption(init.redirect || (source && source.redirect) || 'follow');
    this.follow = followOption(init.follow !== undefined ? init.follow : source ? source.follow : undefined);
    this.timeout = numberOption('timeout', init.timeout || (source && source.timeout));
    this.size = numberOption('size', init.size || (source && source.size));
    this.signal = signalOption(init.signal !== undefined ? init.signal : source && source.signal);
  }

  clone() { return new Request(this); }
}

export class Response extends Body {
  constructor(body = null, init = {}) {
    super();
    this.headers = new Headers(init.headers || {});
    this._initBody(body === null ? null : encodeBody(body, this.headers));
    this.status = init.status === undefined ? 200 : init.status;
    this.statusText = init.statusText || '';
    this.url = init.url || '';
    this.redirected = Boolean(init.redirected);
  }

  // The WHATWG shorthand: `return Response.json({ ok: true })` answers a sender in JSON.
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the value cannot be written as JSON');
    const options = init !== null && typeof init === 'object' ? init : {};
    const headers = new Headers(options.headers || {});
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { status: options.status, statusText: options.statusText, headers });
  }

  get ok() { return this.status >= 200 && this.status < 300; }
  clone() {
    if (this.bodyUsed) throw new Error('cannot clone body after it is used');
    return new Response(this._body, this);
  }
}

function outboundMessage(id, request) {
  const body = request._body;
  const headers = [...request.headers];
  if (!request.headers.has('accept')) headers.push(['accept', '*/*']);
  if (!request.headers.has('user-agent')) headers.push(['user-agent', USER_AGENT]);
  return {
    id, method: request.method, url: request.url, headers,
    body: body === null ? null : typeof body === 'string' ? { text: body } : { base64: bytesToBase64(body) },
    redirect: request.redirect, follow: request.follow, timeout: request.timeout, size: request.size,
  };
}

export function fetch(input, init) {
  return new Promise((resolve, reject) => {
    const execution = activeExecution();
    if (!execution) return;
    const request = new Request(input, init);
    const signal = request.signal;
    if (signal && signal.aborted) {
      reject(abortError());
      return;
    }
    const id = execution.nextFetchId++;
    execution.pending.set(id, { resolve, reject });
    execution.outbox[execution.outbox.length] = outboundMessage(id, request);
    // The call still goes out (it may be in flight already); its answer is dropped.
    if (signal) {
      signal.addEventListener('abort', () => {
        if (execution.pending.delete(id)) reject(abortError());
      }, { once: true });
    }
  });
}

// Called with the Python side's answer for one queued fetch.
export function deliverFetch(execution, answer) {
  const waiter = execution.pending.get(answer.id);
  if (!waiter) return;
  execution.pending.delete(answer.id);
  if (answer.error) {
    const err = new FetchError(answer.error.message);
    err.type = answer.error.type || 'system';
    if (answer.error.code) err.code = err.errno = answer.error.code;
    waiter.reject(err);
    return;
  }
  const body = answer.base64 !== undefined ? base64ToBytes(answer.base64) : answer.text;
  const response = new Response(null, { ...answer, headers: undefined });
  response.headers = receivedHeaders(answer.headers);
  waiter.resolve(response._withBody(body));
}

Response.prototype._withBody = function (body) {
  this._initBody(body);
  return this;
};

