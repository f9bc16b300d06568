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
