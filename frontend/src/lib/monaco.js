// Monaco, bundled locally: the editor core with JavaScript (TypeScript worker for
// completion and hover) and JSON. Workers are loaded from URLs the page gives.
import * as monaco from "monaco-editor/editor/editor.main.js";
import { FUNCTIONS_DTS, settingsDts } from "./functions-dts.js";

export { monaco };

// Monaco 0.5x moved the TypeScript/JavaScript defaults to a top-level namespace.
const ts = monaco.typescript || monaco.languages.typescript;

export function setupMonaco(workerUrls) {
  self.MonacoEnvironment = {
    getWorkerUrl(_moduleId, label) {
      return new URL(workerUrls[label] || workerUrls.editorWorkerService, location.href).href;
    },
  };
  const js = ts.javascriptDefaults;
  js.setCompilerOptions({
    target: ts.ScriptTarget.ES2020,
    allowNonTsExtensions: true,
    checkJs: false,
    noLib: false,
    lib: ["es2020"],
  });
  // Syntax errors only: the function is plain JavaScript run in a sandbox.
  js.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
  js.addExtraLib(FUNCTIONS_DTS, "file:///sandbox/functions.d.ts");
  registerParameterHelp();
  followSystemTheme();
}

// Monaco's theme follows the system's light or dark setting, as the page's colours do.
function followSystemTheme() {
  const dark = matchMedia("(prefers-color-scheme: dark)");
  const apply = () => monaco.editor.setTheme(dark.matches ? "vs-dark" : "vs");
  apply();
  dark.addEventListener("change", apply);
}

let settingsLib = null;
let currentDefinitions = [];

export function setSettingDefinitions(definitions) {
  currentDefinitions = definitions;
  if (settingsLib) settingsLib.dispose();
  settingsLib = ts.javascriptDefaults.addExtraLib(
    settingsDts(definitions), "file:///sandbox/settings.d.ts");
}

// `request` and `settings` are parameters of the user's onRequest, which TypeScript
// types as `any` in plain JavaScript: these members come from the shipped declarations.
const REQUEST_MEMBERS = [
  ["json", "json(): any", "The body parsed as JSON. Throws a SyntaxError when the body is not JSON.", "json()"],
  ["text", "text(): string", "The raw body as text (use it to verify signatures).", "text()"],
  ["headers", "headers: WebhookHeaders", "Request headers: headers.get(name) is case-insensitive."],
  ["url", "url: URL", "The URL the sender called; url.searchParams has the query string."],
  ["method", "method: string", "HTTP method: \"POST\", or \"PUT\", \"PATCH\", \"GET\" when the function accepts them (a GET has an empty body)."],
];
const HEADERS_MEMBERS = [
  ["get", "get(name: string): string | null", "The value of a header, or null.", "get('$1')"],
  ["has", "has(name: string): boolean", "True when the request has this header.", "has('$1')"],
  ["forEach", "forEach(callback)", "Calls callback(value, name) for each header.", "forEach(($1) => {})"],
];
const URL_MEMBERS = [
  ["searchParams", "searchParams: URLSearchParams", "The query string: searchParams.get(name)."],
  ["href", "href: string", "The whole URL."],
  ["pathname", "pathname: string", "The path."],
  ["search", "search: string", "The query string with its leading ?"],
];

function membersBefore(textBefore) {
  if (/\brequest\.headers\.\w*$/.test(textBefore)) return HEADERS_MEMBERS;
  if (/\brequest\.url\.\w*$/.test(textBefore)) return URL_MEMBERS;
  if (/\brequest\.\w*$/.test(textBefore)) return REQUEST_MEMBERS;
  if (/\bsettings\.\w*$/.test(textBefore)) {
    return currentDefinitions.map((d) => [d.name, `${d.name}: ${d.type}${d.encrypted ? " (secret)" : ""}`,
      [d.label, d.description, d.required ? "Required." : "Optional."].filter(Boolean).join(" — ")]);
  }
  return null;
}

function registerParameterHelp() {
  monaco.languages.registerCompletionItemProvider("javascript", {
    triggerCharacters: ["."],
    provideCompletionItems(model, position) {
      const textBefore = model.getValueInRange({ startLineNumber: position.lineNumber, startColumn: 1, endLineNumber: position.lineNumber, endColumn: position.column });
      const members = membersBefore(textBefore);
      if (!members) return { suggestions: [] };
      const word = model.getWordUntilPosition(position);
      const range = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: word.startColumn, endColumn: word.endColumn };
      return {
        suggestions: members.map(([label, detail, doc, snippet]) => ({
          label,
          kind: snippet ? monaco.languages.CompletionItemKind.Method : monaco.languages.CompletionItemKind.Property,
          detail,
          documentation: doc,
          insertText: snippet || label,
          insertTextRules: snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          range,
          sortText: `0${label}`,
        })),
      };
    },
  });
  const HOVERS = {
    request: "**request**: the webhook request — `request.json()`, `request.text()`, `request.headers.get(name)`, `request.url.searchParams`, `request.method`.",
    settings: "**settings**: this source's setting values, as defined in the Settings panel.",
    onRequest: "**onRequest(request, settings)**: called once per webhook. Emit with `Segment.track/identify/…`, write objects with `Segment.set`; throw to reject (RetryError to retry).",
  };
  monaco.languages.registerHoverProvider("javascript", {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      const line = model.getLineContent(position.lineNumber);
      const before = line.slice(0, word.startColumn - 1);
      let text = HOVERS[word.word] && !before.endsWith(".") ? HOVERS[word.word] : null;
      const members = before.endsWith(".") ? membersBefore(before) : null;
      const member = members && members.find(([name]) => name === word.word);
      if (member) text = `\`${member[1]}\`\n\n${member[2]}`;
      if (!text) return null;
      return {
        range: new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn),
        contents: [{ value: text }],
      };
    },
  });
}
