// Node's http/https client over the runner's fetch bridge: every request a library makes
// with http.request goes through the same network guard, fetch count, fetch records and
// secret redaction as the function's own fetch() calls (there is no other network path).
// The response body arrives whole (and already decoded when it was compressed); it is
// then streamed to the caller as Node does, through 'data' and 'end' events.
const { EventEmitter } = require('events');
const { Readable } = require('readable-stream');
const { Buffer } = require('buffer');
const core = require('runner-core');

const STATUS_CODES = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted',
  204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found',
  303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const later = (fn) => Promise.resolve().then(fn);

class Agent extends EventEmitter {
  constructor(options) {
    super();
    this.options = { ...options };
    this.keepAlive = Boolean(this.options.keepAlive);
    this.maxSockets = this.options.maxSockets || Infinity;
    this.sockets = {};
    this.requests = {};
  }

  destroy() {}
}

// The socket a request reports: connected at once (the bridge connects in Python).
class FakeSocket extends EventEmitter {
  constructor(secure) {
    super();
    this.connecting = false;
    this.encrypted = secure;
    this.remoteAddress = undefined;
  }

  setTimeout() { return this; }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  ref() { return this; }
  unref() { return this; }
  destroy() { return this; }
  end() { return this; }
}

function urlOptions(url) {
  return {
    protocol: url.protocol, hostname: url.hostname, port: url.port,
    path: `${url.pathname || '/'}${url.search || ''}`,
    auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
  };
}

// http.request(url[, options][, callback]) or http.request(options[, callback]).
function requestArguments(args) {
  let [input, options, callback] = args;
  if (typeof options === 'function') [options, callback] = [undefined, options];
  let base = {};
  if (typeof input === 'string') base = urlOptions(new (core.whatwgUrl().URL)(input));
  else if (input && typeof input === 'object' && typeof input.href === 'string' && input.searchParams) base = urlOptions(input);
  else if (input && typeof input === 'object') options = { ...input, ...options };
  else if (typeof input === 'function') callback = input;
  return { options: { ...base, ...options }, callback };
}

function toChunk(chunk, encoding) {
  if (chunk === undefined || chunk === null) return null;
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array');
}

class IncomingMessage extends Readable {
  constructor(response, socket, body) {
    super();
    this.statusCode = response.status;
    this.statusMessage = response.statusText || STATUS_CODES[response.status] || '';
    this.httpVersion = '1.1';
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.socket = this.connection = socket;
    this.url = '';
    this.method = null;
    this.complete = false;
    this.aborted = false;
    this.responseUrl = response.url;
    this.headers = {};
    this.rawHeaders = [];
    this.trailers = {};
    response.headers.forEach((value, name) => {
      // The bridge hands the body over decoded: its encoding and length no longer apply.
      if (name === 'content-encoding') return;
      const shown = name === 'content-length' ? String(body.length) : value;
      this.headers[name] = name === 'set-cookie' ? [shown] : shown;
      this.rawHeaders.push(name, shown);
    });
    this._body = body;
  }

  _read() {
    if (this._body === null) return;
    const body = this._body;
    this._body = null;
    if (body.length) this.push(Buffer.from(body));
    this.complete = true;
    this.push(null);
  }

  setTimeout(ms, callback) {
    if (callback) this.once('timeout', callback);
    return this;
  }
}

class ClientRequest extends EventEmitter {
  constructor(defaultProtocol, options, callback, follow) {
    super();
    this.protocol = options.protocol || defaultProtocol;
    if (this.protocol !== defaultProtocol) {
      const err = new TypeError(`Protocol "${this.protocol}" not supported. Expected "${defaultProtocol}"`);
      err.code = 'ERR_INVALID_PROTOCOL';
      throw err;
    }
    this.method = String(options.method || 'GET').toUpperCase();
    this.host = options.hostname || options.host || 'localhost';
    this.path = options.path || '/';
    this.port = options.port;
    this.agent = options.agent;
    this.follow = follow;
    this.aborted = false;
    this.destroyed = false;
    this.finished = false;
    this.headersSent = false;
    this.reusedSocket = false;
    this.socket = this.connection = new FakeSocket(this.protocol === 'https:');
    this._headers = {};
    this._chunks = [];
    this._controller = new AbortController();
    this._timer = null;
    for (const [name, value] of Object.entries(options.headers || {})) {
      if (value !== undefined) this.setHeader(name, value);
    }
    if (options.auth && !this.hasHeader('authorization')) {
      this.setHeader('Authorization', `Basic ${Buffer.from(String(options.auth)).toString('base64')}`);
    }
    if (options.timeout) this.setTimeout(options.timeout);
    if (options.signal) options.signal.addEventListener('abort', () => this.destroy(options.signal.reason));
    if (callback) this.once('response', callback);
    later(() => { if (!this.destroyed) this.emit('socket', this.socket); });
  }

