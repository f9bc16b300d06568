// WHATWG Headers (node-fetch 2 flavour): case-insensitive, values of one name joined
// with ", ", iteration sorted by name, plus node-fetch's raw().
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// node-fetch's check: a value may hold tabs, visible ASCII and Latin-1, nothing else.
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function checkName(name) {
  const text = String(name);
  if (!NAME.test(text)) throw new TypeError(`${text} is not a legal HTTP header name`);
  return text.toLowerCase();
}

function checkValue(value) {
  const text = String(value).trim();
  if (INVALID_VALUE.test(text)) throw new TypeError(`${text} is not a legal HTTP header value`);
  return text;
}

export class Headers {
  constructor(init) {
    this._map = new Map();
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, values] of init._map) this._map.set(name, values.slice());
    } else if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        if (pair.length !== 2) throw new TypeError('Each header pair must be a name/value tuple');
        this.append(pair[0], pair[1]);
      }
    } else if (typeof init === 'object') {
      for (const name of Object.keys(init)) {
        const value = init[name];
        if (Array.isArray(value)) value.forEach((v) => this.append(name, v));
        else this.append(name, value);
      }
    } else {
      throw new TypeError('Provided initializer must be an object');
    }
  }

  append(name, value) {
    const key = checkName(name);
    const list = this._map.get(key) || [];
    list.push(checkValue(value));
    this._map.set(key, list);
  }

  set(name, value) { this._map.set(checkName(name), [checkValue(value)]); }
  delete(name) { this._map.delete(checkName(name)); }
  has(name) { return this._map.has(checkName(name)); }

  get(name) {
    const list = this._map.get(checkName(name));
    return list === undefined ? null : list.join(', ');
  }

  raw() {
    const out = {};
    for (const [name, values] of this._map) out[name] = values.slice();
    return out;
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries() {
    for (const name of [...this._map.keys()].sort()) yield [name, this.get(name)];
  }

  *keys() { for (const [name] of this.entries()) yield name; }
  *values() { for (const [, value] of this.entries()) yield value; }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return 'Headers'; }
}

// Headers that came from the network (the webhook's request, a fetch's response), as
// node-fetch's createHeadersLenient makes them: what is not a legal name is left out, a
// value is kept as it came (a function must be able to read every header it was sent).
export function receivedHeaders(pairs) {
  const headers = new Headers();
  for (let i = 0; i < pairs.length; i++) {
    const name = String(pairs[i][0]);
    if (!NAME.test(name)) continue;
    const key = name.toLowerCase();
    const list = headers._map.get(key) || [];
    list.push(String(pairs[i][1]).trim());
    headers._map.set(key, list);
  }
  return headers;
}
