// Builds the front-end bundles into frontend/static/dist (served by whitenoise).
//
// - app.js: the small JS of the catalog, source and workspace pages.
// - editor.js (+ editor.css, codicon font): Monaco with JavaScript and JSON, for the
//   editor and the versions diff. Only the languages we use are bundled: the other
//   language registrations of editor.main are replaced by empty modules.
// - *.worker.js: Monaco's web workers (ES modules), found at run time through
//   self.MonacoEnvironment.getWorkerUrl with the URLs the page gives (hashed by
//   collectstatic), so nothing is loaded from a CDN.
import { build } from "esbuild";
import { mkdirSync, rmSync } from "node:fs";

const OUT = "frontend/static/dist";
const KEEP_LANGUAGES = new Set(["javascript", "typescript"]);
const KEEP_FEATURES = new Set(["typescript", "json"]);

const onlyOurLanguages = {
  name: "only-our-languages",
  setup(b) {
    b.onResolve({ filter: /languages\/(definitions|features)\/[\w-]+\/register\.js$/ }, (args) => {
      const [, kind, name] = args.path.match(/(definitions|features)\/([\w-]+)\/register\.js$/);
      const keep = kind === "definitions" ? KEEP_LANGUAGES.has(name) : KEEP_FEATURES.has(name);
      return keep ? undefined : { path: args.path, namespace: "empty" };
    });
    b.onResolve({ filter: /monaco-lsp-client/ }, (args) => ({ path: args.path, namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

const production = process.env.NODE_ENV !== "development";
const common = {
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: production,
  sourcemap: false,
  legalComments: "linked",
  logLevel: "warning",
  loader: { ".ttf": "file" },
  outdir: OUT,
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const monaco = "node_modules/monaco-editor/esm/vs";
await Promise.all([
  build({ ...common, entryPoints: { app: "frontend/src/app.js" } }),
  build({
    ...common,
    entryPoints: { editor: "frontend/src/editor.js" },
    plugins: [onlyOurLanguages],
    assetNames: "[name]",
  }),
  build({
    ...common,
    entryPoints: {
      "editor.worker": `${monaco}/editor/editor.worker.js`,
      "ts.worker": `${monaco}/language/typescript/ts.worker.js`,
      "json.worker": `${monaco}/language/json/json.worker.js`,
    },
  }),
]);
