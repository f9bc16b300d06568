// An adapter for axios 0.21 (twilio, @sendgrid/client) over the runner's fetch bridge:
// the same network guard, fetch count, records and redaction as fetch() itself.
const { Buffer } = require('buffer');
const core = require('runner-core');
const settle = require('axios/lib/core/settle');
const buildURL = require('axios/lib/helpers/buildURL');
const buildFullPath = require('axios/lib/core/buildFullPath');
const createError = require('axios/lib/core/createError');

function requestHeaders(config) {
  const headers = [];
  for (const [name, value] of Object.entries(config.headers || {})) {
    if (value === undefined || value === null) continue;
    if (name.toLowerCase() === 'content-type' && config.data === undefined) continue;
    if (['content-length', 'connection', 'host'].includes(name.toLowerCase())) continue;
    headers.push([name, String(value)]);
  }
  if (config.auth) {
    const token = `${config.auth.username || ''}:${config.auth.password ? unescape(encodeURIComponent(config.auth.password)) : ''}`;
    headers.push(['Authorization', `Basic ${Buffer.from(token, 'binary').toString('base64')}`]);
  }
  return headers;
}

function responseHeaders(response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-encoding') headers[name] = name === 'set-cookie' ? [value] : value;
  });
  return headers;
}

async function responseData(response, responseType) {
  if (responseType === 'arraybuffer') return Buffer.from(await response.arrayBuffer());
  return response.text();
}

module.exports = function fetchAdapter(config) {
  const url = buildURL(buildFullPath(config.baseURL, config.url), config.params, config.paramsSerializer);
  const method = String(config.method || 'get').toUpperCase();
  const controller = new AbortController();
  const request = { method, url, path: url };
  const init = {
    method,
    headers: requestHeaders(config),
    redirect: config.maxRedirects === 0 ? 'manual' : 'follow',
    timeout: config.timeout || 0,
    signal: controller.signal,
  };
  if (config.data !== undefined && config.data !== null && method !== 'GET' && method !== 'HEAD') init.body = config.data;
  if (config.cancelToken) config.cancelToken.promise.then((reason) => controller.abort(reason));
  return core.fetch(url, init).then(async (response) => {
    const data = await responseData(response, config.responseType);
    const answer = {
      data, status: response.status, statusText: response.statusText, headers: responseHeaders(response), config, request,
    };
    return new Promise((resolve, reject) => settle(resolve, reject, answer));
  }, (err) => {
    if (config.cancelToken && config.cancelToken.reason) throw config.cancelToken.reason;
    const code = err.type === 'request-timeout' ? 'ECONNABORTED' : err.code;
    const message = err.type === 'request-timeout' ? `timeout of ${config.timeout}ms exceeded` : err.message;
    throw createError(message, config, code, request);
  });
};
