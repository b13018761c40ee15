import type { AppLifecycleMessage, RequestErrorMessage } from '../app.js';
import { kLowerGet } from '../http/headers.js';
import { type ContextStore, closeRequestContext, requestContextFor, requestStore, runRequestContext } from '../internal/request-context.js';
import { trustMiddleware } from '../internal/trusted-middleware.js';
import type { Request } from '../request.js';
import { kSetHeader, type Response } from '../response.js';
import type { CallNext } from '../types.js';
import type { MonitoringLogger } from './metrics-logger.js';
import { OtelBackedSpan } from './otel-bridge.js';
import { type BatchOptions, type ExporterStats, OTLPTraceExporter } from './otlp-exporter.js';
import { type ActiveSpan, type AttributeValue, type HttpServerFields, HttpServerSpan, type SpanData } from './span.js';
import { formatTraceparent, parseTraceparent } from './trace-context.js';
import { type HttpServerDescription, setDefaultTracer, Tracer } from './tracer.js';
import { subscribeWeak } from './weak-subscribe.js';

/** Options of `TracingMiddleware`. */
export interface TracingOptions {
  /** `service.name` of the spans. Default: `OTEL_SERVICE_NAME`, else `covet-app`. */
  readonly serviceName?: string;
  /**
   * The collector's OTLP/HTTP base URL (`/v1/traces` is appended unless the path already ends
   * with it), e.g. `http://127.0.0.1:4318` (Jaeger, the OpenTelemetry Collector, Tempo…). Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
   * (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`; with none, spans are only propagated.
   */
  readonly otlpEndpoint?: string;
  /**
   * The seed's Jaeger collector URL (`http://jaeger:14268/api/traces`). Jaeger accepts OTLP on
   * port 4318 of the same host, so this is read as `otlpEndpoint: http://jaeger:4318`.
   */
  readonly jaegerEndpoint?: string;
  /**
   * Headers for the collector (authentication), added to those of the standard
   * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (or `OTEL_EXPORTER_OTLP_HEADERS`): `key=value,key2=value2`.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Share of new traces recorded, 0–1; a `traceparent` from upstream decides for its trace. Default 1. */
  readonly sampleRate?: number;
  /**
   * More resource attributes (`deployment.environment`, `service.version`…), added to those of
   * the standard `OTEL_RESOURCE_ATTRIBUTES` (`key=value,key2=value2`).
   */
  readonly resourceAttributes?: Readonly<Record<string, AttributeValue>>;
  /** Queue and batch limits of the exporter. */
  readonly batch?: BatchOptions;
  /** Create spans through a registered OpenTelemetry SDK when there is one. Default `true`. */
  readonly useOpenTelemetry?: boolean;
  /** Send `traceparent` (and `tracestate`) back on responses. Default `true`. */
  readonly responseHeaders?: boolean;
  /** Where export failures are reported. Default `console`. */
  readonly logger?: MonitoringLogger;
  /** Called with every finished span Covet records itself. */
  readonly onSpanEnd?: (span: SpanData) => void;
}

const VERSION = '0.1.0';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

/**
 * The `key=value,key2=value2` lists of the OpenTelemetry environment variables
 * (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_RESOURCE_ATTRIBUTES`): values percent-decoded, blanks
 * around items trimmed, items without a key or `=` skipped, as the OpenTelemetry SDKs do.
 */
export function parseOtelKeyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (text === undefined) return out;
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq === -1) continue;
    const key = item.slice(0, eq).trim();
    if (key === '') continue;
    const raw = item.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {}
    out[key] = value;
  }
  return out;
}

/** The OTLP traces URL from the options or the standard environment variables, or `null`. */
export function resolveTracesUrl(options: Pick<TracingOptions, 'otlpEndpoint' | 'jaegerEndpoint'>): string | null {
  // A full traces URL given as the base is a common slip: it would become …/v1/traces/v1/traces.
  const base = (url: string): string => {
    const trimmed = url.replace(/\/+$/, '');
    return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
  };
  if (options.otlpEndpoint !== undefined) return base(options.otlpEndpoint);
  if (options.jaegerEndpoint !== undefined) {
    const url = new URL(options.jaegerEndpoint);
    // `hostname` keeps an IPv6 address in its brackets.
    return `${url.protocol}//${url.hostname}:4318/v1/traces`;
  }
  const traces = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const general = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return general ? base(general) : null;
}

/**
 * A span per request, with W3C Trace Context in and out: continues the trace of an incoming
 * `traceparent`/`tracestate`, names the span `METHOD /route/{template}`, records the status and
 * unhandled errors, makes the span current for `trace()` and `propagationHeaders()`, and exports
 * finished spans over OTLP/HTTP JSON in batches off the request path. `app.close()` flushes.
 *
 * @example
 * const tracing = new TracingMiddleware({ serviceName: 'covet-app', otlpEndpoint: 'http://127.0.0.1:4318' });
 * app.addMiddleware(tracing);
 */
export class TracingMiddleware {
  readonly serviceName: string;
  readonly tracer: Tracer;
  readonly exporter: OTLPTraceExporter | null;
  readonly #responseHeaders: boolean;
  readonly #names = new Map<string, Map<string, string>>();

