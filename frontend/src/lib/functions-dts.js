// Type declarations shipped to Monaco for autocompletion and hover docs: the request,
// the Segment module, the error classes and the built-ins of the sandbox. The
// `FunctionSettings` interface is generated from the function's own definitions.

export const FUNCTIONS_DTS = `
/** Headers of the incoming webhook (case-insensitive names). */
interface WebhookHeaders {
  /** The value of a header, or null when the request has none. */
  get(name: string): string | null;
  /** True when the request has this header. */
  has(name: string): boolean;
  forEach(callback: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
}

/** The webhook request your function receives. */
interface WebhookRequest {
  /** HTTP method: "POST", or "PUT", "PATCH", "GET" when the function accepts them (Configure). A GET has an empty body. */
  readonly method: string;
  /** The full URL the sender called, with \`searchParams\` for the query string. */
  readonly url: URL;
  /** Request headers. */
  readonly headers: WebhookHeaders;
  /** The body parsed as JSON. Throws a SyntaxError when the body is not JSON. */
  json(): any;
  /** The raw body as text (use it to verify signatures). */
  text(): string;
}

/** Common fields of every Segment call. */
interface SegmentCommon {
  /** The user's id in your database. Give userId or anonymousId. */
  userId?: string;
  /** An id for a user you do not know yet. */
  anonymousId?: string;
  /** ISO-8601 time the event happened; defaults to now. */
  timestamp?: string | Date;
  /** Extra context: ip, userAgent, library, … */
  context?: Record<string, any>;
  /** A unique id; filled in for you when left out. */
  messageId?: string;
  integrations?: Record<string, any>;
}

interface SegmentModule {
  /** Who the user is, and their traits. https://segment.com/docs/connections/spec/identify/ */
  identify(message: SegmentCommon & { traits?: Record<string, any> }): void;
  /** Something the user did. https://segment.com/docs/connections/spec/track/ */
  track(message: SegmentCommon & { event: string; properties?: Record<string, any> }): void;
  /** Ties a user to a group (company, account). */
  group(message: SegmentCommon & { groupId: string; traits?: Record<string, any> }): void;
  /** A page the user viewed. */
  page(message: SegmentCommon & { name?: string; category?: string; properties?: Record<string, any> }): void;
  /** A screen of a mobile app the user viewed. */
  screen(message: SegmentCommon & { name?: string; properties?: Record<string, any> }): void;
  /** Merges two user identities. */
  alias(message: SegmentCommon & { previousId: string }): void;
  /** Writes an object to the warehouse: properties are merged into collection/id. */
  set(object: { collection: string; id: string; properties: Record<string, any> }): void;
}

/** Send events and objects from your function. Nothing is sent when the function throws. */
declare const Segment: SegmentModule;

/** The request is invalid (e.g. a bad signature): not retried. */
declare class ValidationError extends Error { constructor(message?: string); }
/** The payload lacks what the function needs: not retried. */
declare class InvalidEventPayload extends Error { constructor(message?: string); }
/** The function does not handle this kind of event: not retried. */
declare class EventNotSupported extends Error { constructor(message?: string); }
/** A temporary problem (e.g. an API was down): the webhook is retried with backoff. */
declare class RetryError extends Error { constructor(message?: string); }

interface HmacLike {
  update(data: string | ArrayBufferView, inputEncoding?: string): HmacLike;
  digest(encoding?: "hex" | "base64" | "base64url" | "latin1"): any;
}
/** Node's crypto, as far as the sandbox has it: hashes, HMACs and random values (no signing or ciphers). */
declare const crypto: {
  createHmac(algorithm: "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512", key: string | ArrayBufferView): HmacLike;
  createHash(algorithm: "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512"): HmacLike;
  timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean;
  randomUUID(): string;
  randomBytes(size: number): Buffer;
  randomInt(min: number, max?: number): number;
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  getHashes(): string[];
};

/** Node's console: each line is kept in the execution's log ("Console" in the results). */
declare const console: {
  log(...data: any[]): void;
  info(...data: any[]): void;
  warn(...data: any[]): void;
  error(...data: any[]): void;
  debug(...data: any[]): void;
  trace(...data: any[]): void;
  dir(value: any, options?: object): void;
};

declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearInterval(id?: number): void;
declare function setImmediate(callback: (...args: any[]) => void, ...args: any[]): number;
declare function clearImmediate(id?: number): void;
/** The global object, as in Node. */
declare const global: typeof globalThis;

declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | [string, string][]);
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  toString(): string;
}
declare class URL {
  constructor(url: string, base?: string | URL);
  hash: string; host: string; hostname: string; href: string; password: string;
  pathname: string; port: string; protocol: string; search: string; username: string;
  readonly origin: string;
  readonly searchParams: URLSearchParams;
  toString(): string;
  toJSON(): string;
}
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}

/** Node's Buffer: bytes, with conversions to and from text (utf8, base64, hex, latin1, …). */
interface Buffer extends Uint8Array {
  toString(encoding?: string, start?: number, end?: number): string;
  toJSON(): { type: "Buffer"; data: number[] };
  equals(other: Uint8Array): boolean;
  compare(other: Uint8Array): number;
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number;
  write(text: string, offset?: number, length?: number, encoding?: string): number;
  readUInt8(offset?: number): number; readUInt16BE(offset?: number): number; readUInt32BE(offset?: number): number;
  readInt32BE(offset?: number): number; readUInt32LE(offset?: number): number; readInt32LE(offset?: number): number;
  [method: string]: any;
}
declare const Buffer: {
  from(value: string, encoding?: string): Buffer;
  from(value: ArrayBuffer | ArrayBufferView | number[]): Buffer;
  alloc(size: number, fill?: string | number, encoding?: string): Buffer;
  allocUnsafe(size: number): Buffer;
  byteLength(value: string | ArrayBufferView, encoding?: string): number;
  concat(buffers: Uint8Array[], totalLength?: number): Buffer;
  isBuffer(value: any): value is Buffer;
  isEncoding(encoding: string): boolean;
  compare(a: Uint8Array, b: Uint8Array): number;
};

/** The headers of a fetch request or response (node-fetch 2). */
declare class Headers {
  constructor(init?: Record<string, string> | [string, string][] | Headers);
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  has(name: string): boolean;
  raw(): Record<string, string[]>;
  forEach(callback: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
}
interface FetchInit {
  method?: string;
  headers?: Record<string, string> | [string, string][] | Headers;
  body?: string | ArrayBuffer | ArrayBufferView | URLSearchParams | FormData | null;
  /** Cancels the call when the signal aborts (an AbortError). */
  signal?: AbortSignal | null;
  redirect?: "follow" | "manual" | "error";
  /** node-fetch's timeout in ms (within the function's own time limit). */
  timeout?: number;
  /** node-fetch's redirect limit (20 by default). */
  follow?: number;
  /** node-fetch's response size limit in bytes. */
  size?: number;
}
interface ResponseInit {
  /** 200 to 599; 200 when left out. */
  status?: number;
  statusText?: string;
  /**
   * Content-Type, Content-Language, Cache-Control, Expires, ETag, Last-Modified, Pragma,
   * Retry-After, Vary and X-… headers of your own; no Set-Cookie, Location or hop-by-hop
   * header (the execution fails with OutputLimitError).
   */
  headers?: Record<string, string> | [string, string][] | Headers;
}

/** A plain answer for the sender, as good as a Response: \`return { status: 202 }\`. */
interface SenderResponse {
  /** A whole number from 200 to 599; 200 when left out. */
  status?: number;
  headers?: Record<string, string> | [string, string][];
  /** Text as it is; an object or array is sent as JSON (Content-Type application/json). */
  body?: string | object | Uint8Array | null;
}

/**
 * What onRequest may return: nothing (the sender gets the usual 200 {"id": …}), or, for a
 * function that responds to the sender, the answer it gets. Anything else is logged as a
 * warning and the usual answer is sent.
 */
type FunctionReturn = void | undefined | null | Response | SenderResponse;

/**
 * A response of fetch (node-fetch 2), and the answer for the webhook's sender when the
 * function responds to the sender (Configure › Responds to the sender):
 * \`return new Response(challenge)\`; the body is sent as text, at most 64 KB.
 */
declare class Response {
  constructor(body?: string | ArrayBuffer | ArrayBufferView | null, init?: ResponseInit);
  /** A JSON answer: \`return Response.json({ plainToken, encryptedToken })\`. */
  static json(data: any, init?: ResponseInit): Response;
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly redirected: boolean;
  readonly bodyUsed: boolean;
  json(): Promise<any>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  buffer(): Promise<Buffer>;
  clone(): Response;
}
declare class Request {
  constructor(input: string | Request, init?: FetchInit);
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  json(): Promise<any>;
  text(): Promise<string>;
  clone(): Request;
}
/** A multipart/form-data body (npm form-data): \`fetch(url, { method: 'POST', body: form })\`. */
declare class FormData {
  append(name: string, value: any, options?: string | { filename?: string; contentType?: string }): void;
  get(name: string): any;
  getAll(name: string): any[];
  has(name: string): boolean;
  getHeaders(): Record<string, string>;
  getBoundary(): string;
  getBuffer(): Buffer;
  getLengthSync(): number;
}

/** Calls an HTTP API (counts toward the time limit; shown under "Fetch calls"). */
declare function fetch(url: string | Request, init?: FetchInit): Promise<Response>;
declare function btoa(data: string): string;
declare function atob(data: string): string;

/** lodash 4.17.19, as \`_\` (the version Segment lists): \`_.get(body, 'data.object.id')\`. */
interface LoDashStatic {
  readonly VERSION: string;
  get(object: any, path: string | (string | number)[], defaultValue?: any): any;
  set<T>(object: T, path: string | (string | number)[], value: any): T;
  has(object: any, path: string | (string | number)[]): boolean;
  unset(object: any, path: string | (string | number)[]): boolean;
  pick(object: any, ...paths: (string | string[])[]): any;
  pickBy(object: any, predicate?: (value: any, key: string) => any): any;
  omit(object: any, ...paths: (string | string[])[]): any;
  omitBy(object: any, predicate?: (value: any, key: string) => any): any;
  merge(object: any, ...sources: any[]): any;
  assign(object: any, ...sources: any[]): any;
  defaults(object: any, ...sources: any[]): any;
  defaultsDeep(object: any, ...sources: any[]): any;
  clone<T>(value: T): T;
  cloneDeep<T>(value: T): T;
  keys(object: any): string[];
  values(object: any): any[];
  toPairs(object: any): [string, any][];
  fromPairs(pairs: [string, any][]): Record<string, any>;
  mapKeys(object: any, iteratee?: (value: any, key: string) => string): Record<string, any>;
  mapValues(object: any, iteratee?: any): Record<string, any>;
  map(collection: any, iteratee?: any): any[];
  flatMap(collection: any, iteratee?: any): any[];
  filter(collection: any, predicate?: any): any[];
  reject(collection: any, predicate?: any): any[];
  find(collection: any, predicate?: any, fromIndex?: number): any;
  findIndex(array: any[], predicate?: any, fromIndex?: number): number;
  forEach(collection: any, iteratee?: any): any;
  each(collection: any, iteratee?: any): any;
  reduce(collection: any, iteratee?: any, accumulator?: any): any;
  some(collection: any, predicate?: any): boolean;
  every(collection: any, predicate?: any): boolean;
  includes(collection: any, value: any, fromIndex?: number): boolean;
  groupBy(collection: any, iteratee?: any): Record<string, any[]>;
  keyBy(collection: any, iteratee?: any): Record<string, any>;
  countBy(collection: any, iteratee?: any): Record<string, number>;
  partition(collection: any, predicate?: any): [any[], any[]];
  sortBy(collection: any, ...iteratees: any[]): any[];
  orderBy(collection: any, iteratees?: any, orders?: ("asc" | "desc")[] | "asc" | "desc"): any[];
  size(collection: any): number;
  sum(array: number[]): number;
  sumBy(array: any[], iteratee?: any): number;
  max(array: any[]): any;
  min(array: any[]): any;
  maxBy(array: any[], iteratee?: any): any;
  minBy(array: any[], iteratee?: any): any;
  first(array: any[]): any;
  head(array: any[]): any;
  last(array: any[]): any;
  chunk(array: any[], size?: number): any[][];
  compact(array: any[]): any[];
  flatten(array: any[]): any[];
  flattenDeep(array: any[]): any[];
  uniq(array: any[]): any[];
  uniqBy(array: any[], iteratee?: any): any[];
  difference(array: any[], ...values: any[][]): any[];
  intersection(...arrays: any[][]): any[];
  union(...arrays: any[][]): any[];
  without(array: any[], ...values: any[]): any[];
  zip(...arrays: any[][]): any[][];
  range(start: number, end?: number, step?: number): number[];
  times(count: number, iteratee?: (index: number) => any): any[];
  isEmpty(value: any): boolean;
  isEqual(value: any, other: any): boolean;
  isNil(value: any): boolean;
  isString(value: any): boolean;
  isNumber(value: any): boolean;
  isBoolean(value: any): boolean;
  isArray(value: any): boolean;
  isObject(value: any): boolean;
  isPlainObject(value: any): boolean;
  isFunction(value: any): boolean;
  isDate(value: any): boolean;
  camelCase(text?: string): string;
  snakeCase(text?: string): string;
  kebabCase(text?: string): string;
  startCase(text?: string): string;
  capitalize(text?: string): string;
  upperFirst(text?: string): string;
  lowerCase(text?: string): string;
  upperCase(text?: string): string;
  toLower(text?: string): string;
  toUpper(text?: string): string;
  trim(text?: string, chars?: string): string;
  pad(text?: string, length?: number, chars?: string): string;
  padStart(text?: string, length?: number, chars?: string): string;
  truncate(text?: string, options?: { length?: number; omission?: string; separator?: string | RegExp }): string;
  template(text?: string, options?: object): (data?: object) => string;
  toNumber(value: any): number;
  toString(value: any): string;
  chain(value: any): any;
  [name: string]: any;
}
/** lodash 4.17.19 (the version Segment lists). */
declare const _: LoDashStatic;

/** npm xml 1.0.1: \`xml({ order: [{ id: 42 }] }, { declaration: true })\` builds XML text. */
declare function xml(value: any, options?: boolean | string | { indent?: string; declaration?: boolean | { encoding?: string; standalone?: string } }): string;

/** npm oauth 0.10.2 (OAuth 1.0a HMAC-SHA1 and OAuth 2), over fetch. */
declare const OAuth: {
  OAuth: new (requestUrl: string, accessUrl: string, consumerKey: string, consumerSecret: string, version: string, authorizeCallback: string | null, signatureMethod: string, nonceSize?: number, customHeaders?: Record<string, string>) => any;
  OAuthEcho: new (...args: any[]) => any;
  OAuth2: new (clientId: string, clientSecret: string, baseSite: string, authorizePath?: string, accessTokenPath?: string, customHeaders?: Record<string, string>) => any;
};

/** Node's AbortController: \`fetch(url, { signal: controller.signal })\` is cancelled by abort(). */
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: any): void;
}
declare class AbortSignal extends EventTarget {
  readonly aborted: boolean;
  readonly reason: any;
  onabort: ((event: Event) => void) | null;
  throwIfAborted(): void;
  static abort(reason?: any): AbortSignal;
  /** A signal that aborts after \`ms\` milliseconds (a TimeoutError). */
  static timeout(ms: number): AbortSignal;
  static any(signals: AbortSignal[]): AbortSignal;
}
declare class Event {
  constructor(type: string, options?: { bubbles?: boolean; cancelable?: boolean });
  readonly type: string;
  readonly defaultPrevented: boolean;
  preventDefault(): void;
}
declare class EventTarget {
  addEventListener(type: string, listener: (event: Event) => void, options?: { once?: boolean; signal?: AbortSignal }): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  dispatchEvent(event: Event): boolean;
}
declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}
/** A deep copy (Map, Set, Date, RegExp, typed arrays, cycles); functions cannot be copied. */
declare function structuredClone<T>(value: T): T;
/** Runs \`callback\` after the current code, before timers. */
declare function queueMicrotask(callback: () => void): void;
declare const performance: {
  /** Milliseconds since the sandbox started, for measuring durations. */
  now(): number;
  readonly timeOrigin: number;
};

// The libraries of Segment's runtime page, exposed under the same names. Each one is
// loaded only for a function whose code names it.

/** uuidv5 1.0.0: \`uuidv5.uuidv5('url', 'http://example.com/page')\` (namespaces: 'url', 'dns', 'oid', 'x500', 'null' or a UUID). */
declare const uuidv5: { uuidv5(namespace: string, name: string, binary?: boolean): string };

interface Moment {
  format(pattern?: string): string;
  toISOString(): string;
  toDate(): Date;
  valueOf(): number;
  unix(): number;
  utc(): Moment;
  tz(zone: string): Moment;
  add(amount: number, unit: string): Moment;
  subtract(amount: number, unit: string): Moment;
  startOf(unit: string): Moment;
  endOf(unit: string): Moment;
  diff(other: any, unit?: string, precise?: boolean): number;
  isValid(): boolean;
  isBefore(other: any, unit?: string): boolean;
  isAfter(other: any, unit?: string): boolean;
  [key: string]: any;
}
interface MomentStatic {
  (input?: any, format?: string | string[], strict?: boolean): Moment;
  utc(input?: any, format?: string): Moment;
  unix(seconds: number): Moment;
  /** moment-timezone: \`moment.tz('2021-03-14 12:00', 'America/New_York')\`. */
  tz: ((input: any, zone: string) => Moment) & ((input: any, format: string, zone: string) => Moment) & { names(): string[]; guess(): string; [key: string]: any };
  duration(amount: any, unit?: string): any;
  isMoment(value: any): boolean;
  [key: string]: any;
}
/** moment-timezone 0.5.31 (moment 2.29.4). */
declare const moment: MomentStatic;

/** jsonwebtoken 8.5.1: HS256/384/512 tokens (RSA and EC keys are not available here). */
declare const jsonwebtoken: {
  sign(payload: string | object, secret: string, options?: { algorithm?: string; expiresIn?: string | number; notBefore?: string | number; audience?: string | string[]; issuer?: string; subject?: string; jwtid?: string; keyid?: string; header?: object; noTimestamp?: boolean }): string;
  verify(token: string, secret: string, options?: { algorithms?: string[]; audience?: string | RegExp | (string | RegExp)[]; issuer?: string | string[]; subject?: string; ignoreExpiration?: boolean; maxAge?: string | number; complete?: boolean }): any;
  decode(token: string, options?: { complete?: boolean; json?: boolean }): any;
  JsonWebTokenError: ErrorConstructor;
  TokenExpiredError: ErrorConstructor;
  NotBeforeError: ErrorConstructor;
};

/** xml2js 0.4.23. */
declare const xml2js: {
  parseString(xml: string, callback: (err: Error | null, result: any) => void): void;
  parseString(xml: string, options: object, callback: (err: Error | null, result: any) => void): void;
  parseStringPromise(xml: string, options?: object): Promise<any>;
  Parser: new (options?: object) => { parseString(xml: string, callback: (err: Error | null, result: any) => void): void; parseStringPromise(xml: string): Promise<any> };
  Builder: new (options?: object) => { buildObject(value: any): string };
  [key: string]: any;
};

type ZlibInput = string | ArrayBuffer | ArrayBufferView;
type ZlibAsync = ((data: ZlibInput, options?: object) => Promise<any>) & ((data: ZlibInput, callback: (err: Error | null, result: any) => void) => void) & ((data: ZlibInput, options: object, callback: (err: Error | null, result: any) => void) => void);
/** Node's zlib, as Segment exposes it: \`const z = zlib.zlib; z.gunzipSync(buffer)\`. Buffers in and out. */
declare const zlib: {
  zlib: {
    deflateSync(data: ZlibInput, options?: object): any; inflateSync(data: ZlibInput, options?: object): any;
    gzipSync(data: ZlibInput, options?: object): any; gunzipSync(data: ZlibInput, options?: object): any;
    deflateRawSync(data: ZlibInput, options?: object): any; inflateRawSync(data: ZlibInput, options?: object): any;
    unzipSync(data: ZlibInput, options?: object): any;
    deflate: ZlibAsync; inflate: ZlibAsync; gzip: ZlibAsync; gunzip: ZlibAsync; deflateRaw: ZlibAsync; inflateRaw: ZlibAsync; unzip: ZlibAsync;
    constants: Record<string, number>;
    [key: string]: any;
  };
};

/** winston 2.4.6, as Segment exposes it: \`const winston = winstonlib.winston\`. Its Console transport writes to this function's log. */
declare const winstonlib: {
  winston: {
    log(level: string, message: string, ...meta: any[]): void;
    info(message: string, ...meta: any[]): void;
    warn(message: string, ...meta: any[]): void;
    error(message: string, ...meta: any[]): void;
    debug(message: string, ...meta: any[]): void;
    Logger: new (options?: { level?: string; transports?: any[] }) => any;
    transports: { Console: new (options?: object) => any; [key: string]: any };
    [key: string]: any;
  };
};

/** stripe 8.115.0: \`const client = stripe(settings.apiKey); await client.customers.retrieve('cus_…')\`. */
declare const stripe: ((apiKey: string, config?: { apiVersion?: string; maxNetworkRetries?: number; timeout?: number; host?: string; port?: number; protocol?: string }) => any) & { [key: string]: any };

/** twilio 3.68.0: \`const client = twilio(accountSid, authToken); await client.messages.create({ to, from, body })\`. */
declare const twilio: ((accountSid: string, authToken: string, options?: object) => any) & { [key: string]: any };

/** @sendgrid/client and @sendgrid/mail 7.4.7: \`sendgrid.mail.setApiKey(key); await sendgrid.mail.send(message)\`. */
declare const sendgrid: {
  client: { setApiKey(key: string): void; setDefaultRequest(key: string, value: any): void; request(request: { method: string; url: string; body?: any; qs?: object; headers?: object }): Promise<[any, any]>; [key: string]: any };
  mail: { setApiKey(key: string): void; send(message: object | object[], isMultiple?: boolean): Promise<[any, any]>; sendMultiple(message: object): Promise<[any, any]>; client: any; [key: string]: any };
};

/** @hubspot/api-client 9.1.1, as Segment exposes it: \`new hubspotlib.hubspot.Client({ accessToken })\`. */
declare const hubspotlib: { hubspot: { Client: new (options: { accessToken?: string; apiKey?: string; basePath?: string; numberOfApiCallRetries?: number }) => any; [key: string]: any } };

/** jsforce 1.11.0 (Salesforce): \`const conn = new jsforce.Connection({ instanceUrl, accessToken }); await conn.query(soql)\`. */
declare const jsforce: {
  Connection: new (options?: { instanceUrl?: string; accessToken?: string; loginUrl?: string; version?: string; oauth2?: object }) => any;
  OAuth2: new (options: object) => any;
  [key: string]: any;
};

/** node-mailjet 6.0.11, as Segment exposes it: \`const mailjet = nodemailjet.nodemailjet.apiConnect(key, secret)\` (or \`.connect\`, as in version 3). */
declare const nodemailjet: {
  nodemailjet: {
    new (options: { apiKey?: string; apiSecret?: string; apiToken?: string; config?: object; options?: object }): any;
    apiConnect(apiKey: string, apiSecret: string, options?: object): any;
    connect(apiKey: string, apiSecret: string, options?: object): any;
    smsConnect(apiToken: string, options?: object): any;
    [key: string]: any;
  };
};

/** Node's https client (request/get), sent through the same guard and records as fetch. */
declare const https: {
  request(url: string | object, options?: object | ((res: any) => void), callback?: (res: any) => void): any;
  get(url: string | object, options?: object | ((res: any) => void), callback?: (res: any) => void): any;
  Agent: new (options?: object) => any;
  STATUS_CODES: Record<number, string>;
};

/**
 * Values kept per source between executions (in Redis in production, so every worker sees
 * them). JSON values only, at most 64 KB each and 1 MB per source; test runs start empty.
 */
declare const cache: {
  /**
   * The value kept under \`key\`, or what \`fn()\` returns, kept for \`ttl\` milliseconds
   * (-1 or absent: no expiry). A \`fn\` that throws is not cached.
   */
  load<T>(key: string, ttl: number | undefined, fn: () => T | Promise<T>): Promise<T>;
  /** Forgets the value kept under \`key\`. */
  delete(key: string): Promise<void>;
};

/** aws-sdk needs Node.js: every use fails with an error that shows the fetch alternative. */
declare const AWS: any;
/** The @google-cloud libraries (\`google.cloud.bigquery\`, …) need Node.js: every use fails with an error that shows the fetch alternative. */
declare const google: any;
`;

const TS_TYPES = { string: "string", boolean: "boolean", array: "string[]", text_map: "Record<string, string>" };

export function settingsDts(definitions) {
  const lines = definitions.map((d) => {
    const doc = [d.label, d.description, d.encrypted ? "Secret: write-only, stored encrypted." : "", d.required ? "Required." : "Optional."]
      .filter(Boolean).join(" ").replace(/\*\//g, "* /");
    return `  /** ${doc} */\n  ${d.name}${d.required ? "" : "?"}: ${TS_TYPES[d.type] || "any"};`;
  });
  return `
/** The setting values of the source running this function (from its settings definitions). */
interface FunctionSettings {
${lines.join("\n")}
}
/**
 * Called once per webhook. Emit events with Segment.track/identify/… and objects with
 * Segment.set; throw to reject the request (RetryError to have it retried). A function
 * that responds to the sender (Configure) may return the sender's answer: a Response or
 * { status, headers, body }.
 */
declare function onRequest(request: WebhookRequest, settings: FunctionSettings): Promise<FunctionReturn>;
`;
}
