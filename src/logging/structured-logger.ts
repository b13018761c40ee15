import { performance } from 'node:perf_hooks';
import { kLowerGet } from '../http/headers.js';
import { setOwn } from '../internal/own-field.js';
import { randomUuid } from '../internal/random-hex.js';
import {
  type ContextStore,
  closeRequestContext,
  contextStorage,
  currentContext,
  peekContext,
  requestContextFor,
  requestStore,
  runRequestContext,
} from '../internal/request-context.js';
import { trustMiddleware } from '../internal/trusted-middleware.js';
import type { Request } from '../request.js';
import { kSetHeader, type Response } from '../response.js';
import type { CallNext, MiddlewareFunction } from '../types.js';
import { requestCorrelationId } from './correlation-id.js';
import { type DeferredLine, LineWriter, type LogDestination } from './log-destination.js';
import { LEVEL_VALUES, type LogLevel, type LogLevelInput, parseLevel } from './log-level.js';
import { type RedactOptions, Redactor } from './redact.js';
import { isoAt, type RequestLineFields, type RequestLineFormat, requestLineFormat } from './request-line-format.js';

/** Fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Options of `StructuredLogger`. */
export interface StructuredLoggerOptions {
  /** Lowest level written. Default: `LOG_LEVEL` from the environment, else `INFO`. */
  readonly level?: LogLevelInput;
  /** `json` (one JSON object per line) or `pretty` (for people; colored on a TTY). Default `json`. */
  readonly format?: 'json' | 'pretty';
  /**
   * Manage correlation ids: `logger.middleware()` reads `X-Correlation-ID`/`X-Request-ID` (or
   * makes one), puts it in the context of everything logged for the request, and echoes it.
   * Default `true`.
   */
  readonly correlationId?: boolean;
  /** Add `durationMs` to request lines (the seed's `performance_tracking`). Default `true`. */
  readonly performanceTracking?: boolean;
  /** Where lines go. Default `process.stdout`. */
  readonly destination?: LogDestination;
  /** A `logger` field on every line. Default none. */
  readonly name?: string;
  /** Fields on every line. */
  readonly fields?: LogFields;
  /** Extra secret field names and patterns (the built-in list always applies). */
  readonly redact?: RedactOptions;
  /** Queued bytes past which lines are dropped (and counted) while the destination is slow. Default 8 MiB. */
  readonly maxBufferBytes?: number;
  /** Longest a line waits before it is written, in ms (lines are written in batches). Default 5; 0 writes every event-loop turn. */
  readonly flushInterval?: number;
}

/** Options of `logger.middleware()`. */
export interface RequestLoggingOptions {
  /** Also log "Request started" when a request comes in. Default `false` (one line per request). */
  readonly logStart?: boolean;
  /** Route templates not to log (health probes, say). Default none. */
  readonly exclude?: readonly string[];
}

interface Shared {
  readonly writer: LineWriter;
  readonly redactor: Redactor;
  readonly pretty: boolean;
  readonly colors: boolean;
}

/** Adds `source`'s fields to a line, redacted; a field named like a reserved one gets a `_` prefix. */
function copyFields(line: Record<string, unknown>, source: LogFields, r: Redactor): void {
  for (const key in source) {
    const target = RESERVED.has(key) ? `_${key}` : key;
    const clean = r.isSecretKey(key) ? r.censor : r.value(source[key]);
    if (clean !== undefined) setOwn(line, target, clean);
  }
}

/** The current time in ISO 8601. */
const isoNow = (): string => isoAt(Date.now());

/**
 * One request of `logger.middleware()`: what the middleware keeps while the request runs, then
 * its request line — its fields now, its text when its batch is written.
 */
class RequestLine implements DeferredLine, RequestLineFields {
  readonly format: RequestLineFormat | null;
  readonly start: number;
  readonly id: string | undefined;
  readonly generatedId: boolean;
  /** The request's own log fields (an outer context's and its correlation id). */
  readonly context: LogFields | undefined;
  /** The request and the layers inside, and the store this middleware opened (to close at the end), if it did. */
  req: Request | null;
  readonly callNext: CallNext;
  opened: ContextStore | null = null;
  time = 0;
  level: LogLevel = 'INFO';
  message = '';
  method = '';
  path = '';
  route: string | undefined = undefined;
  status = 0;
  durationMs: number | undefined = undefined;
  userAgentJson: string | undefined = undefined;

  constructor(
    format: RequestLineFormat | null,
    start: number,
    id: string | undefined,
    generatedId: boolean,
    context: LogFields | undefined,
    req: Request,
    callNext: CallNext,
  ) {
    this.format = format;
    this.req = req;
    this.start = start;
    this.id = id;
    this.generatedId = generatedId;
    this.context = context;
    this.callNext = callNext;
  }

