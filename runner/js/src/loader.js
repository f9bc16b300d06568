// Heavy libraries (lodash, xml, Buffer, URL, crypto, OAuth) are kept as source strings
// and compiled on first use, so a function that never touches `_` never pays for lodash.
// Each library is CommonJS wrapped as `(function (require, module, exports) {...})`.
const indirectEval = eval;
const sources = new Map();
const cache = new Map();
const onLoadHooks = [];
const onLibraryHooks = [];

export function registerLibraries(map) {
  for (const [name, source] of Object.entries(map)) sources.set(name, source);
}

// A module of the runner's own, given to the libraries that `require` it.
export function provideModule(name, exports) {
  cache.set(name, { exports });
}

export function requireLibrary(name) {
  if (cache.has(name)) return cache.get(name).exports;
  const source = sources.get(name);
  if (source === undefined) throw new Error(`Cannot find module '${name}'`);
  const module = { exports: {} };
  cache.set(name, module);
  try {
    const factory = indirectEval(`${source}\n//# sourceURL=runner-internal/${name}.js`);
    factory(requireLibrary, module, module.exports);
  } catch (err) {
    cache.delete(name); // half-loaded: the next use tries again and fails the same way
    throw err;
  }
  sources.delete(name); // compiled: its text (megabytes for an SDK) is not needed again
  for (let i = 0; i < onLibraryHooks.length; i++) onLibraryHooks[i](module.exports);
  return module.exports;
}

// The libraries of Segment's runtime page are handed over only to isolates whose
// function names them; reading one that was not says how to get it.
export function requireNamedLibrary(global, name) {
  if (!sources.has(name) && !cache.has(name)) {
    throw new ReferenceError(`${global} is not loaded: the runner loads a library only for a function `
      + `whose code names it; write ${global} itself in the code (not a computed name)`);
  }
  return requireLibrary(name);
}

// Reads each global once (a getter that compiles its library), outside any execution;
// a library that fails to load fails again where the function uses it.
export function loadNamedLibraries(globals) {
  for (let i = 0; i < globals.length; i++) {
    try {
      void globalThis[globals[i]];
    } catch (err) {
      // reported at the function's own use
    }
  }
}

export function onLibraryLoaded(hook) {
  onLibraryHooks.push(hook);
}

export function onGlobalLoaded(hook) {
  onLoadHooks.push(hook);
}

// A global that compiles its library on first read; assigning it replaces it as in Node.
export function defineLazyGlobal(name, load) {
  const settle = (value) => {
    Object.defineProperty(globalThis, name, {
      value, writable: true, configurable: true, enumerable: false,
    });
    for (const hook of onLoadHooks) hook(name);
    return value;
  };
  Object.defineProperty(globalThis, name, {
    get() { return settle(load()); },
    set(value) { settle(value); },
    configurable: true,
    enumerable: false,
  });
}
