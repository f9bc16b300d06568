// WHATWG Headers (node-fetch 2 flavour): case-insensitive, values of one name joined
// with ", ", iteration sorted by name, plus node-fetch's raw().
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkName(name) {
  const text = String(name);
  if (!NAME.test(text)) throw new TypeError(`${text} is not a legal HTTP header name`);
  return text.toLowerCase();
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
    list.push(String(value).trim());
    this._map.set(key, list);
  }

  set(name, value) { this._map.set(checkName(name), [String(value).trim()]); }
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
