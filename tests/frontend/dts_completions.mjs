// Compiles the editor's type declarations with the TypeScript that Monaco bundles, under
// the editor's compiler options (frontend/src/lib/monaco.js), and lists the completions
// at each `/*^*/` mark of a function. Prints {"errors": [...], "completions": [[...], ...]}.
// Usage: node tests/frontend/dts_completions.mjs FUNCTION_CODE
import { typescript as ts } from "monaco-editor/languages/features/typescript/lib/typescriptServices.js";
import { libFileMap } from "monaco-editor/languages/features/typescript/lib/lib.js";
import { FUNCTIONS_DTS, settingsDts } from "../../frontend/src/lib/functions-dts.js";

const MARK = "/*^*/";
const code = process.argv[2] || "";
const files = {
  "/sandbox/functions.d.ts": FUNCTIONS_DTS,
  "/sandbox/settings.d.ts": settingsDts([{ name: "apiKey", type: "string", label: "API key", required: true, encrypted: true }]),
  "/function.js": code,
};
const options = {
  target: ts.ScriptTarget.ES2020,
  allowNonTsExtensions: true,
  allowJs: true,
  checkJs: false,
  lib: ["lib.es2020.d.ts"],
  noEmit: true,
};
const read = (name) => files[name] ?? libFileMap[name.replace(/^\//, "")];
const service = ts.createLanguageService({
  getScriptFileNames: () => Object.keys(files),
  getScriptVersion: () => "1",
  getScriptSnapshot: (name) => (read(name) === undefined ? undefined : ts.ScriptSnapshot.fromString(read(name))),
  getCurrentDirectory: () => "/",
  getCompilationSettings: () => options,
  getDefaultLibFileName: () => "/lib.es2020.d.ts",
  fileExists: (name) => read(name) !== undefined,
  readFile: read,
});

const errors = [];
for (const name of ["/sandbox/functions.d.ts", "/sandbox/settings.d.ts"]) {
  for (const d of [...service.getSyntacticDiagnostics(name), ...service.getSemanticDiagnostics(name)]) {
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    errors.push(`${name}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
}
const completions = [];
for (let at = code.indexOf(MARK); at >= 0; at = code.indexOf(MARK, at + 1)) {
  const found = service.getCompletionsAtPosition("/function.js", at, {});
  completions.push(found ? found.entries.filter((e) => e.kind !== "warning").map((e) => e.name) : []);
}
process.stdout.write(JSON.stringify({ errors, completions }));
