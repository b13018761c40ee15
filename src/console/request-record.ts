import { performance } from 'node:perf_hooks';
import type { RequestHeaders, ResponseHeaders } from '../http/headers.js';
import { kLazyHeaders, kOnlyContentType, type Response } from '../response.js';
import { NPlusOneDetector, type NPlusOneFinding } from './n-plus-one.js';
import { redactBody, redactHeaders, redactUrl } from './redact.js';

/** One SQL statement a request ran, as the console shows it (never the parameter values). */
export interface QueryView {
  readonly sql: string;
  readonly paramCount: number;
  readonly durationMs: number;
  readonly dialect: string;
  readonly error?: string;
}

/** A recorded request in the list: no headers or bodies. */
export interface RequestSummary {
  readonly id: number;
  /** Unix time in ms. */
  readonly time: number;
  readonly method: string;
  /** The target with secret-looking query parameters redacted. */
  readonly url: string;
  /** The route template (`/users/{id:int}`), `null` when none matched. */
  readonly route: string | null;
  readonly status: number;
  readonly durationMs: number;
  readonly queryCount: number;
  readonly queryMs: number;
  readonly nPlusOne: readonly NPlusOneFinding[];
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly traceId: string | null;
}

/** A recorded request with its (redacted) headers, bodies and queries. */
export interface RequestDetail extends RequestSummary {
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly requestBody: string | null;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: string | null;
  /** The first `maxQueriesPerRequest` statements, in order. */
  readonly queries: readonly QueryView[];
  /** `false` once the request is older than the last `maxDetails`: headers and bodies are gone. */
  readonly detailsKept: boolean;
}

/** A body kept for display: the bytes (small ones only) or a note on what it was. */
export type KeptBody = string | Uint8Array | { readonly note: string } | null;

// Bodies up to this size are kept as they are (and redacted when looked at); larger ones are
// summarised at once, so that the buffer of recent requests stays small.
export const KEEP_LIMIT = 16 * 1024;

/** What a body is kept as when it is not bytes or text (an iterable, a stream). */
const STREAMED: KeptBody = Object.freeze({ note: '[streamed]' });

/** What of a body to keep: the value itself when small, else a note of its size. */
export function keepBody(body: unknown): KeptBody {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return body.length <= KEEP_LIMIT ? body : { note: `[${body.length} characters, not kept]` };
  if (body instanceof Uint8Array) return body.byteLength <= KEEP_LIMIT ? body : { note: `[${body.byteLength} bytes, not kept]` };
  return STREAMED;
}

/**
 * What the console records about one request, as one flat value: counters, and for the most
 * recent requests the few values the detail view needs — the Node request's raw header list
 * (an array it already has), the response's status, its content type (or its header map, when
 * something built one) and its body when small. It never keeps the `Request`, the `Response` or
 * the Node request: redaction and formatting happen when someone looks at the record. Queries,
 * cache reads and the trace id arrive from diagnostics channels while it runs.
 *
 * @example
 * const record = new RequestRecord(1, 'GET', '/users', '/users', performance.now());
 */
export class RequestRecord {
  readonly id: number;
  /** `performance.now()` at the start. */
  readonly start: number;
  readonly method: string;
  readonly rawUrl: string;
  readonly route: string | null;
  status = 0;
  /** Unrounded; `summary()` rounds it to the microsecond. */
  durationMs = 0;
  queryCount = 0;
  queryMs = 0;
  cacheHits = 0;
  cacheMisses = 0;
  traceId: string | null = null;
  /** Whether headers and bodies were let go (only the most recent requests keep them). */
  detailsDropped = false;
  /** Whether the request runs inside the console's `AsyncLocalStorage`. */
  bound = false;
  /**
   * The request headers: the Node request's `rawHeaders` (`[name, value, name, value, …]`, as
   * received) over a socket, the request's headers in process.
   */
  requestHeaders: readonly string[] | RequestHeaders | null = null;
  requestBody: KeptBody = null;
  /**
   * The response's content type while it is its only header (nothing read `response.headers`;
   * reading them here would take the response off the core's precomputed-header fast path),
   * else its header map.
   */
  responseHeaders: string | ResponseHeaders | null = null;
  responseBody: KeptBody = null;
  nPlusOne: readonly NPlusOneFinding[] = NONE;
  queries: QueryView[] | null = null;
  #detector: NPlusOneDetector | null = null;
  #finished = false;

