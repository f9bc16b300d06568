// Builds the runner's JavaScript: the prelude every isolate evaluates, and one CommonJS
// bundle per heavy library, compiled in the isolate only when a function first uses it.
// Usage: node runner/js/build.mjs [--outdir DIR]   (default: runner/js/dist)
// The output is committed; tests rebuild it and require byte-identical files.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
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

async function buildLibrary(name, spec) {
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(src, spec.entry)],
    format: 'cjs',
    minify: true,
    external: spec.external || [],
    alias: spec.alias || {},
    inject: spec.inject || [],
  });
  return `(function (require, module, exports) {\n${result.outputFiles[0].text}\n})`;
}

mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'prelude.js'), await buildPrelude());
for (const [name, spec] of Object.entries(LIBRARIES)) {
  writeFileSync(join(outdir, `lib-${name}.js`), await buildLibrary(name, spec));
}
