import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type MonitoringLogger, warn } from './metrics-logger.js';
import { type AttributeValue, type Attributes, HttpServerSpan, Span, type SpanData, type SpanKind } from './span.js';
import { SpanBatch } from './span-batch.js';
import { secondsText } from './span-bytes.js';

/** Batching and limits of the OTLP exporter. */
export interface BatchOptions {
  /** Spans held while waiting for export; more are dropped (and counted). Default 8192. */
  readonly maxQueueSize?: number;
  /**
   * Most spans per request. Default 2048 (the OpenTelemetry SDK's is 512: every request to
   * the collector costs the service a fixed amount, about a quarter of a millisecond over
   * loopback, so a busy service sends fewer, larger ones).
   */
  readonly maxExportBatchSize?: number;
  /**
   * A batch is sent once its JSON body reaches this many bytes, however few spans it holds,
   * so large spans stay under collectors' request limits (the OpenTelemetry Collector accepts
   * 20 MiB by default; some gateways less). Default 1 MiB.
   */
  readonly maxExportBatchBytes?: number;
  /** Longest a span waits before its batch is sent. Default 1000 ms. */
  readonly scheduledDelayMillis?: number;
  /** A request to the collector slower than this is abandoned and its spans dropped. Default 10000 ms. */
  readonly exportTimeoutMillis?: number;
  /** Requests in flight at once; while all are busy, spans wait in the queue. Default 2. */
  readonly maxConcurrentExports?: number;
}

/** Options of `OTLPTraceExporter`. */
export interface OTLPTraceExporterOptions extends BatchOptions {
  /** The full traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly url: string;
  /** Extra request headers (an API key, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Resource attributes (`service.name`, …). */
  readonly resource: Attributes;
  /** The instrumentation scope. Default `{ name: 'covet' }`. */
  readonly scope?: { readonly name: string; readonly version?: string };
  /** Where export failures are reported (once per outage). Default `console`. */
  readonly logger?: MonitoringLogger;
}

/** Counters of what happened to spans handed to the exporter. */
export interface ExporterStats {
  readonly exported: number;
  readonly dropped: number;
  readonly failedExports: number;
}

const BATCH_DEFAULTS = {
  maxQueueSize: 8192,
  maxExportBatchSize: 2048,
  maxExportBatchBytes: 1024 * 1024,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 10_000,
  maxConcurrentExports: 2,
} as const;

/** Spans kept as objects before they are encoded together. */
const ENCODE_EVERY = 64;

/** The largest buffer a batch starts with (a batch may still grow past it). */
const MAX_PRESIZE = 4 * 1024 * 1024;

const KIND: Readonly<Record<SpanKind, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS = { unset: 0, ok: 1, error: 2 } as const;

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

function anyValue(v: AttributeValue | string | number | boolean): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number')
    return Number.isSafeInteger(v) ? { intValue: String(v) } : Number.isFinite(v) ? { doubleValue: v } : { stringValue: String(v) };
  return { arrayValue: { values: (v as readonly (string | number | boolean)[]).map((x) => anyValue(x)) } };
}

function keyValues(attributes: Attributes): { key: string; value: AnyValue }[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/**
 * The OTLP/HTTP JSON body for spans (`ExportTraceServiceRequest`): ids as hex, 64-bit integers
 * and timestamps as decimal strings, enums as numbers — what collectors and Jaeger accept.
 */
export function toOtlpJson(
  spans: readonly SpanData[],
  resource: Attributes,
  scope: { readonly name: string; readonly version?: string },
): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [
          {
            scope: scope.version === undefined ? { name: scope.name } : { name: scope.name, version: scope.version },
            spans: spans.map((s) => {
              const span: Record<string, unknown> = {
                traceId: s.context.traceId,
                spanId: s.context.spanId,
                name: s.name,
                kind: KIND[s.kind],
                startTimeUnixNano: String(s.startTimeUnixNano),
                endTimeUnixNano: String(s.endTimeUnixNano),
                attributes: keyValues(s.attributes),
                events: s.events.map((e) => ({ timeUnixNano: String(e.timeUnixNano), name: e.name, attributes: keyValues(e.attributes) })),
                status:
                  s.status.message === undefined
                    ? { code: STATUS[s.status.code] }
                    : { code: STATUS[s.status.code], message: s.status.message },
                flags: s.context.traceFlags & 0xff,
              };
              if (s.parentSpanId !== null) span.parentSpanId = s.parentSpanId;
              if (s.context.traceState !== '') span.traceState = s.context.traceState;
              return span;
            }),
          },
        ],
      },
    ],
  };
}

