// Loop guards: the function's code with a call to the runtime's guard at the top of every
// loop body, so that a loop still running at the time limit stops where it is, with its
// line (a V8 termination from outside leaves no stack). Built on its own
// (dist/instrument.js) and run in a context of its own (runner/loops.py), where the
// function's code is only ever read as text, never run.
//
// No line is added or removed: the guard goes in after a body's `{` (a body that is one
// statement is wrapped in `{` `}`), and `columns` says where, so Python maps a column
// of the guarded code back to the user's.
import { Parser, getLineInfo } from 'acorn';

export const GUARD = '__runnerLoop';
const CALL = `${GUARD}();`;
const LOOPS = new Set(['WhileStatement', 'DoWhileStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement']);

// Every node of the tree, without recursion: a deeply nested expression must not
// overflow the stack of this context.
function loopsOf(tree) {
  const found = [];
  const stack = [tree];
  while (stack.length) {
    const node = stack.pop();
    if (LOOPS.has(node.type)) found.push(node);
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (const item of value) if (item && typeof item.type === 'string') stack.push(item);
      } else if (value && typeof value.type === 'string' && key !== 'loc') {
        stack.push(value);
      }
    }
  }
  return found;
}

// [offset, text, loop] for each piece of text to insert, in the order they go in.
function insertions(loops) {
  const pieces = [];
  for (const loop of loops) {
    const body = loop.body;
    if (body.type === 'BlockStatement') {
      pieces.push([body.start + 1, CALL, loop]);
    } else {
      pieces.push([body.start, `{${CALL}`, loop]);
      pieces.push([body.end, '}', loop]);
    }
  }
  // At one offset a body's closing `}` goes before anything that opens.
  return pieces.sort((a, b) => a[0] - b[0] || (a[1] === '}' ? -1 : 0) - (b[1] === '}' ? -1 : 0));
}

// The guarded code and, per insertion, [line, column, length, loopLine, loopColumn]:
// where it went in the user's code (line 1-based, column 0-based, in UTF-16 units as
// V8 counts them) and where its loop starts. null when the code does not parse here
// (then V8 says what is wrong with it) or has no loop.
export function instrument(code) {
  let tree;
  try {
    tree = Parser.parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowHashBang: true,
    });
  } catch (err) {
    return null;
  }
  const pieces = insertions(loopsOf(tree));
  if (!pieces.length) return null;
  let guarded = '';
  let from = 0;
  const columns = [];
  for (const [offset, text, loop] of pieces) {
    guarded += code.slice(from, offset) + text;
    from = offset;
    const at = getLineInfo(code, offset);
    const start = getLineInfo(code, loop.start);
    columns.push([at.line, at.column, text.length, start.line, start.column + 1]);
  }
  guarded += code.slice(from);
  return { code: guarded, columns };
}

// What Python calls, with the code as the receiver: JSON text of instrument's answer.
export function instrumentText() {
  return JSON.stringify(instrument(String(this)));
}
