// Node's zlib (a function gets it as Segment exposes it, `zlib.zlib`): the synchronous and
// asynchronous deflate/inflate, gzip/gunzip, raw and unzip forms, Buffers in and out.
// Compression is pako (a port of zlib itself). Streams are not offered: a function has
// its whole body at hand.
const { Deflate, Inflate, constants } = require('pako');

const { Buffer } = require('buffer');

const ZLIB_ERRORS = { [-2]: 'Z_STREAM_ERROR', [-3]: 'Z_DATA_ERROR', [-4]: 'Z_MEM_ERROR', [-5]: 'Z_BUF_ERROR' };

function input(data) {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer');
}

function zlibError(engine) {
  const err = new Error(engine.msg || 'unexpected end of file');
  const errno = engine.err || -5;
  err.errno = errno;
  err.code = ZLIB_ERRORS[errno] || 'Z_BUF_ERROR';
  return err;
}

function pakoOptions(options, windowBits) {
  const o = options || {};
  return {
    level: o.level === undefined ? constants.Z_DEFAULT_COMPRESSION : o.level,
    memLevel: o.memLevel || 8,
    strategy: o.strategy === undefined ? constants.Z_DEFAULT_STRATEGY : o.strategy,
    windowBits: windowBits(o.windowBits || 15),
    dictionary: o.dictionary,
  };
}

// windowBits as zlib reads it: negative for raw, +16 for gzip, +32 to detect either.
const FORMATS = {
  deflate: { Engine: Deflate, bits: (w) => w },
  inflate: { Engine: Inflate, bits: (w) => w },
  deflateRaw: { Engine: Deflate, bits: (w) => -w },
  inflateRaw: { Engine: Inflate, bits: (w) => -w },
  gzip: { Engine: Deflate, bits: (w) => w + 16 },
  gunzip: { Engine: Inflate, bits: (w) => w + 16 },
  unzip: { Engine: Inflate, bits: (w) => w + 32 },
};

function runSync(format, data, options) {
  const { Engine, bits } = FORMATS[format];
  const engine = new Engine(pakoOptions(options, bits));
  engine.push(input(data), true);
  if (engine.err || (Engine === Inflate && !engine.ended)) throw zlibError(engine);
  const result = engine.result;
  return Buffer.from(result.buffer, result.byteOffset, result.byteLength);
}

// Node's form: (buffer[, options], callback). Without a callback it returns a Promise,
// so that `await zlib.deflate(body)` works as Segment's page shows.
function runAsync(format) {
  return function (data, options, callback) {
    if (typeof options === 'function') [options, callback] = [undefined, options];
    const promise = new Promise((resolve) => resolve(runSync(format, data, options)));
    if (typeof callback !== 'function') return promise;
    promise.then((value) => callback(null, value), (err) => callback(err));
    return undefined;
  };
}

function noStreams(name) {
  return () => {
    throw new Error(`zlib.${name}() streams are not available in this runtime: use zlib.${name.slice(6, 7).toLowerCase()}${name.slice(7)}Sync(buffer) on the whole body`);
  };
}

const zlib = { constants: { ...constants } };
for (const format of Object.keys(FORMATS)) {
  zlib[format] = runAsync(format);
  zlib[`${format}Sync`] = (data, options) => runSync(format, data, options);
  const stream = `create${format[0].toUpperCase()}${format.slice(1)}`;
  zlib[stream] = noStreams(stream);
}
Object.assign(zlib, constants);

module.exports = zlib;
