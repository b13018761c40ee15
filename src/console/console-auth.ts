import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HTTPException } from '../errors.js';
import type { Request } from '../request.js';

/** The cookie `?token=` sets. */
export const CONSOLE_COOKIE = 'covet_console';

/** How a console request is allowed in: `open` (debug mode without token), `token`, or `query` (set the cookie). */
export type ConsoleAccess = 'open' | 'token' | 'query';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Checks console requests against the token: `Authorization: Bearer <token>`, the cookie set
 * by a `?token=<token>` visit, or that query parameter itself. Comparisons are constant-time
 * (SHA-256 digests compared with `timingSafeEqual`); the cookie holds an HMAC of the token,
 * not the token. Without a token (debug mode) everyone is let in.
 *
 * @example
 * const auth = new ConsoleAuth('a-long-random-token-value');
 * auth.check(req); // 'token' | 'query', or throws a 401 HTTPException
 */
export class ConsoleAuth {
  readonly #token: Buffer | null;
  readonly #cookie: Buffer | null;
  /** The cookie value (an HMAC of the token), `null` without a token. */
  readonly cookieValue: string | null;

  constructor(token: string | null) {
    this.#token = token === null ? null : digest(token);
    this.cookieValue = token === null ? null : createHmac('sha256', token).update('covet-console-cookie').digest('base64url');
    this.#cookie = this.cookieValue === null ? null : digest(this.cookieValue);
  }

  /** How `req` may enter; throws 401 (`ERR_CONSOLE_UNAUTHORIZED`) when it may not. */
  check(req: Request): ConsoleAccess {
    if (this.#token === null || this.#cookie === null) return 'open';
    const authorization = req.headers.get('authorization');
    if (authorization !== null && /^bearer\s+/i.test(authorization)) {
      if (timingSafeEqual(digest(authorization.replace(/^bearer\s+/i, '').trim()), this.#token)) return 'token';
    }
    const cookie = req.cookies[CONSOLE_COOKIE];
    if (cookie !== undefined && timingSafeEqual(digest(cookie), this.#cookie)) return 'token';
    const query = req.queryParams.get('token');
    if (typeof query === 'string' && timingSafeEqual(digest(query), this.#token)) return 'query';
    throw new HTTPException(401, 'Unauthorized', {
      code: 'ERR_CONSOLE_UNAUTHORIZED',
      detail: 'The Covet Console needs its token: send "Authorization: Bearer <token>", or open the page once with ?token=<token>',
      headers: { 'www-authenticate': 'Bearer realm="Covet Console"', 'cache-control': 'no-store' },
    });
  }
}