const q = JSON.stringify;

// Most string values repeat from span to span (span names, methods, route templates, user
// agents): their encoded form is remembered, up to a bound, and short strings only.
const stringValues = new Map<string, string>();

function encodeString(v: string): string {
  if (v.length > 256) return `{"stringValue":${q(v)}}`;
  let out = stringValues.get(v);
  if (out === undefined) {
    out = `{"stringValue":${q(v)}}`;
    if (stringValues.size >= 2048) stringValues.clear();
    stringValues.set(v, out);
  }
  return out;
}

const quotedNames = new Map<string, string>();

/** A span name as a JSON string (names repeat, like string values). */
function quoted(v: string): string {
  if (v.length > 256) return q(v);
  let out = quotedNames.get(v);
  if (out === undefined) {
    out = q(v);
    if (quotedNames.size >= 1024) quotedNames.clear();
    quotedNames.set(v, out);
  }
  return out;
}

function encodeValue(v: AttributeValue | string | number | boolean): string {
  if (typeof v === 'string') return encodeString(v);
  if (typeof v === 'boolean') return `{"boolValue":${v}}`;
  if (typeof v === 'number')
    return Number.isSafeInteger(v) ? `{"intValue":"${v}"}` : Number.isFinite(v) ? `{"doubleValue":${v}}` : `{"stringValue":"${v}"}`;
  return `{"arrayValue":{"values":[${(v as readonly (string | number | boolean)[]).map(encodeValue).join(',')}]}}`;
}

// Attribute keys repeat from span to span: the JSON before each value is built once per key.
const keyPrefixes = new Map<string, string>();

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${q(key)},"value":`;
    if (keyPrefixes.size < 4096) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

function encodeAttributes(attributes: Attributes): string {
  let out = '';
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}${keyPrefix(key)}${encodeValue(value)}}`;
  }
  return `[${out}]`;
}

/**
 * Microseconds since the epoch as OTLP's decimal nanoseconds. Formatting a 16-digit double
 * is slow; the seconds (a small integer) are formatted once per second and the fraction is
 * padded from a small integer.
 */
function nanosText(micros: number): string {
  const second = Math.floor(micros / 1_000_000);
  return `${secondsText(second)}${String(1_000_000 + (micros - second * 1_000_000)).slice(1)}000`;
}

/** A span's start and end as OTLP's decimal nanosecond strings (without quotes). */
function times(s: SpanData): [string, string] {
  // Covet's spans keep microseconds as numbers: no BigInt to format.
  if (s instanceof Span) return [nanosText(s.startMicros), nanosText(s.endMicros)];
  return [String(s.startTimeUnixNano), String(s.endTimeUnixNano)];
}

/** One span as OTLP JSON text. */
export function encodeSpan(s: SpanData): string {
  if (s instanceof HttpServerSpan) {
    const fast = encodeHttpServerSpan(s);
    if (fast !== null) return fast;
  }
  const [start, end] = times(s);
  let span = idsText(s);
  span += `,"name":${quoted(s.name)},"kind":${KIND[s.kind]},"startTimeUnixNano":"${start}","endTimeUnixNano":"${end}"`;
  span += `,"attributes":${encodeAttributes(s.attributes)}`;
  return span + eventsStatusFlags(s);
}

/** The start of a span's JSON: its ids, parent and trace state. */
function idsText(s: SpanData): string {
  const ctx = s.context;
  let text = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  if (s.parentSpanId !== null) text += `,"parentSpanId":"${s.parentSpanId}"`;
  if (ctx.traceState !== '') text += `,"traceState":${q(ctx.traceState)}`;
  return text;
}

/** The end of a span's JSON: events, status and flags. */
function eventsStatusFlags(s: SpanData): string {
  let events = '';
  for (const e of s.events) {
    events += `${events === '' ? '' : ','}{"timeUnixNano":"${e.timeUnixNano}","name":${q(e.name)},"attributes":${encodeAttributes(e.attributes)}}`;
  }
  const status =
    s.status.message === undefined
      ? `"status":{"code":${STATUS[s.status.code]}}`
      : `"status":{"code":${STATUS[s.status.code]},"message":${q(s.status.message)}}`;
  return `,"events":[${events}],${status},"flags":${s.context.traceFlags & 0xff}}`;
}

