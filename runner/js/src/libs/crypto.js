// The part of Node's `crypto` module webhook functions use: hashes and HMACs for
// signature checks, random ids, and a constant-time compare. Hashing is @noble/hashes.
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';

const { Buffer } = require('buffer');
const core = require('runner-core');

const ALGORITHMS = { md5, sha1, sha224, sha256, sha384, sha512 };

function algorithm(name) {
  const hash = ALGORITHMS[String(name).toLowerCase().replace('-', '')];
  if (!hash) throw new Error(`Digest method not supported: ${name}`);
  return hash;
}

function toBytes(data, encoding) {
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
}

class Digest {
  constructor(state) {
    this._state = state;
    this._done = false;
  }

  update(data, encoding) {
    if (this._done) throw new Error('Digest already called');
    this._state.update(toBytes(data, encoding));
    return this;
  }

  digest(encoding) {
    if (this._done) throw new Error('Digest already called');
    this._done = true;
    const bytes = Buffer.from(this._state.digest());
    return encoding === undefined || encoding === 'buffer' ? bytes : bytes.toString(encoding);
  }

  copy() {
    return new Digest(this._state.clone());
  }
}

export function createHash(name) {
  return new Digest(algorithm(name).create());
}

export function createHmac(name, key) {
  const keyBytes = key && key.export ? key.export() : toBytes(key);
  return new Digest(hmac.create(algorithm(name), keyBytes));
}

// A hash-based generator seeded by the host's entropy for each execution (V8 alone has
// no secure random source).
let drbg = { seed: null, counter: 0 };

export function randomBytes(size, callback) {
  const seed = core.entropy();
  if (drbg.seed !== seed) drbg = { seed, counter: 0 };
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 32) {
    const block = sha256(Buffer.from(`${seed}:${drbg.counter++}`));
    out.set(block.subarray(0, Math.min(32, size - offset)), offset);
  }
  const result = Buffer.from(out);
  if (typeof callback === 'function') {
    Promise.resolve().then(() => callback(null, result));
    return undefined;
  }
  return result;
}

export function randomUUID() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function randomInt(min, max) {
  if (max === undefined) { max = min; min = 0; }
  const span = max - min;
  return min + (randomBytes(6).readUIntBE(0, 6) % span);
}

export function getRandomValues(array) {
  const bytes = randomBytes(array.byteLength);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
  return array;
}

export function timingSafeEqual(a, b) {
  const left = toBytes(a);
  const right = toBytes(b);
  if (left.length !== right.length) throw new RangeError('Input buffers must have the same byte length');
  let diff = 0;
  for (let i = 0; i < left.length; i++) diff |= left[i] ^ right[i];
  return diff === 0;
}

export function getHashes() {
  return Object.keys(ALGORITHMS);
}

function notAvailable(name) {
  return () => {
    throw new Error(`crypto.${name}() is not available in this runtime: only hashes, HMACs, random values and timingSafeEqual are`);
  };
}

export const createSign = notAvailable('createSign');
export const createVerify = notAvailable('createVerify');
export const createCipheriv = notAvailable('createCipheriv');
export const createDecipheriv = notAvailable('createDecipheriv');
export const webcrypto = { getRandomValues };
