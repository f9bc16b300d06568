// Builds the runner's JavaScript: the prelude every isolate evaluates, and one CommonJS
// bundle per heavy library, compiled in the isolate only when a function first uses it.
// Usage: node runner/js/build.mjs [--outdir DIR]   (default: runner/js/dist)
// The output is committed; tests rebuild it and require byte-identical files.
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const src = join(here, 'src');
const argIndex = process.argv.indexOf('--outdir');
const outdir = argIndex > 0 ? resolve(process.argv[argIndex + 1]) : join(here, 'dist');

const common = {
  absWorkingDir: root,
  bundle: true,
  write: false,
  platform: 'neutral',
  mainFields: ['main', 'module'],
  target: 'es2022',
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
};

// name -> entry, modules left to the runner's loader, aliases for Node built-ins.
const LIBRARIES = {
  lodash: { entry: 'libs/lodash.js' },
  xml: {
    entry: 'libs/xml.js',
    alias: { stream: join(src, 'shims/stream.js') },
    inject: [join(src, 'shims/process.js')],
  },
  buffer: { entry: 'libs/buffer.js' },
  url: {
    entry: 'libs/url.js',
    alias: { tr46: join(src, 'shims/tr46.js'), '@exodus/bytes/encoding.js': join(src, 'shims/empty.js') },
  },
  crypto: { entry: 'libs/crypto.js', external: ['buffer', 'runner-core'] },
  oauth: {
    entry: 'libs/oauth.js',
    external: ['crypto', 'buffer', 'runner-core'],
    alias: {
      http: join(src, 'shims/http-plain.js'),
      https: join(src, 'shims/https.js'),
      url: 'url/',
      querystring: 'querystring-es3',
      events: 'events/',
      util: join(src, 'shims/util.js'),
    },
  },
};

// The Node modules an SDK may load, as the sandbox offers them: the network ones over the
// fetch bridge, the host ones (files, processes, sockets) refusing with a clear error.
const node = (file) => join(src, 'node', file);
const NODE_MODULES = {
  http: node('http-module.js'),
  https: node('https-module.js'),
  stream: 'readable-stream',
  events: 'events/',
  util: node('util.js'),
  url: node('url.js'),
  querystring: 'querystring-es3',
  punycode: 'punycode/',
  string_decoder: 'string_decoder/',
  timers: node('timers.js'),
  assert: node('assert.js'),
  os: node('os.js'),
  path: node('path.js'),
  'form-data': node('form-data.js'),
};
const UNAVAILABLE = [
  'fs', 'child_process', 'net', 'tls', 'dns', 'dgram', 'tty', 'http2', 'vm', 'module', 'cluster',
  'worker_threads', 'readline', 'inspector', 'perf_hooks', 'v8', 'constants', 'async_hooks',
  'https-proxy-agent', 'http-proxy-agent', 'proxy-agent', 'faye', 'rootpath',
];
for (const name of UNAVAILABLE) NODE_MODULES[name] = node('unavailable.js');

// node-mailjet's browser build is an AMD module: its `define` hands the factory's value
// to CommonJS.
const amdAsCommonJs = {
  name: 'amd-as-commonjs',
  setup(build) {
    build.onLoad({ filter: /node-mailjet[\\/]mailjet\.web\.js$/ }, (args) => ({
      contents: `var define = function (factory) { module.exports = factory(); };\ndefine.amd = true;\n${readFileSync(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

// A library written for Node: bundled as for a browser (packages' "browser" builds skip
// their Node transports), with Node's modules from the sandbox.
function nodeLibrary(entry, extra = {}) {
  return {
    entry,
    platform: 'browser',
    mainFields: ['browser', 'main', 'module'],
    external: ['buffer', 'crypto', 'zlib', 'runner-core', ...(extra.external || [])],
    alias: { ...NODE_MODULES, ...extra.alias },
    inject: [node('process.js'), node('buffer-global.js')],
    plugins: extra.plugins || [],
    keepNames: true, // SDKs name their errors after their classes (`e.type` of stripe)
  };
}

// The libraries of Segment's runtime page, loaded only for a function that names them
// (engine.py decides which an isolate gets).
Object.assign(LIBRARIES, {
  uuidv5: nodeLibrary('libs/uuidv5.js'),
  moment: nodeLibrary('libs/moment.js'),
  jsonwebtoken: nodeLibrary('libs/jsonwebtoken.js'),
  xml2js: nodeLibrary('libs/xml2js.js'),
  zlib: { entry: 'libs/zlib.js', external: ['buffer'] },
  winston: nodeLibrary('libs/winston.js'),
  stripe: nodeLibrary('libs/stripe.js'),
  twilio: nodeLibrary('libs/twilio.js'),
  sendgrid: nodeLibrary('libs/sendgrid.js'),
  hubspot: nodeLibrary('libs/hubspot.js'),
  jsforce: nodeLibrary('libs/jsforce.js', { alias: { request: node('request.js') } }),
  mailjet: nodeLibrary('libs/mailjet.js', { plugins: [amdAsCommonJs] }),
  https: nodeLibrary('libs/https.js'),
});

async function buildPrelude() {
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(src, 'prelude.js')],
    format: 'iife',
    // Strict code throughout: a function cannot walk `.caller`/`.arguments` up into
    // the runner's frames (see prelude.js).
    banner: { js: '"use strict";' },
    minifySyntax: true,
    minifyWhitespace: true,
  });
  return result.outputFiles[0].text;
}

// The loop guards' instrumenter (acorn), run in a context of its own: never an isolate's.
async function buildInstrument() {
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(src, 'tools/instrument.js')],
    format: 'iife',
    globalName: '__runnerTools',
    banner: { js: '"use strict";' },
    minify: true,
  });
  return result.outputFiles[0].text;
}

async function buildLibrary(name, spec) {
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(src, spec.entry)],
    format: 'cjs',
    minify: true,
    platform: spec.platform || common.platform,
    mainFields: spec.mainFields || common.mainFields,
    external: spec.external || [],
    alias: spec.alias || {},
    inject: spec.inject || [],
    plugins: spec.plugins || [],
    keepNames: Boolean(spec.keepNames),
  });
  return `(function (require, module, exports) {\n${result.outputFiles[0].text}\n})`;
}

mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'prelude.js'), await buildPrelude());
writeFileSync(join(outdir, 'instrument.js'), await buildInstrument());
for (const [name, spec] of Object.entries(LIBRARIES)) {
  writeFileSync(join(outdir, `lib-${name}.js`), await buildLibrary(name, spec));
}
