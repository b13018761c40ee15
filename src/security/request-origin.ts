import { isWebSocketUpgrade } from '../http/websocket/handshake.js';
import type { Request } from '../request.js';

/**
 * Whether `req` is a WebSocket opening handshake (`GET` with `Upgrade: websocket`, any case).
 * Browsers apply neither CORS nor preflights to these, yet send the site's cookies, so
 * `CORSMiddleware` and `CSRFProtection` check their `Origin` themselves.
 *
 * @example
 * if (isWebSocketHandshake(req) && !isSameHost(origin, req.headers.get('host'))) throw new HTTPException(403)
 */
export function isWebSocketHandshake(req: Request): boolean {
  return req.method === 'GET' && isWebSocketUpgrade({ upgrade: req.headers.get('upgrade') ?? undefined });
}

/**
 * Whether an origin (`scheme://host[:port]`) names the same host:port as the request's `Host`
 * header, ignoring case. The scheme is ignored: behind a proxy it is not reliably known.
 *
 * @example
 * isSameHost('http://127.0.0.1:8000', '127.0.0.1:8000') // true
 */
export function isSameHost(origin: string, host: string | null): boolean {
  if (host === null) return false;
  return origin.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '') === host.toLowerCase();
}