  toLine(): string {
    return (this.format as RequestLineFormat).text(this);
  }

  writeTo(buf: Buffer, at: number): number {
    return (this.format as RequestLineFormat).write(this, buf, at);
  }
}

/** Milliseconds since `start`, to the microsecond. */
const elapsed = (start: number): number => Math.round((performance.now() - start) * 1000) / 1000;

/** Handed from `child()` to the constructor it calls (not an option users could pass). */
let inherited: Shared | undefined;

const RESERVED = new Set(['timestamp', 'level', 'message', 'logger']);
const COLORS: Readonly<Record<LogLevel, string>> = {
  DEBUG: '\x1b[90m',
  INFO: '\x1b[32m',
  WARNING: '\x1b[33m',
  ERROR: '\x1b[31m',
  CRITICAL: '\x1b[35m',
};

/** The seed passes fields as `extra={...}`; `{ extra: {...} }` alone is read as those fields. */
function unwrapExtra(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined || fields === null) return undefined;
  // `logger.error('Payment failed', err)`: the error is the line's `error` field, not its own
  // (non-enumerable) properties, which would leave nothing of it.
  if (fields instanceof Error) return { error: fields };
  const extra = fields.extra;
  if (extra === undefined || typeof extra !== 'object' || extra === null || Array.isArray(extra)) return fields;
  for (const key in fields) if (key !== 'extra') return fields;
  return extra as LogFields;
}

/**
 * What must not reach a terminal as it is: C0 and C1 control characters (line breaks, escape
 * sequences), DEL, the Unicode line and paragraph separators, and the bidirectional overrides
 * and isolates, which reorder what follows on screen.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Those of them that `JSON.stringify` leaves as they are. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with every unsafe character escaped (`\n`, `\u001b`, `\u2028`…): still valid JSON. */
function safeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A message (or logger name, or key) as the pretty format writes it: as it is, unless it holds
 * a line break or another control character — or starts with `"` — when it is written as a
 * JSON string, so one call is always one line and a forged line or escape sequence shows as text.
 */
function prettyText(s: string): string {
  return UNSAFE.test(s) || s.startsWith('"') ? safeJson(JSON.stringify(s)) : s;
}

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) && !UNSAFE.test(v) ? v : safeJson(JSON.stringify(v));
  const json = JSON.stringify(v);
  return json === undefined ? prettyText(String(v)) : safeJson(json);
}

/**
 * Structured logging: JSON lines (or a pretty format), levels, per-request context through
 * `AsyncLocalStorage`, correlation ids, redaction of secrets, and output that never blocks the
 * caller (lines are written in batches once per event-loop turn). It also fits `CovetApp`'s
 * `logger` option, so the app's own error lines come out structured and correlated.
 *
 * @example
 * const logger = new StructuredLogger({ level: 'INFO', format: 'json', correlationId: true });
 * app.addMiddleware(logger.middleware());
 * logger.info('User created', { userId: 42 });
 */
export class StructuredLogger {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  readonly #threshold: number;
  readonly #shared: Shared;
  readonly #base: LogFields;
  readonly #name: string | undefined;
  readonly #correlation: boolean;
  readonly #performance: boolean;

