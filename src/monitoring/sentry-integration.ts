import { hostname } from 'node:os';
import type { CovetApp, Integration, RequestErrorMessage } from '../app.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext } from '../types.js';
import { type MonitoringLogger, warn } from './metrics-logger.js';
import { scrubData } from './scrub.js';
import { type SentryDsn, parseDsn } from './sentry-dsn.js';
import {
  type SentryEvent,
  type SentryException,
  type SentryLevel,
  exceptionValues,
  newEventId,
  requestContext,
  spanStatus,
} from './sentry-event.js';
import { SentryTransport, type TransportStats } from './sentry-transport.js';
import { newSpanId, newTraceId, parseTraceparent } from './trace-context.js';
import type { ActiveSpan } from './span.js';
import { currentSpan } from './tracer.js';
import { subscribeWeak } from './weak-subscribe.js';
import { closeRequestContext, currentContext, peekContext, requestContextFor, requestStore, runRequestContext } from '../internal/request-context.js';
import { afterNext, trustMiddleware } from '../internal/trusted-middleware.js';
import { Request as CovetRequest } from '../request.js';

/** The trace of a request's transaction when no `TracingMiddleware` made a span for it. */
interface TransactionTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** The upstream sampling decision, when the incoming header carried one. */
  readonly sampled: boolean | undefined;
}

const SENTRY_TRACE = /^\s*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?\s*$/;

/**
 * The trace a request continues: Sentry's own `sentry-trace` header (`traceid-spanid[-sampled]`,
 * what Sentry's browser and server SDKs send), else W3C `traceparent`; a new one otherwise.
 */
function incomingTrace(req: Request): TransactionTrace {
  const sentry = SENTRY_TRACE.exec(req.headers.get('sentry-trace') ?? '');
  if (sentry !== null) {
    const [, traceId = '', parentSpanId, flag] = sentry;
    return { traceId, spanId: newSpanId(), parentSpanId, sampled: flag === undefined ? undefined : flag === '1' };
  }
  const parent = parseTraceparent(req.headers.get('traceparent'));
  if (parent !== null) return { traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.spanId, sampled: (parent.traceFlags & 1) === 1 };
  return { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: undefined, sampled: undefined };
}

/**
 * The dynamic sampling context an upstream Sentry SDK froze for the trace, from the `sentry-*`
 * members of the W3C `baggage` header (`sentry-public_key=…,sentry-sample_rate=…`), or
 * `undefined` when there are none. Sentry expects one DSC per trace: a continued trace keeps it.
 */
function incomingDsc(req: Request): Record<string, string> | undefined {
  const baggage = req.headers.get('baggage');
  if (baggage === null) return undefined;
  let dsc: Record<string, string> | undefined;
  // W3C Baggage allows 8,192 bytes and 180 members: read no more.
  for (const member of baggage.slice(0, 8192).split(',', 180)) {
    const eq = member.indexOf('=');
    if (eq === -1) continue;
    const key = member.slice(0, eq).trim();
    if (!key.startsWith('sentry-') || key.length === 7) continue;
    const raw = member.slice(eq + 1).split(';')[0]?.trim() ?? '';
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      continue;
    }
    dsc ??= Object.create(null) as Record<string, string>;
    dsc[key.slice(7)] = value;
  }
  return dsc;
}

/**
 * The span of a request (its `TracingMiddleware`'s), read from the request's own context store:
 * unlike `currentSpan()`, asking does not turn context tracking on for every request.
 */
function requestSpan(req: object): ActiveSpan | undefined {
  return (requestStore(req) ?? peekContext())?.span as ActiveSpan | undefined;
}

/** The request whose handling the calling code is part of, if a request scope is open. */
function currentRequest(): Request | undefined {
  const request = currentContext()?.request;
  return request instanceof CovetRequest ? (request as Request) : undefined;
}

/**
 * Opens the request's context (shared with tracing and request logging, which join it) so that
 * events captured inside the handler know their request.
 */
const requestScope = trustMiddleware(function sentryRequestScope(req: Request, callNext: CallNext): Response | Promise<Response> {
  const { store, opened } = requestContextFor(req, {});
  if (!opened) return runRequestContext(store, false, callNext, req);
  return afterNext(
    () => runRequestContext(store, true, callNext, req),
    (response) => {
      closeRequestContext();
      return response;
    },
    (err) => {
      closeRequestContext();
      throw err;
    },
  );
});

