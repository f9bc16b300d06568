// What a function receives: the `request` of the onRequest interface, or the `event` of
// the legacy processEvents interface.
import { receivedHeaders } from './headers.js';
import { requireLibrary } from './loader.js';

export function makeRequest(spec) {
  const raw = spec.rawBody;
  const headers = receivedHeaders(spec.headers);
  let url = null;
  return {
    method: spec.method,
    headers,
    get url() {
      if (url === null) url = new (requireLibrary('url').URL)(spec.url);
      return url;
    },
    json() { return JSON.parse(raw); },
    text() { return raw; },
  };
}

export function makeLegacyEvent(spec) {
  let body = spec.rawBody;
  try {
    body = JSON.parse(spec.rawBody);
  } catch (err) {
    // A body that is not JSON (a form post) is handed over as the raw string.
  }
  const headers = {};
  for (const [name, value] of spec.headers) {
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { payload: { body, headers, queryParameters: spec.query || {} } };
}
