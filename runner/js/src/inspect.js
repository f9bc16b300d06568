// A compact version of Node's util.inspect / util.format, so console output reads as it
// does in Node: `{ a: 1, b: 'x' }`, `[ 1, 2, 3 ]`, `[Object]` past depth 2.
const MAX_DEPTH = 2;
const BREAK_LENGTH = 72;
const MAX_ARRAY_ITEMS = 100;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function quote(text) {
  return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
}

function formatKey(key) {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  return IDENTIFIER.test(key) ? key : quote(key);
}

function formatPrimitive(value) {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Object.is(value, -0)) return '-0';
  if (typeof value === 'symbol') return value.toString();
  return String(value);
}

function join(parts, open, close, indent) {
  if (parts.length === 0) return `${open}${close}`;
  const single = `${open} ${parts.join(', ')} ${close}`;
  if (single.length <= BREAK_LENGTH && !single.includes('\n')) return single;
  const pad = '  '.repeat(indent + 1);
  return `${open}\n${pad}${parts.join(`,\n${pad}`)}\n${'  '.repeat(indent)}${close}`;
}

function constructorName(value) {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return '[Object: null prototype]';
  const ctor = proto.constructor;
  return ctor && typeof ctor.name === 'string' ? ctor.name : 'Object';
}

function formatObject(value, depth, seen) {
  if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
  if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'function') {
    return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
  }
  if (seen.includes(value)) return '[Circular *1]';
  const name = constructorName(value);
  if (depth > MAX_DEPTH) return Array.isArray(value) ? '[Array]' : `[${name}]`;
  const next = seen.concat([value]);
  const render = (item) => formatValue(item, depth + 1, next);
  if (Array.isArray(value)) {
    const parts = value.slice(0, MAX_ARRAY_ITEMS).map(render);
    if (value.length > MAX_ARRAY_ITEMS) parts.push(`... ${value.length - MAX_ARRAY_ITEMS} more items`);
    return join(parts, '[', ']', depth);
  }
  if (value instanceof Map) {
    const parts = [...value].map(([k, v]) => `${render(k)} => ${render(v)}`);
    return `Map(${value.size}) ` + join(parts, '{', '}', depth);
  }
  if (value instanceof Set) return `Set(${value.size}) ` + join([...value].map(render), '{', '}', depth);
  if (value instanceof Promise) return 'Promise { <pending> }';
  const parts = Object.keys(value).map((key) => `${formatKey(key)}: ${render(value[key])}`);
  const prefix = name === 'Object' ? '' : `${name} `;
  return prefix + join(parts, '{', '}', depth);
}

function formatValue(value, depth, seen) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return formatPrimitive(value);
  }
  try {
    return formatObject(value, depth, seen);
  } catch (err) {
    return '[object]';
  }
}

export function inspect(value) {
  return formatValue(value, 0, []);
}

function formatArg(arg) {
  return typeof arg === 'string' ? arg : inspect(arg);
}

// util.format: %s %d %i %f %j %o %O %c %% in a leading string, the rest joined by spaces.
export function format(...args) {
  if (typeof args[0] !== 'string') return args.map(formatArg).join(' ');
  let index = 1;
  const head = args[0].replace(/%[sdifjoOc%]/g, (token) => {
    if (token === '%%') return '%';
    if (index >= args.length) return token;
    const arg = args[index++];
    switch (token) {
      case '%s': return typeof arg === 'string' ? arg : inspect(arg);
      case '%d': case '%i': return String(token === '%i' ? parseInt(arg, 10) : Number(arg));
      case '%f': return String(parseFloat(arg));
      case '%j': try { return JSON.stringify(arg); } catch (e) { return '[Circular]'; }
      case '%c': return '';
      default: return inspect(arg);
    }
  });
  return [head].concat(args.slice(index).map(formatArg)).join(' ');
}