/** Options of `SentryIntegration`. */
export interface SentryOptions {
  /** The project's DSN; empty or missing disables sending (events are dropped quietly). */
  readonly dsn?: string | undefined;
  /** Default: `SENTRY_ENVIRONMENT`, else `production`. */
  readonly environment?: string;
  /** Default: `SENTRY_RELEASE`, else none. */
  readonly release?: string;
  /** Default: the host name. */
  readonly serverName?: string;
  /** Share of error events sent, 0–1. Default 1. */
  readonly sampleRate?: number;
  /** Share of requests sent as performance transactions, 0–1. Default 0 (none). */
  readonly tracesSampleRate?: number;
  /** Tags on every event. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Last look at an event: return it (changed or not) to send it, `null` to drop it — or a
   * promise of either, as Sentry's SDKs allow. One that throws (or rejects, or returns
   * something else) drops the event with a warning.
   */
  readonly beforeSend?: (event: SentryEvent) => SentryEvent | null | PromiseLike<SentryEvent | null>;
  /** Most events in flight; more are dropped. Default 30. */
  readonly maxInFlight?: number;
  /** Timeout of one request to Sentry, and the default of `flush()`. Default 5000 ms. */
  readonly timeout?: number;
  /** Where send failures are reported (once per outage). Default `console`. */
  readonly logger?: MonitoringLogger;
  /**
   * Keep each request current while it runs (in `AsyncLocalStorage`), so `captureException`
   * and `captureMessage` called inside a handler carry that request without being given it,
   * as Sentry's own SDKs do. Default `true`.
   */
  readonly requestScope?: boolean;
}

/** Extra context for one captured event. */
export interface CaptureContext {
  readonly level?: SentryLevel;
  readonly tags?: Readonly<Record<string, string>>;
  /** Arbitrary data; secret-named fields (`password`, `token`…) are scrubbed. */
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly user?: Readonly<Record<string, unknown>>;
  /**
   * The request the event belongs to (its method, URL and headers, scrubbed). Default: the
   * request being handled, when called inside one (see `requestScope`).
   */
  readonly request?: Request;
}

/**
 * Error tracking with Sentry, with no dependency: builds Sentry events and sends them as
 * envelopes to the DSN's ingest URL. Added with `app.addIntegration`, it captures every
 * unhandled handler error (the ones that become 500s) with its request — scrubbed: no
 * cookies, no `Authorization`, no passwords or tokens — and, with `tracesSampleRate`, sends
 * a performance transaction for a share of requests. Sending never delays a request: when
 * Sentry is down or slow, events are dropped and counted.
 *
 * @example
 * const sentry = new SentryIntegration({ dsn: process.env.SENTRY_DSN, environment: 'production', tracesSampleRate: 0.1 });
 * app.addIntegration(sentry);
 * try { riskyOperation() } catch (e) { sentry.captureException(e); return [{ error: 'Something went wrong' }, 500]; }
 */
export class SentryIntegration implements Integration {
  readonly name = 'Sentry';
  readonly dsn: SentryDsn | null;
  readonly #transport: SentryTransport | null;
  readonly #environment: string;
  readonly #release: string | undefined;
  readonly #serverName: string;
  readonly #sampleRate: number;
  readonly #tracesSampleRate: number;
  /** Requests in flight through the transaction middleware, and their trace. */
  readonly #traces = new WeakMap<object, TransactionTrace>();
  readonly #tags: Readonly<Record<string, string>>;
  readonly #beforeSend: ((event: SentryEvent) => SentryEvent | null | PromiseLike<SentryEvent | null>) | undefined;
  readonly #logger: MonitoringLogger;
  /** Events waiting for an asynchronous `beforeSend`. */
  readonly #pending = new Set<Promise<void>>();
  readonly #requestScope: boolean;
  #unsubscribe: (() => void) | null = null;
  #skipped = 0;
  /** After `close()`: nothing more is sent (until the app starts again). */
  #closed = false;

  constructor(options: SentryOptions = {}) {
    this.dsn = options.dsn ? parseDsn(options.dsn) : null;
    this.#environment = options.environment ?? process.env.SENTRY_ENVIRONMENT ?? 'production';
    this.#release = options.release ?? process.env.SENTRY_RELEASE;
    this.#serverName = options.serverName ?? hostname();
    this.#sampleRate = options.sampleRate ?? 1;
    this.#tracesSampleRate = options.tracesSampleRate ?? 0;
    for (const [k, v] of [
      ['sampleRate', this.#sampleRate],
      ['tracesSampleRate', this.#tracesSampleRate],
    ] as const) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`SentryIntegration ${k} must be between 0 and 1`);
    }
    this.#tags = options.tags ?? {};
    this.#requestScope = options.requestScope ?? true;
    this.#beforeSend = options.beforeSend;
    this.#logger = options.logger ?? console;
    this.#transport =
      this.dsn === null
        ? null
        : new SentryTransport(this.dsn, {
            ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
            ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
            ...(options.logger === undefined ? {} : { logger: options.logger }),
          });
  }