  constructor(options: StructuredLoggerOptions = {}) {
    const shared = inherited;
    inherited = undefined;
    this.level = parseLevel(options.level ?? process.env.LOG_LEVEL ?? 'INFO');
    this.#threshold = LEVEL_VALUES[this.level];
    this.format = options.format ?? 'json';
    if (this.format !== 'json' && this.format !== 'pretty') throw new RangeError(`Unknown log format ${JSON.stringify(this.format)}`);
    this.#name = options.name;
    this.#correlation = options.correlationId ?? true;
    this.#performance = options.performanceTracking ?? true;
    const dest = options.destination ?? process.stdout;
    const writer = shared?.writer ?? new LineWriter(dest, options.maxBufferBytes, options.flushInterval);
    this.#shared = shared ?? {
      writer,
      redactor: new Redactor(options.redact),
      pretty: this.format === 'pretty',
      colors: this.format === 'pretty' && writer.isTTY && !process.env.NO_COLOR,
    };
    this.#base = options.fields ?? {};
  }

  /** Whether a line of `level` would be written. */
  isEnabled(level: LogLevelInput): boolean {
    return LEVEL_VALUES[parseLevel(level)] >= this.#threshold;
  }

  /** Writes a line at `level`. */
  log(level: LogLevelInput, message: string, fields?: LogFields): void {
    const lvl = parseLevel(level);
    if (LEVEL_VALUES[lvl] < this.#threshold) return;
    this.#write(lvl, message, unwrapExtra(fields));
  }

  debug(message: string, fields?: LogFields): void {
    if (10 >= this.#threshold) this.#write('DEBUG', message, unwrapExtra(fields));
  }

  info(message: string, fields?: LogFields): void {
    if (20 >= this.#threshold) this.#write('INFO', message, unwrapExtra(fields));
  }

  warning(message: string, fields?: LogFields): void {
    if (30 >= this.#threshold) this.#write('WARNING', message, unwrapExtra(fields));
  }

  /** Same as `warning`. */
  warn(message: string, fields?: LogFields): void {
    this.warning(message, fields);
  }

  error(message: string, fields?: LogFields): void {
    if (40 >= this.#threshold) this.#write('ERROR', message, unwrapExtra(fields));
  }

  critical(message: string, fields?: LogFields): void {
    if (50 >= this.#threshold) this.#write('CRITICAL', message, unwrapExtra(fields));
  }

  /** An `ERROR` line with an error's type, message and stack under `error`. */
  exception(message: string, error: unknown, fields?: LogFields): void {
    this.error(message, { ...unwrapExtra(fields), error });
  }

  #write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    this.#writeIn(currentContext()?.log, level, message, fields);
  }

  /** Writes a line with `context`'s fields (the current context's, for most lines). */
  #writeIn(context: LogFields | undefined, level: LogLevel, message: string, fields: LogFields | undefined): void {
    const shared = this.#shared;
    const r = shared.redactor;
    const line: Record<string, unknown> = { timestamp: isoNow(), level };
    if (this.#name !== undefined) line.logger = this.#name;
    line.message = r.text(String(message));
    copyFields(line, this.#base, r);
    if (context !== undefined) copyFields(line, context, r);
    if (fields !== undefined) copyFields(line, fields, r);
    shared.writer.write(shared.pretty ? this.#pretty(line) : `${JSON.stringify(line)}\n`);
  }

  #pretty(line: Record<string, unknown>): string {
    const { timestamp, level, message, logger, ...rest } = line;
    const lvl = String(level).padEnd(8);
    const head = this.#shared.colors ? `${COLORS[level as LogLevel]}${lvl}\x1b[0m` : lvl;
    const tail = Object.entries(rest)
      .map(([k, v]) => `${prettyText(k)}=${prettyValue(v)}`)
      .join(' ');
    return `${timestamp} ${head} ${logger === undefined ? '' : `[${prettyText(String(logger))}] `}${prettyText(String(message))}${tail === '' ? '' : ` ${tail}`}\n`;
  }

  /**
   * Runs `fn` with `fields` on every line it logs, through `await`s and callbacks (nested
   * contexts add up). Returns what `fn` returns.
   *
   * @example
   * await logger.context({ correlationId, endpoint: req.url.path }, async () => { logger.info('Request started'); });
   */
  context<T>(fields: LogFields, fn: () => T): T {
    const outer = currentContext();
    const log = outer?.log === undefined ? { ...fields } : { ...outer.log, ...fields };
    return contextStorage.run({ request: outer?.request, span: outer?.span, tracer: outer?.tracer, log }, fn);
  }

  /** The fields of the current context. */
  currentContext(): LogFields {
    return currentContext()?.log ?? {};
  }

  /** A logger that adds `fields` to every line (same output, level and context). */
  child(fields: LogFields): StructuredLogger {
    // A child shares the parent's writer, redactor and context storage.
    inherited = this.#shared;
    return new StructuredLogger({
      level: this.level,
      format: this.format,
      correlationId: this.#correlation,
      performanceTracking: this.#performance,
      fields: { ...this.#base, ...fields },
      ...(this.#name === undefined ? {} : { name: this.#name }),
    });
  }

  /** Lines dropped because the destination could not keep up. */
  get droppedLines(): number {
    return this.#shared.writer.dropped;
  }

  /** Resolves when every line logged so far has been handed to the destination. */
  flush(): Promise<void> {
    return this.#shared.writer.flush();
  }

  /**
   * Request logging: one line per request (`Request completed`, or `Request failed` at
   * `ERROR` for 5xx) with method, path, route template, status and `durationMs`; everything
   * logged while handling the request carries its `correlationId`, taken from
   * `X-Correlation-ID` or `X-Request-ID` (or generated) and echoed on the response in both
   * headers; also in `req.state.correlationId`.
   *
   * @example
   * app.addMiddleware(logger.middleware())
   */
  middleware(options: RequestLoggingOptions = {}): MiddlewareFunction {
    const shared = this.#shared;
    const logStart = options.logStart ?? false;
    const exclude = new Set(options.exclude ?? []);
    const correlation = this.#correlation;
    const timing = this.#performance;
    const lineOf = this.#requestLineWriter();
    // The user agent repeats from request to request: remember the last one's redacted JSON.
    let lastAgent = '';
    let lastAgentClean = '';
    const agentOf = (req: Request): string | undefined => {
      const agent = req.headers[kLowerGet]('user-agent');
      if (agent === null) return undefined;
      if (agent !== lastAgent) {
        lastAgent = agent;
        lastAgentClean = JSON.stringify(shared.redactor.text(agent));
      }
      return lastAgentClean;
    };
    const requestFields = (req: Request, extra: LogFields): LogFields => ({
      method: req.method,
      path: req.path,
      route: req.route?.path,
      ...extra,
    });
    // Functions made once, not per request: each request's state is its `RequestLine`.
    const finish = (line: RequestLine, response: Response): Response => {
      const req = line.req as Request;
      // A queued line must not keep its request (and Node's request and response) alive.
      line.req = null;
      if (line.opened !== null) closeRequestContext();
      const status = response.status;
      const durationMs = timing ? elapsed(line.start) : undefined;
      const level: LogLevel = status >= 500 ? 'ERROR' : 'INFO';
      const message = status >= 500 ? 'Request failed' : 'Request completed';
      if (LEVEL_VALUES[level] >= this.#threshold) {
        // The shortcut line holds nothing but the correlation id as context.
        if (line.format !== null) {
          line.time = Date.now();
          line.level = level;
          line.message = message;
          line.method = req.method;
          line.path = req.path;
          line.route = req.route?.path;
          line.status = status;
          line.durationMs = durationMs;
          line.userAgentJson = agentOf(req);
          shared.writer.writeDeferred(line);
        } else
          this.#writeIn(
            line.context,
            level,
            message,
            requestFields(req, { status, durationMs, userAgent: req.headers.get('user-agent') ?? undefined }),
          );
      }
      const id = line.id;
      if (id !== undefined) {
        response[kSetHeader]('x-correlation-id', id);
        response[kSetHeader]('x-request-id', id);
      }
      return response;
    };
    const fail = (line: RequestLine, err: unknown): never => {
      const req = line.req as Request;
      line.req = null;
      if (line.opened !== null) closeRequestContext();
      if (LEVEL_VALUES.ERROR >= this.#threshold)
        this.#writeIn(
          line.context,
          'ERROR',
          'Request failed',
          requestFields(req, { error: err, durationMs: timing ? elapsed(line.start) : undefined }),
        );
      throw err;
    };
    const proceed = (line: RequestLine): Response | Promise<Response> => {
      const req = line.req as Request;
      if (logStart && LEVEL_VALUES.INFO >= this.#threshold)
        this.#writeIn(
          line.context,
          'INFO',
          'Request started',
          requestFields(req, { userAgent: req.headers.get('user-agent') ?? undefined }),
        );
      let out: Response | Promise<Response>;
      try {
        out = line.callNext(req);
      } catch (err) {
        return fail(line, err);
      }
      return out instanceof Promise
        ? out.then(
            (response) => finish(line, response),
            (err: unknown) => fail(line, err),
          )
        : finish(line, out);
    };
    // Resolves to the `Response` from `callNext`: `compose` need not check it.
    return trustMiddleware(function requestLogging(req: Request, callNext: CallNext): Response | Promise<Response> {
      if (req.route !== null && exclude.has(req.route.path)) return callNext(req);
      const fromClient = correlation ? requestCorrelationId(req.headers) : undefined;
      const id = correlation ? (fromClient ?? randomUuid()) : undefined;
      if (id !== undefined) req.state.correlationId = id;
      // The context of this request's lines: an outer `logger.context`'s fields and its id.
      const outer = (requestStore(req) ?? peekContext())?.log;
      const context: LogFields | undefined =
        id === undefined ? outer : outer === undefined ? { correlationId: id } : { ...outer, correlationId: id };
      const line = new RequestLine(
        outer === undefined ? lineOf : null,
        performance.now(),
        id,
        fromClient === undefined,
        context,
        req,
        callNext,
      );
      if (id === undefined) return proceed(line);
      const open = requestContextFor(req, { log: context });
      if (open.opened) line.opened = open.store;
      return runRequestContext(open.store, open.opened, proceed, line);
    });
  }

  /**
   * The request line written by hand instead of through `#write` — same keys, order and
   * redaction — when nothing but the request's own context and fields goes in it; `null` when
   * base fields, a pretty format or a secret-named field rule out the shortcut.
   */
  #requestLineWriter(): RequestLineFormat | null {
    const shared = this.#shared;
    const r = shared.redactor;
    if (shared.pretty) return null;
    if (Object.keys(this.#base).length > 0) return null;
    for (const key of ['correlationId', 'method', 'path', 'route', 'status', 'durationMs', 'userAgent'])
      if (r.isSecretKey(key)) return null;
    return requestLineFormat(this.#name, r);
  }
}
