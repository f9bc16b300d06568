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
  /** HTTP method, e.g. "POST". */
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

/** Calls an HTTP API (counts toward the time limit; shown under "Fetch calls"). */
declare function fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{
  ok: boolean; status: number; statusText: string; headers: WebhookHeaders;
  json(): Promise<any>; text(): Promise<string>;
}>;
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
 * Segment.set; throw to reject the request (RetryError to have it retried).
 */
declare function onRequest(request: WebhookRequest, settings: FunctionSettings): Promise<void>;
`;
}