  /**
   * Called by `app.addIntegration`: starts capturing unhandled request errors and, with
   * `tracesSampleRate` > 0, adds itself as middleware to send transactions.
   */
  setup(app: CovetApp): void {
    this.#listen();
    // `app.close()` closes the integration; an app started again (`listen` after `close`, the
    // next `TestClient`) reopens it.
    app.onStartup(() => {
      this.#closed = false;
      this.#listen();
    });
    if (this.#requestScope && this.#transport !== null) app.addMiddleware(requestScope);
    if (this.#tracesSampleRate > 0) app.addMiddleware(this);
  }

  /** Captures the unhandled request errors of every app, from now until `close()`. */
  #listen(): void {
    this.#unsubscribe ??= subscribeWeak('covet:request:error', this, (self, message) => {
      const { error, request } = message as RequestErrorMessage;
      self.#capture(exceptionValues(error, false), { request, level: 'error' }, undefined);
    });
  }

  /** What the transport did so far (`sent`, `dropped`, `failed`). */
  get stats(): TransportStats & { readonly sampledOut: number } {
    return { ...(this.#transport?.stats ?? { sent: 0, dropped: 0, failed: 0 }), sampledOut: this.#skipped };
  }

  /**
   * Reports an error (the seed's `sentry.capture_exception(e)`); returns the event id, or
   * `null` when the event is not sent (no DSN, sampled out, dropped by `beforeSend`).
   */
  captureException(error: unknown, context: CaptureContext = {}): string | null {
    return this.#capture(exceptionValues(error, true), { level: 'error', ...context }, undefined);
  }

  /** Reports a message (`info` unless `level` says otherwise). */
  captureMessage(message: string, levelOrContext: SentryLevel | CaptureContext = 'info'): string | null {
    const context = typeof levelOrContext === 'string' ? { level: levelOrContext } : { level: 'info' as const, ...levelOrContext };
    return this.#capture(undefined, context, message);
  }

  #base(context: CaptureContext): SentryEvent {
    const event: SentryEvent = {
      event_id: newEventId(),
      timestamp: Date.now() / 1000,
      platform: 'node',
      level: context.level ?? 'error',
      logger: 'covet',
      environment: this.#environment,
      server_name: this.#serverName,
      sdk: { name: 'covet.sentry', version: '0.1.0' },
      contexts: { runtime: { name: 'node', version: process.version } },
    };
    if (this.#release !== undefined) event.release = this.#release;
    const tags = { ...this.#tags, ...context.tags };
    if (Object.keys(tags).length > 0) event.tags = tags;
    if (context.extra !== undefined) event.extra = scrubData(context.extra) as Record<string, unknown>;
    if (context.user !== undefined) event.user = scrubData(context.user) as Record<string, unknown>;
    if (context.request !== undefined) {
      event.request = requestContext(context.request);
      const route = context.request.route?.path;
      if (route !== undefined) event.transaction = `${context.request.method} ${route}`;
    }
    const span = context.request === undefined ? currentSpan() : (requestSpan(context.request) ?? currentSpan());
    if (span !== undefined && event.contexts !== undefined)
      event.contexts.trace = { trace_id: span.context.traceId, span_id: span.context.spanId };
    else if (context.request !== undefined && event.contexts !== undefined) {
      const trace = this.#traces.get(context.request);
      if (trace !== undefined) event.contexts.trace = { trace_id: trace.traceId, span_id: trace.spanId };
    }
    return event;
  }

  #capture(exception: SentryException[] | undefined, context: CaptureContext, message: string | undefined): string | null {
    if (this.#transport === null) return null;
    if (this.#closed) {
      this.#transport.drop();
      return null;
    }
    if (this.#sampleRate < 1 && Math.random() >= this.#sampleRate) {
      this.#skipped++;
      return null;
    }
    const request = context.request ?? currentRequest();
    const event: SentryEvent = this.#base(request === undefined ? context : { ...context, request });
    if (exception !== undefined) event.exception = { values: exception };
    if (message !== undefined) event.message = { formatted: message };
    if (this.#beforeSend !== undefined) return this.#sendThroughBeforeSend(event, this.#beforeSend, this.#transport);
    this.#transport.send(event);
    return event.event_id;
  }

  /** Runs `beforeSend` (synchronous or not) without ever throwing at the caller. */
  #sendThroughBeforeSend(
    event: SentryEvent,
    beforeSend: (event: SentryEvent) => SentryEvent | null | PromiseLike<SentryEvent | null>,
    transport: SentryTransport,
  ): string | null {
    const deliver = (result: unknown): string | null => {
      if (result === null) return null;
      if (typeof result !== 'object' || result === undefined) {
        warn(this.#logger, `Sentry beforeSend returned ${typeof result}, not an event or null; the event is dropped`);
        return null;
      }
      // Sent when beforeSend finishes: `close()` waits for it.
      transport.send(result as SentryEvent);
      return (result as SentryEvent).event_id ?? event.event_id;
    };
    const dropped = (err: unknown): null => {
      warn(this.#logger, 'Sentry beforeSend threw; the event is dropped', { error: err });
      return null;
    };
    let result: unknown;
    try {
      result = beforeSend(event);
    } catch (err) {
      return dropped(err);
    }
    if (result !== null && typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      const p: Promise<void> = Promise.resolve(result as PromiseLike<unknown>)
        .then(deliver, dropped)
        .then(() => undefined)
        .finally(() => this.#pending.delete(p));
      this.#pending.add(p);
      return event.event_id;
    }
    return deliver(result);
  }

  /**
   * The transaction middleware (added by `setup` when `tracesSampleRate` > 0). Without a
   * `TracingMiddleware` the transaction continues the trace of an incoming `sentry-trace` or
   * `traceparent` header (whose sampling decision it follows), and the request's error events
   * carry that trace, so Sentry links them.
   */
  async handle(req: Request, callNext: CallNext): Promise<Response> {
    if (this.#transport === null || this.#closed) return callNext(req);
    const trace = requestSpan(req) === undefined ? incomingTrace(req) : undefined;
    const sampled = trace?.sampled ?? Math.random() < this.#tracesSampleRate;
    if (trace !== undefined) this.#traces.set(req, trace);
    if (!sampled) return callNext(req);
    const start = Date.now() / 1000;
    const response = await callNext(req);
    // A TracingMiddleware inside this one has made the request's span by now.
    const span = requestSpan(req);
    const traceId = span?.context.traceId ?? trace?.traceId ?? newTraceId();
    const spanId = span?.context.spanId ?? trace?.spanId ?? newSpanId();
    const event = this.#base({ level: 'info', request: req });
    event.type = 'transaction';
    event.start_timestamp = start;
    event.timestamp = Date.now() / 1000;
    event.transaction = req.route === null ? `${req.method} <unmatched>` : `${req.method} ${req.route.path}`;
    event.transaction_info = { source: req.route === null ? 'url' : 'route' };
    event.spans = [];
    event.contexts = {
      ...event.contexts,
      trace: {
        trace_id: traceId,
        span_id: spanId,
        ...(trace?.parentSpanId === undefined ? {} : { parent_span_id: trace.parentSpanId }),
        op: 'http.server',
        status: spanStatus(response.status),
        data: { 'http.response.status_code': response.status },
      },
    };
    // The trace's DSC as the upstream SDK froze it, when this trace came with one; else this
    // service heads the trace and makes it.
    const upstream = incomingDsc(req);
    let dsc: Record<string, string>;
    if (upstream !== undefined && (upstream.trace_id === undefined || upstream.trace_id === traceId)) dsc = { ...upstream, trace_id: traceId };
    else {
      dsc = {
        trace_id: traceId,
        public_key: this.dsn?.publicKey ?? '',
        environment: this.#environment,
        sample_rate: String(this.#tracesSampleRate),
        transaction: event.transaction,
        sampled: 'true',
      };
      if (this.#release !== undefined) dsc.release = this.#release;
    }
    if (this.#closed) this.#transport.drop();
    else this.#transport.send(event, dsc);
    return response;
  }

  /** Waits for events in flight (at most `timeout` ms); `true` when all were handled. */
  async flush(timeout?: number): Promise<boolean> {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    return this.#transport?.flush(timeout) ?? true;
  }

  /**
   * Stops capturing and flushes (`app.close()` calls it). Afterwards nothing is sent: captures
   * return `null` and count as `dropped`, until the app that set the integration up starts again.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.flush();
  }
}