  constructor(options: TracingOptions = {}) {
    const env = process.env;
    const envResource = parseOtelKeyValues(env.OTEL_RESOURCE_ATTRIBUTES);
    this.serviceName = options.serviceName || env.OTEL_SERVICE_NAME || envResource['service.name'] || 'covet-app';
    const url = resolveTracesUrl(options);
    const envHeaders = parseOtelKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS);
    this.exporter =
      url === null
        ? null
        : new OTLPTraceExporter({
            url,
            ...options.batch,
            headers: { ...envHeaders, ...options.headers },
            ...(options.logger === undefined ? {} : { logger: options.logger }),
            resource: {
              ...envResource,
              'service.name': this.serviceName,
              'telemetry.sdk.name': 'covet',
              'telemetry.sdk.language': 'nodejs',
              'telemetry.sdk.version': VERSION,
              'process.runtime.name': 'nodejs',
              'process.runtime.version': process.versions.node,
              'process.pid': process.pid,
              ...options.resourceAttributes,
            },
            scope: { name: 'covet', version: VERSION },
          });
    this.tracer = new Tracer({
      exporter: this.exporter,
      sampleRate: options.sampleRate ?? 1,
      useOpenTelemetry: options.useOpenTelemetry ?? true,
      scope: { name: 'covet', version: VERSION },
      ...(options.onSpanEnd === undefined ? {} : { onEnd: options.onSpanEnd }),
    });
    this.#responseHeaders = options.responseHeaders ?? true;
    setDefaultTracer(this.tracer);
    subscribeWeak('covet:request:error', this, (self, message) => self.#onRequestError(message as RequestErrorMessage));
    subscribeWeak('covet:app:lifecycle', this, (self, message) => {
      const m = message as AppLifecycleMessage;
      if (m.state === 'stopping' && self.exporter !== null) m.waitUntil(self.flush());
    });
  }

  /** An unhandled error of a request this middleware traces: recorded on its span (then a 500). */
  #onRequestError({ request, error }: RequestErrorMessage): void {
    const store = requestStore(request);
    if (store !== undefined && store.tracer === this.tracer) (store.span as ActiveSpan).recordException(error);
  }

  /** A recorded request span's name and fields (an unsampled one needs neither). */
  readonly #describe = (req: Request): HttpServerDescription => {
    const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
    const route = req.route?.path;
    const http: HttpServerFields = {
      method,
      path: req.path,
      scheme: req.raw !== null && (req.raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      route,
      userAgent: req.headers[kLowerGet]('user-agent') ?? undefined,
    };
    return { name: route === undefined ? method : this.#spanName(method, route), http };
  };

  handle(req: Request, callNext: CallNext): Response | Promise<Response> {
    const headers = req.headers;
    const traceparent = headers[kLowerGet]('traceparent');
    const parent = traceparent === null ? null : parseTraceparent(traceparent, headers[kLowerGet]('tracestate'));
    const span = this.tracer.startHttpServerSpan(parent, req, this.#describe);
    const { store, opened } = requestContextFor(req, { span, tracer: this.tracer });
    // The store to close when the request ends: only the one this middleware opened.
    const owned = opened ? store : null;
    // No closures on the way in or, for a synchronous answer, on the way out.
    let out: Response | Promise<Response>;
    try {
      out =
        span instanceof OtelBackedSpan
          ? span.run(() => runRequestContext(store, opened, callNext, req))
          : runRequestContext(store, opened, callNext as (req: Request) => Response | Promise<Response>, req);
    } catch (err) {
      return this.#fail(span, owned, err);
    }
    if (out instanceof Promise)
      return out.then(
        (response) => this.#end(span, owned, response),
        (err: unknown) => this.#fail(span, owned, err),
      );
    return this.#end(span, owned, out);
  }

  /** Records a failure from the layers inside on the request's span, ends it, and rethrows. */
  #fail(span: ActiveSpan, opened: ContextStore | null, err: unknown): never {
    span.recordException(err);
    this.#end(span, opened, undefined);
    throw err;
  }

  /** `METHOD /route/{template}`, made once per route and method. */
  #spanName(method: string, route: string): string {
    let byMethod = this.#names.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      if (this.#names.size < 4096) this.#names.set(route, byMethod);
    }
    let name = byMethod.get(method);
    if (name === undefined) {
      name = `${method} ${route}`;
      byMethod.set(method, name);
    }
    return name;
  }

  /** Records the status on the request's span, sends the trace context back, and ends the span. */
  #end(span: ActiveSpan, opened: ContextStore | null, response: Response): Response;
  #end(span: ActiveSpan, opened: ContextStore | null, response: undefined): undefined;
  #end(span: ActiveSpan, opened: ContextStore | null, response: Response | undefined): Response | undefined {
    if (opened !== null) closeRequestContext();
    const status = response?.status ?? 500;
    if (span instanceof HttpServerSpan) span.statusCode = status;
    else span.setAttribute('http.response.status_code', status);
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus('error');
    }
    if (response !== undefined && this.#responseHeaders) {
      const ctx = span.context;
      const made = span instanceof HttpServerSpan ? span.traceparent : null;
      response[kSetHeader]('traceparent', made ?? formatTraceparent(ctx));
      if (ctx.traceState !== '') response[kSetHeader]('tracestate', ctx.traceState);
    }
    span.end();
    return response;
  }

  /** What the exporter did so far (`exported`, `dropped`, `failedExports`). */
  get stats(): ExporterStats {
    return this.exporter?.stats ?? { exported: 0, dropped: 0, failedExports: 0 };
  }

  /** Sends every finished span now; resolves when the collector answered (or the export timed out). */
  async flush(): Promise<void> {
    await this.exporter?.flush();
  }
}

// Resolves to the `Response` from `callNext`: `compose` need not check it.
trustMiddleware(TracingMiddleware.prototype.handle);
