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
  update(data: string): HmacLike;
  digest(encoding: "hex" | "base64"): string;
}
/** A subset of Node's crypto: HMACs and hashes for signature checks. */
declare const crypto: {
  createHmac(algorithm: "sha1" | "sha256" | "sha512", key: string): HmacLike;
  createHash(algorithm: "md5" | "sha1" | "sha256" | "sha512"): HmacLike;
  timingSafeEqual?(a: any, b: any): boolean;
  randomUUID(): string;
};

/** Headers of a Response you build (case-insensitive names). */
declare class Headers {
  constructor(init?: Record<string, string | string[]> | [string, string][] | Headers);
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
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

/**
 * The answer for the webhook's sender (WHATWG Response), when the function responds to the
 * sender (Configure › Responds to the sender): \`return new Response(challenge)\`. The body
 * is sent as text, at most 64 KB. Also what fetch() resolves to.
 */
declare class Response {
  constructor(body?: string | Uint8Array | ArrayBuffer | null, init?: ResponseInit);
  /** A JSON answer: \`return Response.json({ plainToken, encryptedToken })\`. */
  static json(data: any, init?: ResponseInit): Response;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  text(): Promise<string>;
  json(): Promise<any>;
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

/** Calls an HTTP API (counts toward the time limit; shown under "Fetch calls"). */
declare function fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
declare function btoa(data: string): string;
declare function atob(data: string): string;

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
