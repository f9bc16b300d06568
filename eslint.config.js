// ESLint for the project's own JavaScript: the front-end sources (browser), the runner's
// prelude (a bare V8 isolate) and the build scripts (Node); bundles are built files.
// `make lint` checks the front-end and the build scripts. This file is CommonJS, so that package.json needs no "type" (which would change how the runner's
// prelude is bundled).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["frontend/static/dist/**", "staticfiles/**", "runner/js/dist/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["frontend/src/**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.browser },
  },
  // The runner's prelude runs in a bare V8 isolate: ES globals only. Its libs/ and
  // shims/ wrap CommonJS packages (require, module.exports) for esbuild to bundle.
  {
    files: ["runner/js/src/**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: {} },
  },
  {
    files: ["runner/js/src/libs/**/*.js", "runner/js/src/shims/**/*.js"],
    languageOptions: { globals: globals.commonjs },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.node },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
];
