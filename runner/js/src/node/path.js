// Node's `path` (POSIX), for the libraries that join names; there are no files here.
function normalizeParts(parts, absolute) {
  const out = [];
  for (const part of parts) {
    if (!part || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(part);
    }
  }
  return out;
}

function normalize(p) {
  const absolute = p.startsWith('/');
  const body = normalizeParts(p.split('/'), absolute).join('/');
  return (absolute ? '/' : '') + body || (absolute ? '/' : '.');
}

function join(...parts) {
  return normalize(parts.filter((p) => p !== '').join('/') || '.');
}

function resolve(...parts) {
  let path = '';
  for (let i = parts.length - 1; i >= 0 && !path.startsWith('/'); i--) path = `${parts[i]}/${path}`;
  return normalize(path.startsWith('/') ? path : `/${path}`);
}

function basename(p, ext) {
  const base = p.replace(/\/+$/, '').split('/').pop();
  return ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
}

function dirname(p) {
  const trimmed = p.replace(/\/+$/, '');
  const index = trimmed.lastIndexOf('/');
  if (index < 0) return '.';
  return index === 0 ? '/' : trimmed.slice(0, index);
}

function extname(p) {
  const base = basename(p);
  const index = base.lastIndexOf('.');
  return index <= 0 ? '' : base.slice(index);
}

const path = {
  sep: '/', delimiter: ':', normalize, join, resolve, basename, dirname, extname,
  isAbsolute: (p) => p.startsWith('/'),
  relative: (from, to) => to,
};
path.posix = path;
module.exports = path;
