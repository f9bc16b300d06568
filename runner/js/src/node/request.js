// The `request` package as jsforce calls it, `request(params, callback)`, over the fetch
// bridge: the callback gets `{ statusCode, headers, body }` with the body as text. The
// returned object is a stream of the response body, as jsforce's browser transport gives.
const { PassThrough } = require('readable-stream');
const core = require('runner-core');

function headersOf(response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-encoding') headers[name] = value;
  });
  return headers;
}

module.exports = function request(params, callback) {
  const stream = new PassThrough();
  const method = String(params.method || 'GET').toUpperCase();
  const init = { method, headers: params.headers || {}, redirect: params.followAllRedirects === false ? 'manual' : 'follow' };
  if (params.body !== undefined && params.body !== null && method !== 'GET' && method !== 'HEAD') init.body = params.body;
  if (params.timeout) init.timeout = params.timeout;
  core.fetch(params.url || params.uri, init).then(async (res) => {
    const response = { statusCode: res.status, statusMessage: res.statusText, headers: headersOf(res), body: await res.text() };
    stream.response = response;
    stream.emit('response', response);
    stream.end(response.body);
    stream.emit('complete', response, response.body);
    if (callback) callback(null, response, response.body);
  }, (err) => {
    if (callback) callback(err);
    if (stream.listenerCount('error')) stream.emit('error', err);
  });
  return stream;
};