/** Attribute keys an HTTP server span writes from its fields. */
const HTTP_KEYS = new Set(['http.request.method', 'url.path', 'url.scheme', 'http.route', 'user_agent.original', 'http.response.status_code']);
const PLAIN_TAIL = '],"events":[],"status":{"code":0},"flags":1}';

/** Whether a span ends the common way: no events, status unset, flags 1 (`PLAIN_TAIL`). */
function hasPlainTail(s: SpanData): boolean {
  return s.events.length === 0 && s.status.code === 'unset' && (s.context.traceFlags & 0xff) === 1;
}

/** Makes V8 flatten a string built by concatenation, so later copies of it are one piece. */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

interface HeadText {
  readonly name: string;
  readonly method: string;
  readonly scheme: string;
  readonly userAgent: string | undefined;
  readonly text: string;
  /** `text` as UTF-8, made when first needed. */
  bytes: Buffer | null;
}

// The JSON between a server span's times and its path repeats for every request to a route
// with the same method, scheme and user agent: a few per route are kept.
const headTexts = new Map<string, HeadText[]>();

function headText(s: HttpServerSpan): HeadText {
  const h = s.http;
  const name = s.name;
  const key = h.route ?? '';
  let list = headTexts.get(key);
  if (list === undefined) {
    list = [];
    if (headTexts.size >= 1024) headTexts.clear();
    headTexts.set(key, list);
  }
  for (const e of list) if (e.name === name && e.method === h.method && e.scheme === h.scheme && e.userAgent === h.userAgent) return e;
  let text = `,"name":${q(name)},"kind":2,"attributes":[${keyPrefix('http.request.method')}${encodeValue(h.method)}},${keyPrefix('url.scheme')}${encodeValue(h.scheme)}}`;
  if (h.route !== undefined) text += `,${keyPrefix('http.route')}${encodeValue(h.route)}}`;
  if (h.userAgent !== undefined) text += `,{"key":"user_agent.original","value":{"stringValue":${q(h.userAgent)}}}`;
  text = flat(`${text},{"key":"url.path","value":{"stringValue":`);
  if (list.length >= 8) list.shift();
  const entry = { name, method: h.method, scheme: h.scheme, userAgent: h.userAgent, text, bytes: null };
  list.push(entry);
  return entry;
}

/**
 * An HTTP server span in a dozen pieces instead of fifty: building a string from many small
 * pieces costs more in the copy that joins them than in the pieces themselves. `null` when an
 * attribute set by hand overrides a request field (the general encoder handles that).
 */
function encodeHttpServerSpan(s: HttpServerSpan): string | null {
  const own = s.ownAttributes;
  if (own !== null) for (const key in own) if (HTTP_KEYS.has(key)) return null;
  if (s.statusCode === 0) return null;
  let span = idsText(s);
  span += `,"startTimeUnixNano":"${nanosText(s.startMicros)}","endTimeUnixNano":"${nanosText(s.endMicros)}"${headText(s).text}${q(s.http.path)}}},{"key":"http.response.status_code","value":{"intValue":"${s.statusCode}"}}`;
  if (own !== null) {
    const rest = encodeAttributes(own);
    if (rest !== '[]') span += `,${rest.slice(1, -1)}`;
  }
  if (hasPlainTail(s)) return span + PLAIN_TAIL;
  return `${span}]${eventsStatusFlags(s)}`;
}

/**
 * The head of a plain server span (see `writeHttpServerSpan`) as bytes — everything between
 * its end time and its path — or `null` when the span needs the text encoder.
 */
function plainHead(s: HttpServerSpan): Buffer | null {
  if (s.ownAttributes !== null || s.statusCode === 0 || s.context.traceState !== '' || !hasPlainTail(s)) return null;
  const head = headText(s);
  head.bytes ??= Buffer.from(head.text, 'utf8');
  return head.bytes;
}

