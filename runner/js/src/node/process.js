// The `process` a Node library sees inside the sandbox (injected into the SDK bundles):
// no environment, no exit, no host. Writes to stdout/stderr become console lines of the
// function's own log, which is where winston's Console transport writes.
const noop = () => {};

function writer(level) {
  return {
    write(chunk) {
      const text = String(chunk).replace(/\r?\n$/, '');
      globalThis.console[level](text);
      return true;
    },
    isTTY: false,
    on: noop,
    once: noop,
  };
}

function hrtime(previous) {
  const now = performanceNow();
  const seconds = Math.floor(now / 1000);
  const nanos = Math.floor((now % 1000) * 1e6);
  if (!previous) return [seconds, nanos];
  const diff = (seconds - previous[0]) * 1e9 + nanos - previous[1];
  return [Math.floor(diff / 1e9), diff % 1e9];
}
hrtime.bigint = () => BigInt(Math.floor(performanceNow() * 1e6));

function performanceNow() {
  return typeof globalThis.performance === 'object' ? globalThis.performance.now() : Date.now();
}

export const process = {
  env: {},
  argv: ['node'],
  execArgv: [],
  version: 'v20.11.1',
  versions: { node: '20.11.1' },
  release: { name: 'node' },
  platform: 'linux',
  arch: 'x64',
  pid: 1,
  ppid: 0,
  title: 'node',
  browser: false,
  exitCode: undefined,
  stdout: writer('log'),
  stderr: writer('error'),
  cwd: () => '/',
  umask: () => 0o22,
  uptime: () => performanceNow() / 1000,
  hrtime,
  memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
  nextTick: (fn, ...args) => { Promise.resolve().then(() => fn(...args)); },
  emitWarning: noop,
  binding() { throw new Error('process.binding is not available in this runtime'); },
  exit() { throw new Error('process.exit is not available in a function: return or throw instead'); },
  on() { return process; },
  once() { return process; },
  off() { return process; },
  addListener() { return process; },
  removeListener() { return process; },
  removeAllListeners() { return process; },
  listeners: () => [],
  listenerCount: () => 0,
  emit: () => false,
  // As Node's: libraries tell Node from a browser by it.
  [Symbol.toStringTag]: 'process',
};
