import { randomBytes } from 'node:crypto';
import type { Request } from '../request.js';
import { scrubHeaders, scrubQuery } from './scrub.js';

/** Sentry's severity levels. */
export type SentryLevel = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

/** One stack frame, oldest call first (Sentry's order). */
export interface SentryFrame {
  readonly filename: string;
  readonly function: string;
  readonly lineno?: number;
  readonly colno?: number;
  readonly in_app: boolean;
}

/** One exception of a chain (`cause` first, the thrown error last). */
export interface SentryException {
  readonly type: string;
  readonly value: string;
  readonly stacktrace?: { readonly frames: readonly SentryFrame[] };
  readonly mechanism?: { readonly type: string; readonly handled: boolean };
}

/** The request context of an event, scrubbed. */
export interface SentryRequest {
  readonly method: string;
  readonly url: string;
  readonly query_string: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A Sentry event payload (the subset Covet sends). */
export interface SentryEvent {
  event_id: string;
  timestamp: number;
  platform: 'node';
  level: SentryLevel;
  logger?: string;
  environment?: string;
  release?: string;
  server_name?: string;
  message?: { formatted: string };
  exception?: { values: SentryException[] };
  request?: SentryRequest;
  transaction?: string;
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
  user?: Record<string, unknown>;
  contexts?: Record<string, Record<string, unknown>>;
  sdk: { name: string; version: string };
  type?: 'transaction';
  start_timestamp?: number;
  spans?: unknown[];
  transaction_info?: { source: string };
}

/** A new event id: 32 hex digits. */
export function newEventId(): string {
  return randomBytes(16).toString('hex');
}

const FRAME = /^\s*at (?:(.+?) \()?(.*?):(\d+):(\d+)\)?\s*$/;
const FRAME_NO_POSITION = /^\s*at (?:(.+?) \()?(.+?)\)?\s*$/;

/** V8 stack lines as Sentry frames, oldest call first (at most 50). */
export function parseStack(stack: string | undefined): SentryFrame[] {
  if (stack === undefined) return [];
  const frames: SentryFrame[] = [];
  for (const line of stack.split('\n')) {
    if (!/^\s*at /.test(line)) continue;
    const m = FRAME.exec(line);
    if (m !== null) {
      // `at async file:///app.js:3:5`: an anonymous async frame; the keyword is not part of the file.
      const location = m[1] === undefined ? (m[2] ?? '').replace(/^async /, '') : (m[2] ?? '');
      const filename = location.replace(/^file:\/\//, '');
      frames.push({
        filename,
        function: m[1] ?? '<anonymous>',
        lineno: Number(m[3]),
        colno: Number(m[4]),
        in_app: !filename.startsWith('node:') && !filename.includes('/node_modules/') && filename !== 'native',
      });
    } else {
      const n = FRAME_NO_POSITION.exec(line);
      if (n !== null) frames.push({ filename: n[2] ?? '<unknown>', function: n[1] ?? '<anonymous>', in_app: false });
    }
    if (frames.length >= 50) break;
  }
  return frames.reverse();
}

/**
 * What was thrown when it is not an `Error`: an error-like object (a `message` text, from
 * another realm or a library) by its name and message, any other object by its keys, as
 * Sentry's SDKs write it — never by calling a `toString` it may not have.
 */
function nonErrorException(thrown: unknown): Pick<SentryException, 'type' | 'value' | 'stacktrace'> {
  if (typeof thrown === 'string') return { type: 'Error', value: thrown };
  if (typeof thrown !== 'object' || thrown === null) return { type: typeof thrown, value: String(thrown) };
  try {
    const { message, name, stack } = thrown as { message?: unknown; name?: unknown; stack?: unknown };
    if (typeof message === 'string') {
      const frames = parseStack(typeof stack === 'string' ? stack : undefined);
      return { type: typeof name === 'string' && name !== '' ? name : 'Error', value: message, ...(frames.length > 0 ? { stacktrace: { frames } } : {}) };
    }
    const keys = Object.keys(thrown).sort();
    return { type: 'Error', value: `Object captured as exception with keys: ${keys.length === 0 ? '[object has no keys]' : keys.join(', ')}` };
  } catch {
    return { type: 'Error', value: 'Object captured as exception' };
  }
}

/** An error and its `cause` chain (at most 5 deep), cause first, as Sentry wants them. */
export function exceptionValues(error: unknown, handled: boolean): SentryException[] {
  const chain: SentryException[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const frames = parseStack(current.stack);
      chain.push({
        type: current.name || 'Error',
        value: current.message,
        ...(frames.length > 0 ? { stacktrace: { frames } } : {}),
        mechanism: { type: depth === 0 ? (handled ? 'generic' : 'covet') : 'chained', handled },
      });
      current = current.cause;
    } else {
      chain.push({ ...nonErrorException(current), mechanism: { type: 'generic', handled } });
      break;
    }
  }
  return chain.reverse();
}

/** The scrubbed request context of a Covet request: no cookies, no `Authorization`, no secret query values. */
export function requestContext(req: Request): SentryRequest {
  const host = req.headers.get('host') ?? 'localhost';
  const scheme = req.raw !== null && (req.raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const headers: [string, string][] = [];
  for (const [k, v] of req.headers) headers.push([k, v]);
  return {
    method: req.method,
    url: `${scheme}://${host}${req.path}`,
    query_string: scrubQuery(req.url.query),
    headers: scrubHeaders(headers),
  };
}

/** Sentry's transaction status for an HTTP status. */
export function spanStatus(status: number): string {
  if (status < 400) return 'ok';
  const known: Readonly<Record<number, string>> = {
    400: 'invalid_argument',
    401: 'unauthenticated',
    403: 'permission_denied',
    404: 'not_found',
    409: 'already_exists',
    429: 'resource_exhausted',
    499: 'cancelled',
    501: 'unimplemented',
    503: 'unavailable',
    504: 'deadline_exceeded',
  };
  return known[status] ?? (status >= 500 ? 'internal_error' : 'unknown_error');
}
