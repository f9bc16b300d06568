// FormData with the API of the npm `form-data` package (append, getHeaders,
// getBoundary, getBuffer), enough to build multipart bodies for fetch.
import { toBytes, utf8Encode } from './encoding.js';

function randomBoundary() {
  let digits = '';
  for (let i = 0; i < 24; i++) digits += Math.floor(Math.random() * 10).toString(16);
  return '--------------------------' + digits;
}

function concat(chunks) {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) { out.set(chunk, offset); offset += chunk.length; }
  return out;
}

export class FormData {
  constructor() {
    this._parts = [];
    this._boundary = null;
  }

  append(name, value, options) {
    const opts = typeof options === 'string' ? { filename: options } : options || {};
    const binary = value instanceof Uint8Array || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
    if (value !== null && typeof value === 'object' && !binary) {
      throw new TypeError('FormData values must be strings, numbers or Buffers');
    }
    this._parts.push({ name: String(name), value, filename: opts.filename, contentType: opts.contentType, binary });
  }

  getBoundary() {
    if (!this._boundary) this._boundary = randomBoundary();
    return this._boundary;
  }

  setBoundary(boundary) { this._boundary = String(boundary); }

  getHeaders(extra = {}) {
    const headers = { 'content-type': `multipart/form-data; boundary=${this.getBoundary()}` };
    for (const name of Object.keys(extra)) headers[name.toLowerCase()] = extra[name];
    return headers;
  }

  _partHeader(part) {
    let head = `--${this.getBoundary()}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename) head += `; filename="${part.filename}"`;
    const type = part.contentType || (part.binary || part.filename ? 'application/octet-stream' : null);
    if (type) head += `\r\nContent-Type: ${type}`;
    return head + '\r\n\r\n';
  }

  getBytes() {
    const chunks = [];
    for (const part of this._parts) {
      chunks.push(utf8Encode(this._partHeader(part)), toBytes(part.value), utf8Encode('\r\n'));
    }
    chunks.push(utf8Encode(`--${this.getBoundary()}--\r\n`));
    return concat(chunks);
  }

  getBuffer() {
    return globalThis.Buffer.from(this.getBytes());
  }

  getLengthSync() { return this.getBytes().length; }

  get(name) {
    const part = this._parts.find((p) => p.name === name);
    return part ? part.value : null;
  }

  getAll(name) { return this._parts.filter((p) => p.name === name).map((p) => p.value); }
  has(name) { return this._parts.some((p) => p.name === name); }
  *entries() { for (const p of this._parts) yield [p.name, p.value]; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return '[object FormData]'; }
}