/** The request body around already-encoded spans. */
function encodeBody(encodedSpans: readonly string[], resource: string, scope: string): string {
  return `{"resourceSpans":[{"resource":{"attributes":${resource}},"scopeSpans":[{"scope":${scope},"spans":[${encodedSpans.join(',')}]}]}]}`;
}

function encodeScope(scope: { readonly name: string; readonly version?: string }): string {
  return scope.version === undefined ? `{"name":${q(scope.name)}}` : `{"name":${q(scope.name)},"version":${q(scope.version)}}`;
}

/**
 * The same body as `toOtlpJson`, written straight to a string: exporting is the tracer's main
 * cost per span, and building the object tree first doubled it.
 */
export function encodeOtlpJson(
  spans: readonly SpanData[],
  resource: Attributes,
  scope: { readonly name: string; readonly version?: string },
): string {
  return encodeBody(spans.map(encodeSpan), encodeAttributes(resource), encodeScope(scope));
}

/**
 * Sends finished spans to an OTLP/HTTP collector as JSON, in batches, off the request path:
 * `enqueue` only appends to a bounded queue. When the collector is down or slow, spans are
 * dropped and counted — requests never wait and never fail because of tracing.
 *
 * @example
 * const exporter = new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces', resource: { 'service.name': 'api' } });
 */
export class OTLPTraceExporter {
  readonly url: URL;
  readonly #opts: Required<BatchOptions>;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #resource: string;
  readonly #scope: string;
  readonly #logger: MonitoringLogger;
  // Spans wait as UTF-8 bytes of their JSON text (see `SpanBatch`): the span objects and their
  // text die young instead of being promoted to the old generation while a batch fills.
  #open: SpanBatch | null = null;
  readonly #full: SpanBatch[] = [];
  #queued = 0;
  readonly #head: Buffer;
  readonly #tail: Buffer;
  #timer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  #exported = 0;
  #dropped = 0;
  #failed = 0;
  #failing = false;
  #lastBodyBytes = 0;
  #spare: Buffer | null = null;
  // Finished spans not yet encoded: encoding a few dozen in a row, off the request that ended
  // them, keeps the encoder's code and data hot in the CPU caches between requests.
  readonly #unencoded: SpanData[] = [];

  constructor(options: OTLPTraceExporterOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:')
      throw new TypeError(`OTLP endpoint must be http(s): ${options.url}`);
    this.#opts = {
      maxQueueSize: options.maxQueueSize ?? BATCH_DEFAULTS.maxQueueSize,
      maxExportBatchSize: options.maxExportBatchSize ?? BATCH_DEFAULTS.maxExportBatchSize,
      maxExportBatchBytes: options.maxExportBatchBytes ?? BATCH_DEFAULTS.maxExportBatchBytes,
      scheduledDelayMillis: options.scheduledDelayMillis ?? BATCH_DEFAULTS.scheduledDelayMillis,
      exportTimeoutMillis: options.exportTimeoutMillis ?? BATCH_DEFAULTS.exportTimeoutMillis,
      maxConcurrentExports: options.maxConcurrentExports ?? BATCH_DEFAULTS.maxConcurrentExports,
    };
    for (const [k, v] of Object.entries(this.#opts)) {
      if (!(v > 0)) throw new RangeError(`OTLP exporter: ${k} must be positive`);
    }
    this.#headers = options.headers ?? {};
    this.#resource = encodeAttributes(options.resource);
    this.#scope = encodeScope(options.scope ?? { name: 'covet' });
    this.#head = Buffer.from(`{"resourceSpans":[{"resource":{"attributes":${this.#resource}},"scopeSpans":[{"scope":${this.#scope},"spans":[`);
    this.#tail = Buffer.from(']}]}]}');
    this.#logger = options.logger ?? console;
  }

  /** What happened so far. */
  get stats(): ExporterStats {
    return { exported: this.#exported, dropped: this.#dropped, failedExports: this.#failed };
  }

  /** Spans waiting in the queue. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a finished span; drops it when the queue is full. Never throws, never waits. */
  enqueue(span: SpanData): void {
    if (this.#queued >= this.#opts.maxQueueSize) {
      this.#dropped++;
      return;
    }
    const waiting = this.#unencoded;
    waiting.push(span);
    this.#queued++;
    if (waiting.length >= ENCODE_EVERY) this.#encode();
    const open = this.#open;
    if ((open?.count ?? 0) + waiting.length >= this.#opts.maxExportBatchSize || (open !== null && open.bytes >= this.#opts.maxExportBatchBytes)) {
      this.#seal();
      this.#pump();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#seal();
        this.#pump();
      }, this.#opts.scheduledDelayMillis);
      // Waiting spans must not keep the process alive; `flush()` sends them on purpose.
      this.#timer.unref();
    }
  }