  setHeader(name, value) {
    if (this.headersSent) throw new Error('Cannot set headers after they are sent to the client');
    this._headers[String(name).toLowerCase()] = [String(name), value];
    return this;
  }

  getHeader(name) {
    const entry = this._headers[String(name).toLowerCase()];
    return entry ? entry[1] : undefined;
  }

  getHeaders() {
    const out = {};
    for (const [key, [, value]] of Object.entries(this._headers)) out[key] = value;
    return out;
  }

  getHeaderNames() { return Object.keys(this._headers); }
  hasHeader(name) { return String(name).toLowerCase() in this._headers; }
  removeHeader(name) { delete this._headers[String(name).toLowerCase()]; }
  flushHeaders() {}
  setNoDelay() {}
  setSocketKeepAlive() {}

  setTimeout(ms, callback) {
    if (callback) this.once('timeout', callback);
    if (this._timer) clearTimeout(this._timer);
    this._timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : null;
    return this;
  }

  write(chunk, encoding, callback) {
    if (this.finished) throw new Error('write after end');
    const bytes = toChunk(chunk, encoding);
    if (bytes) this._chunks.push(bytes);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) later(done);
    return true;
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === 'function') [chunk, callback] = [undefined, chunk];
    if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
    if (this.finished) return this;
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    this.finished = true;
    this.headersSent = true;
    later(() => {
      this.emit('finish');
      if (callback) callback();
      this._send();
    });
    return this;
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    later(() => this.emit('abort'));
    this.destroy();
  }

  destroy(error) {
    if (this.destroyed) return this;
    this.destroyed = true;
    this._controller.abort();
    if (this._timer) clearTimeout(this._timer);
    later(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }

  _url() {
    const defaultPort = this.protocol === 'https:' ? '443' : '80';
    const port = this.port && String(this.port) !== defaultPort ? `:${this.port}` : '';
    const host = this.host.includes(':') && !this.host.startsWith('[') ? `[${this.host}]` : this.host;
    return `${this.protocol}//${host}${port}${this.path}`;
  }

  _fetchOptions() {
    const headers = [];
    for (const [name, value] of Object.values(this._headers)) {
      if (['host', 'content-length', 'connection', 'transfer-encoding'].includes(name.toLowerCase())) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.push([name, String(item)]);
    }
    const init = { method: this.method, headers, redirect: this.follow ? 'follow' : 'manual', signal: this._controller.signal };
    if (this._chunks.length && this.method !== 'GET' && this.method !== 'HEAD') init.body = Buffer.concat(this._chunks);
    return init;
  }

  _send() {
    if (this.destroyed) return;
    core.fetch(this._url(), this._fetchOptions()).then(
      (response) => response.arrayBuffer().then((body) => this._respond(response, new Uint8Array(body))),
      (err) => this._fail(err),
    );
  }

  _respond(response, body) {
    if (this.destroyed) return;
    if (this._timer) clearTimeout(this._timer);
    const message = new IncomingMessage(response, this.socket, body);
    message.req = this;
    this.res = message;
    if (this.listenerCount('response') === 0) message.resume(); // as Node: nobody reads it
    this.emit('response', message);
  }

  _fail(err) {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this._timer) clearTimeout(this._timer);
    const error = err instanceof Error ? err : new Error(String(err));
    if (!error.code && error.type === 'aborted') error.code = 'ECONNRESET';
    this.emit('error', error);
    this.emit('close');
  }
}

function makeModule(protocol, follow) {
  const globalAgent = new Agent({ keepAlive: true });
  function request(...args) {
    const { options, callback } = requestArguments(args);
    return new ClientRequest(protocol, options, callback, follow);
  }
  function get(...args) {
    const req = request(...args);
    req.end();
    return req;
  }
  function refuse() {
    throw new Error('a function cannot listen for connections: only outgoing requests are available');
  }
  return {
    request, get, Agent, globalAgent, ClientRequest, IncomingMessage, STATUS_CODES, METHODS,
    createServer: refuse, Server: refuse, maxHeaderSize: 16384,
  };
}

module.exports = { makeModule, ClientRequest, IncomingMessage, Agent, STATUS_CODES };
