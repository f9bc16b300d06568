// Just enough of Node's http/https client for the `oauth` package: one request, sent
// through the runner's fetch bridge (with its network guard), answered with events.
const { EventEmitter } = require('events');
const core = require('runner-core');

function makeRequestModule(protocol) {
  function request(options, onResponse) {
    const req = new EventEmitter();
    const chunks = [];
    req.write = (chunk) => { chunks.push(String(chunk)); return true; };
    req.setTimeout = () => req;
    req.abort = req.destroy = () => {};
    req.end = (chunk) => {
      if (chunk !== undefined) chunks.push(String(chunk));
      send(protocol, options, chunks.join(''), req, onResponse);
    };
    return req;
  }
  return { request, get: (options, cb) => { const r = request(options, cb); r.end(); return r; } };
}

function send(protocol, options, body, req, onResponse) {
  const port = options.port ? `:${options.port}` : '';
  const url = `${protocol}//${options.host || options.hostname}${port}${options.path || '/'}`;
  const method = (options.method || 'GET').toUpperCase();
  const init = { method, headers: options.headers || {}, redirect: 'manual' };
  if (body && method !== 'GET' && method !== 'HEAD') init.body = body;
  core.fetch(url, init).then(async (res) => {
    const text = await res.text();
    const response = new EventEmitter();
    response.statusCode = res.status;
    response.headers = {};
    res.headers.forEach((value, name) => { response.headers[name] = value; });
    response.setEncoding = () => response;
    if (onResponse) onResponse(response);
    req.emit('response', response);
    response.emit('data', text);
    response.emit('end');
  }, (err) => req.emit('error', err));
}

module.exports = makeRequestModule;
