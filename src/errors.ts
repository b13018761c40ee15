import { STATUS_CODES } from 'node:http';

/** Options common to Covet's errors. */
export interface CovetErrorOptions {
  /** A stable, machine-readable code such as `ERR_BODY_TOO_LARGE`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/**
 * The base class of every error Covet throws on purpose; `code` is stable across releases.
 *
 * @example
 * try { router.add('GET', 'nope', h) } catch (e) { if (e instanceof CovetError) console.log(e.code) }
 */
export class CovetError extends Error {
  readonly code: string;

  constructor(message: string, options: CovetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'ERR_COVET';
  }
}

/** Options of `HTTPException`. */
export interface HTTPExceptionOptions extends CovetErrorOptions {
  /** Headers to send with the error response (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra JSON data sent as `detail` next to `error`. */
  readonly detail?: unknown;
  /** Replaces the whole JSON body (`{"error": message}` by default). */
  readonly body?: unknown;
}

/**
 * Throw from a handler, dependency or middleware to answer with an HTTP error; the client sees
 * `{"error": message}` (plus `detail` when given) with `status`.
 *
 * @example
 * throw new HTTPException(404, 'User not found') // → 404 {"error":"User not found"}
 */
export class HTTPException extends CovetError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly detail: unknown;
  readonly body: unknown;

  constructor(status: number, message?: string, options: HTTPExceptionOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HTTPException status must be an integer from 400 to 599, got ${status}`);
    }
    super(message ?? STATUS_CODES[status] ?? 'Error', { code: options.code ?? `ERR_HTTP_${status}`, cause: options.cause });
    this.status = status;
    this.headers = options.headers;
    this.detail = options.detail;
    this.body = options.body;
  }

  /** The JSON body sent to the client. */
  toJSON(): unknown {
    if (this.body !== undefined) return this.body;
    return this.detail === undefined ? { error: this.message } : { error: this.message, detail: this.detail };
  }
}
