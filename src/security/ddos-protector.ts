import { CovetError } from '../errors.js';
import type { Request } from '../request.js';
import { Response } from '../response.js';
import type { CallNext, MiddlewareObject } from '../types.js';
import { clientIp, IPSet, normalizeIp } from './rate-limiter-ip.js';

/** Options of `DDoSProtector` (the seed's `threshold=…`, `block_duration=…`, `whitelist=…`). */
export interface DDoSProtectorOptions {
  /** Requests per second one IP may make before it is blocked. Default 1000. */
  readonly threshold?: number;
  /** Seconds an IP stays blocked once over the threshold. Default 300. */
  readonly blockDuration?: number;
  /** IPs and CIDR ranges (IPv4 and IPv6) never limited or blocked. Default none. */
  readonly whitelist?: readonly string[];
  /**
   * IPs and CIDR ranges of the reverse proxies in front of the app. A request whose TCP peer is
   * one of them is counted against the client `X-Forwarded-For` names (read right to left, as
   * `RateLimiter` reads it), not against the proxy, which would otherwise be blocked for every
   * client behind it; `attach` does not cap their connections. From any other peer the header is
   * ignored. Default none: every request counts against its TCP peer.
   */
  readonly trustedProxies?: readonly string[];
  /** Open connections one IP may hold on a server passed to `attach`; extra sockets are destroyed. Default unlimited. */
  readonly maxConnectionsPerIp?: number;
  /** Most IPs tracked at once; the oldest entries are dropped past it (bounds memory under a spoofed-source flood). Default 100 000. */
  readonly maxTracked?: number;
  /** Clock in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** What `attach` needs from a server: Node's `net.Server`/`http.Server` fits. */
export interface ConnectionSource {
  on(event: 'connection', listener: (socket: SocketLike) => void): unknown;
}

/** The part of a socket `attach` uses. */
export interface SocketLike {
  readonly remoteAddress?: string | undefined;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

interface Entry {
  // A fixed one-second window opened by the IP's first request: its requests and its end.
  count: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/**
 * Per-IP flood protection: an IP making more than `threshold` requests within one second (a
 * window opened by its first request, as `RateLimiter` counts) is blocked for `blockDuration`
 * seconds (every request refused, even the ones under the rate). Whitelisted ranges are never
 * touched. `attach(server)` also caps open connections per IP.
 *
 * @example
 * const ddosProtector = new DDoSProtector({ threshold: 1000, blockDuration: 300, whitelist: ['192.168.1.0/24'] });
 * app.addMiddleware(ddosProtector);                       // or: if (!ddosProtector.allowRequest(req.client.host)) …
 */
export class DDoSProtector implements MiddlewareObject {
  readonly #threshold: number;
  readonly #blockMs: number;
  readonly #whitelist: IPSet;
  readonly #trusted: IPSet;
  readonly #maxConnections: number;
  readonly #maxTracked: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #connections = new Map<string, number>();

