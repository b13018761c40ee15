import type { SessionStore } from './session.js';

/** Options of `MemorySessionStore`. */
export interface MemorySessionStoreOptions {
  /** Seconds between sweeps that drop expired sessions (done while saving). Default 60. */
  readonly sweepInterval?: number;
}

interface Entry {
  readonly json: string;
  expires: number;
}

/**
 * Sessions in this process's memory, with TTL expiry: for development, tests and
 * single-process apps (sessions are lost on restart and not shared between workers — use
 * `RedisSessionStore` or `DatabaseSessionStore` there). Data is kept as JSON, so a handler
 * never mutates a stored session by accident.
 *
 * @example
 * app.addMiddleware(new SessionMiddleware({ secretKey, store: new MemorySessionStore() }));
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  readonly #sweepMs: number;
  #nextSweep: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    const interval = options.sweepInterval ?? 60;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError('MemorySessionStore sweepInterval must be a non-negative number of seconds');
    }
    this.#sweepMs = interval * 1000;
    this.#nextSweep = Date.now() + this.#sweepMs;
  }

  /** Sessions held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Record<string, unknown> | null {
    const entry = this.#live(id);
    return entry === null ? null : (JSON.parse(entry.json) as Record<string, unknown>);
  }

  set(id: string, data: Readonly<Record<string, unknown>>, ttlSeconds: number): void {
    const now = Date.now();
    if (now >= this.#nextSweep) this.sweep();
    this.#entries.set(id, { json: JSON.stringify(data), expires: now + ttlSeconds * 1000 });
  }

  destroy(id: string): void {
    this.#entries.delete(id);
  }

  touch(id: string, ttlSeconds: number): void {
    const entry = this.#live(id);
    if (entry !== null) entry.expires = Date.now() + ttlSeconds * 1000;
  }

  /** Drops every expired session now. */
  sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(id);
    this.#nextSweep = now + this.#sweepMs;
  }

  /** Drops every session. */
  clear(): void {
    this.#entries.clear();
  }

  #live(id: string): Entry | null {
    const entry = this.#entries.get(id);
    if (entry === undefined) return null;
    if (entry.expires <= Date.now()) {
      this.#entries.delete(id);
      return null;
    }
    return entry;
  }
}