  /** Closes the batch being filled: it goes out with the next free export slot. */
  #seal(): void {
    this.#encode();
    if (this.#open === null) return;
    this.#full.push(this.#open);
    this.#open = null;
  }

  /** Encodes the spans waiting as objects into the open batch (opening one if needed). */
  #encode(): void {
    const waiting = this.#unencoded;
    if (waiting.length === 0) return;
    // Sized like the last body, so a busy exporter's buffer never has to grow and copy.
    let batch = this.#open;
    if (batch === null) {
      batch = this.#open = new SpanBatch(this.#head, Math.max(64 * 1024, this.#lastBodyBytes + 4096), this.#spare);
      this.#spare = null;
    }
    for (let i = 0; i < waiting.length; i++) {
      const span = waiting[i] as SpanData;
      const head = span instanceof HttpServerSpan ? plainHead(span) : null;
      if (head === null || !batch.addServerSpan(span as HttpServerSpan, head)) batch.add(encodeSpan(span));
    }
    waiting.length = 0;
  }

  /** Starts exports while there are full batches and free slots. */
  #pump(): void {
    while (this.#full.length > 0 && this.#inFlight.size < this.#opts.maxConcurrentExports) {
      const batch = this.#full.shift() as SpanBatch;
      this.#queued -= batch.count;
      const p: Promise<void> = this.#send(batch).finally(() => {
        this.#inFlight.delete(p);
        if (this.#full.length > 0) this.#pump();
      });
      this.#inFlight.add(p);
    }
    if (this.#queued > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#seal();
        this.#pump();
      }, this.#opts.scheduledDelayMillis);
      this.#timer.unref();
    }
  }

  async #send(batch: SpanBatch): Promise<void> {
    const body = batch.body(this.#tail);
    this.#lastBodyBytes = Math.min(body.length, MAX_PRESIZE);
    try {
      const { status, sent } = await this.#post(body);
      if (status < 200 || status >= 300) throw new Error(`collector answered ${status}`);
      this.#exported += batch.count;
      this.#failing = false;
      // The body left this process (a collector may answer before reading it all): its
      // buffer can take the next batch.
      if (sent) this.#spare = batch.buffer;
    } catch (err) {
      this.#failed++;
      this.#dropped += batch.count;
      if (!this.#failing) {
        this.#failing = true;
        warn(this.#logger, `OTLP export to ${this.url.href} failed; spans are dropped until it recovers`, { error: err });
      }
    }
  }

  /** Posts `body`; resolves with the status and whether the body was handed to the socket in full. */
  #post(body: Buffer): Promise<{ status: number; sent: boolean }> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let sent = false;
      const req = request(
        this.url,
        {
          method: 'POST',
          headers: { ...this.#headers, 'content-type': 'application/json', 'content-length': body.length },
          timeout: this.#opts.exportTimeoutMillis,
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, sent }));
          res.once('error', reject);
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`export timed out after ${this.#opts.exportTimeoutMillis} ms`)),
        this.#opts.exportTimeoutMillis,
      );
      deadline.unref();
      req.once('close', () => clearTimeout(deadline));
      req.once('timeout', () => req.destroy(new Error(`export timed out after ${this.#opts.exportTimeoutMillis} ms`)));
      req.once('error', reject);
      req.once('finish', () => {
        sent = true;
      });
      req.end(body);
    });
  }

  /** Sends every queued span now and waits for all exports (each bounded by the export timeout). */
  async flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#seal();
    while (this.#full.length > 0 || this.#inFlight.size > 0) {
      while (this.#full.length > 0 && this.#inFlight.size < this.#opts.maxConcurrentExports) {
        const batch = this.#full.shift() as SpanBatch;
        this.#queued -= batch.count;
        const p: Promise<void> = this.#send(batch).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
      await Promise.race(this.#inFlight);
    }
  }
}