  constructor(options: DDoSProtectorOptions = {}) {
    const threshold = options.threshold ?? 1000;
    const blockDuration = options.blockDuration ?? 300;
    const maxConnections = options.maxConnectionsPerIp ?? Number.POSITIVE_INFINITY;
    if (!(threshold > 0) || !Number.isFinite(threshold))
      throw new CovetError('threshold must be a positive number of requests per second', { code: 'ERR_DDOS_OPTIONS' });
    if (!(blockDuration >= 0)) throw new CovetError('blockDuration must be a non-negative number of seconds', { code: 'ERR_DDOS_OPTIONS' });
    if (!(maxConnections >= 1)) throw new CovetError('maxConnectionsPerIp must be at least 1', { code: 'ERR_DDOS_OPTIONS' });
    this.#threshold = threshold;
    this.#blockMs = blockDuration * 1000;
    this.#whitelist = new IPSet(options.whitelist ?? []);
    this.#trusted = new IPSet(options.trustedProxies ?? []);
    this.#maxConnections = maxConnections;
    this.#maxTracked = options.maxTracked ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts a request from `ip`; `false` when the IP is (now) blocked. Synchronous; `await` on it
   * works as in the seed.
   */
  allowRequest(ip: string): boolean {
    const addr = normalizeIp(ip);
    if (this.#whitelist.has(addr)) return true;
    const now = this.#now();
    let entry = this.#entries.get(addr);
    if (entry === undefined) {
      if (this.#entries.size >= this.#maxTracked) this.#evict(now);
      entry = { count: 0, windowEndsAt: 0, blockedUntil: 0 };
      this.#entries.set(addr, entry);
    }
    if (entry.blockedUntil > now) return false;
    if (entry.windowEndsAt <= now) {
      entry.count = 0;
      entry.windowEndsAt = now + 1000;
    }
    if (++entry.count > this.#threshold) {
      entry.blockedUntil = now + this.#blockMs;
      entry.count = 0;
      entry.windowEndsAt = 0;
      return false;
    }
    return true;
  }

  /** Whether `ip` is blocked right now. */
  isBlocked(ip: string): boolean {
    const entry = this.#entries.get(normalizeIp(ip));
    return entry !== undefined && entry.blockedUntil > this.#now();
  }

  /** Seconds left on `ip`'s block (0 when not blocked). */
  blockedFor(ip: string): number {
    const entry = this.#entries.get(normalizeIp(ip));
    return entry === undefined ? 0 : Math.max(0, Math.ceil((entry.blockedUntil - this.#now()) / 1000));
  }

  /** Lifts a block and forgets the IP's count. */
  unblock(ip: string): void {
    this.#entries.delete(normalizeIp(ip));
  }

  /** Whether `ip` is in the whitelist. */
  isWhitelisted(ip: string): boolean {
    return this.#whitelist.has(ip);
  }

  /** Open connections from `ip` on attached servers. */
  connections(ip: string): number {
    return this.#connections.get(normalizeIp(ip)) ?? 0;
  }

  /**
   * Middleware form: 429 JSON (with `Retry-After`) for blocked IPs; the IP is the TCP peer, or
   * behind `trustedProxies` the client they forwarded for.
   */
  async handle(req: Request, callNext: CallNext): Promise<Response> {
    const ip = clientIp(req, this.#trusted);
    if (this.allowRequest(ip)) return callNext();
    const retry = Math.max(1, this.blockedFor(ip));
    return new Response(JSON.stringify({ error: 'Too Many Requests' }), {
      status: 429,
      headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retry) },
    });
  }

  /**
   * Enforces `maxConnectionsPerIp` (and drops connections from blocked IPs) on a listening
   * server, before any byte is parsed.
   *
   * @example
   * await app.listen({ port: 8000 }); ddosProtector.attach(app.server!);
   */
  attach(server: ConnectionSource): this {
    server.on('connection', (socket) => {
      const ip = normalizeIp(socket.remoteAddress ?? '');
      // A trusted proxy's connections carry many clients: they are counted per request instead.
      if (this.#whitelist.has(ip) || this.#trusted.has(ip)) return;
      const open = this.#connections.get(ip) ?? 0;
      if (open >= this.#maxConnections || this.isBlocked(ip)) {
        socket.destroy();
        return;
      }
      this.#connections.set(ip, open + 1);
      socket.once('close', () => {
        const left = (this.#connections.get(ip) ?? 1) - 1;
        if (left <= 0) this.#connections.delete(ip);
        else this.#connections.set(ip, left);
      });
    });
    return this;
  }

  // Drops entries that are neither blocked nor inside a window; if all are, the oldest inserted.
  #evict(now: number): void {
    for (const [ip, e] of this.#entries) if (e.blockedUntil <= now && e.windowEndsAt <= now) this.#entries.delete(ip);
    while (this.#entries.size >= this.#maxTracked) {
      const first = this.#entries.keys().next();
      if (first.done === true) break;
      this.#entries.delete(first.value);
    }
  }
}
