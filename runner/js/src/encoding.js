// UTF-8 and base64 without Node: TextEncoder/TextDecoder, atob/btoa, and the byte
// helpers the fetch bridge uses to move bodies to and from Python.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

export function utf8Encode(text) {
  const bytes = [];
  const str = String(text);
  for (let i = 0; i < str.length; i++) {
    let code = str.codePointAt(i);
    if (code > 0xffff) i++;
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return new Uint8Array(bytes);
}

function continuation(bytes, i, count) {
  for (let k = 1; k <= count; k++) {
    if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return false;
  }
  return true;
}

export function utf8Decode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    let code = 0xfffd;
    if (b < 0x80) code = b;
    else if (b >= 0xc2 && b < 0xe0 && continuation(bytes, i, 1)) {
      code = ((b & 31) << 6) | (bytes[i + 1] & 63); i += 1;
    } else if (b >= 0xe0 && b < 0xf0 && continuation(bytes, i, 2)) {
      code = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63); i += 2;
    } else if (b >= 0xf0 && b < 0xf5 && continuation(bytes, i, 3)) {
      code = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63);
      i += 3;
    }
    out += String.fromCodePoint(code);
  }
  return out;
}

export function bytesToBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

export function base64ToBytes(text) {
  const clean = String(text).replace(/[\s=]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = B64_INDEX.get(char);
    if (value === undefined) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 255);
    }
  }
  return new Uint8Array(bytes);
}

function invalidCharacter(message) {
  const err = new Error(message);
  err.name = 'InvalidCharacterError';
  return err;
}

export function btoa(data) {
  const text = String(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 255) throw invalidCharacter('Invalid character');
    bytes[i] = code;
  }
  return bytesToBase64(bytes);
}

export function atob(data) {
  const text = String(data).replace(/[\t\n\f\r ]/g, '');
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/=]/.test(text)) {
    throw invalidCharacter('The string to be decoded is not correctly encoded.');
  }
  const bytes = base64ToBytes(text);
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

export class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') { return utf8Encode(input); }
}

export class TextDecoder {
  constructor(label = 'utf-8') {
    if (!/^utf-?8$/i.test(String(label))) throw new RangeError(`The "${label}" encoding is not supported`);
  }
  get encoding() { return 'utf-8'; }
  decode(input) {
    if (input === undefined) return '';
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return utf8Decode(bytes.subarray(start));
  }
}

// Any body a function may hand to fetch or FormData, as bytes.
export function toBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return utf8Encode(String(value));
}