  constructor(id: number, method: string, url: string, route: string | null, start: number) {
    this.id = id;
    this.start = start;
    this.method = method;
    this.rawUrl = url;
    this.route = route;
  }

  /** Counts a statement the request ran; keeps the first `maxQueries`, checks for N+1 at `threshold`. */
  addQuery(query: QueryView, threshold: number, maxQueries: number): void {
    this.queryCount++;
    this.queryMs += query.durationMs;
    const detector = (this.#detector ??= new NPlusOneDetector(threshold));
    detector.add(query.sql);
    const queries = (this.queries ??= []);
    if (queries.length < maxQueries) queries.push(query);
    // A statement reported after the response (work the handler did not await) still counts.
    if (this.#finished) this.nPlusOne = detector.findings();
  }

  /** Keeps what the detail view shows of `response`: its headers (by reference) and small body. */
  keepResponse(response: Response): void {
    const type = response[kLazyHeaders]() === null ? response[kOnlyContentType]() : null;
    this.responseHeaders = type ?? response.headers;
    this.responseBody = keepBody(response.body);
  }

  /** Closes the record at `end` (`performance.now()`): status, duration and the N+1 findings. */
  finish(status: number, end: number): void {
    this.status = status;
    this.durationMs = end - this.start;
    this.#finished = true;
    if (this.#detector !== null) this.nPlusOne = this.#detector.findings();
  }

  /** Lets go of headers and bodies, keeping the summary and the SQL. */
  dropDetails(): void {
    this.detailsDropped = true;
    this.requestHeaders = null;
    this.requestBody = null;
    this.responseHeaders = null;
    this.responseBody = null;
  }

  summary(): RequestSummary {
    return {
      id: this.id,
      time: Math.round(performance.timeOrigin + this.start),
      method: this.method,
      url: redactUrl(this.rawUrl),
      route: this.route,
      status: this.status,
      durationMs: micro(this.durationMs),
      queryCount: this.queryCount,
      queryMs: micro(this.queryMs),
      nPlusOne: this.nPlusOne,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      traceId: this.traceId,
    };
  }

  /** The full record, redacted, bodies cut to `bodyLimit` characters. */
  detail(bodyLimit: number): RequestDetail {
    const headers = requestHeaderObject(this.requestHeaders);
    const kept = this.responseHeaders;
    const responseHeaders: Record<string, string> =
      kept === null ? {} : typeof kept === 'string' ? { 'content-type': kept } : Object.fromEntries(kept.entries());
    return {
      ...this.summary(),
      requestHeaders: headers === null ? {} : redactHeaders(headers),
      requestBody: shown(this.requestBody, headers?.['content-type'] ?? '', bodyLimit),
      responseHeaders: redactHeaders(responseHeaders),
      responseBody: shown(this.responseBody, responseHeaders['content-type'] ?? '', bodyLimit),
      queries: this.queries ?? [],
      detailsKept: !this.detailsDropped,
    };
  }
}

const NONE: readonly NPlusOneFinding[] = Object.freeze([]);

function micro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Request headers as one object with lower-case names: a raw header list folded the way Node
 * folds it into `req.headers` (repeats joined with `, `, `cookie` with `; `, `set-cookie` kept
 * apart — redaction hides both anyway).
 */
function requestHeaderObject(kept: readonly string[] | RequestHeaders | null): Record<string, string> | null {
  if (kept === null) return null;
  if (!Array.isArray(kept)) return (kept as RequestHeaders).toJSON();
  const list = kept as readonly string[];
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = (list[i] as string).toLowerCase();
    const value = list[i + 1] as string;
    const seen = out[name];
    out[name] = seen === undefined ? value : `${seen}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

function shown(body: KeptBody, contentType: string, bodyLimit: number): string | null {
  if (body === null || bodyLimit === 0) return null;
  if (typeof body === 'string' || body instanceof Uint8Array) return body.length === 0 ? null : redactBody(body, contentType, bodyLimit);
  return body.note;
}
