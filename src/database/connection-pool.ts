import { DatabaseConfig } from './database-config.js';
import { createDriver } from './drivers/create-driver.js';
import type { Dialect } from './drivers/dialect.js';
import type { Driver, DriverConnection } from './drivers/driver.js';
import { ConnectionError, PoolTimeoutError } from './errors.js';
import { PooledConnection } from './pooled-connection.js';

/** Options of `ConnectionPool`. Times are seconds, as in the seed. */
export interface ConnectionPoolOptions {
  /** Where to connect (`postgresql://…`, `mysql://…`, `sqlite:///…`); or give `config` or `driver`. */
  readonly databaseUrl?: string;
  readonly config?: DatabaseConfig;
  /** A driver (its `connect()` opens connections). */
  readonly driver?: Driver;
  /** Opens one connection (the seed's `connection_factory`); the dialect comes from `dialect`, `driver`, `config` or `databaseUrl`. */
  readonly connectionFactory?: () => Promise<DriverConnection>;
  readonly dialect?: Dialect;
  /** Connections opened by `open()` and kept however idle. Default 0. */
  readonly minConnections?: number;
  /** Most connections open at once. Default 10 (always 1 for SQLite: its driver is synchronous). */
  readonly maxConnections?: number;
  /**
   * Most idle connections kept (`poolSize`); ones above it (the overflow) are closed once they
   * have been idle for `overflowTimeout`. Default `maxConnections`.
   */
  readonly maxIdle?: number;
  /**
   * Seconds an idle connection above `maxIdle` stays open. Default 1: long enough that a steady
   * load does not open and close a connection per request (a TLS or SCRAM login is costly).
   */
  readonly overflowTimeout?: number;
  /** Seconds before an idle connection above `minConnections` is closed. Default 300. */
  readonly idleTimeout?: number;
  /** Seconds `acquire()` waits before a `PoolTimeoutError`. Default 30. */
  readonly acquireTimeout?: number;
}

/** Counters for tests and metrics. */
export interface PoolStats {
  /** Open connections (idle + in use), including ones being opened. */
  readonly size: number;
  readonly idle: number;
  readonly inUse: number;
  /** `acquire()` calls waiting for a connection. */
  readonly waiting: number;
}

interface Waiter {
  resolve(conn: DriverConnection): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

/** Internal lease/return used by `DatabaseManager` (no wrapper object on the hot path). */
export const kLease = Symbol('covet.pool.lease');
export const kReturn = Symbol('covet.pool.return');
/** An idle connection right now, or null (nobody waiting, none idle): no promise, no event-loop turn. */
export const kTryLease = Symbol('covet.pool.tryLease');
/** An idle connection to use synchronously in place (see `[kPeekSync]`). */
export const kPeekSync = Symbol('covet.pool.peekSync');

/**
 * A pool of database connections: at most `maxConnections` open, `minConnections` kept,
 * idle ones closed after `idleTimeout`; callers beyond the limit wait in order (FIFO) up to
 * `acquireTimeout`, then get a `PoolTimeoutError`. A connection that broke (server restart,
 * network) is dropped on release and a fresh one opened on demand.
 *
 * @example
 * const pool = new ConnectionPool({ databaseUrl: 'postgresql://user:pass@localhost/db', minConnections: 5, maxConnections: 50, idleTimeout: 300 });
 * const users = await pool.withConnection((conn) => conn.fetch('SELECT * FROM users'));
 * await using conn = await pool.acquire(); // released at the end of the scope (or conn.release())
 */
export class ConnectionPool {
  readonly dialect: Dialect;
  readonly minConnections: number;
  readonly maxConnections: number;
  readonly maxIdle: number;
  readonly overflowTimeout: number;
  readonly idleTimeout: number;
  readonly acquireTimeout: number;
  readonly #connect: () => Promise<DriverConnection>;
  readonly #idle: { conn: DriverConnection; since: number }[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #inUse = new Set<DriverConnection>();
  /** Connections given back inside a transaction, being rolled back before reuse. */
  readonly #resetting = new Set<DriverConnection>();
  #size = 0;
  #closed = false;
  #reaper: NodeJS.Timeout | null = null;

  constructor(options: ConnectionPoolOptions = {}) {
    const config = options.config ?? (options.databaseUrl === undefined ? undefined : DatabaseConfig.fromUrl(options.databaseUrl));
    const driver = options.driver ?? (config === undefined ? undefined : createDriver(config));
    const dialect = options.dialect ?? driver?.dialect;
    if (dialect === undefined) throw new TypeError('ConnectionPool needs databaseUrl, config, driver, or connectionFactory with dialect');
    const factory = options.connectionFactory ?? (driver === undefined ? undefined : () => driver.connect());
    if (factory === undefined) throw new TypeError('ConnectionPool needs databaseUrl, config, driver or connectionFactory');
    this.dialect = dialect;
    this.#connect = factory;
    const int = (name: string, v: number | undefined, d: number, min: number): number => {
      const value = v ?? d;
      if (!Number.isInteger(value) || value < min)
        throw new RangeError(`ConnectionPool ${name} must be an integer ≥ ${min}, got ${String(v)}`);
      return value;
    };
    const max = int('maxConnections', options.maxConnections ?? config?.maxConnections, 10, 1);
    // better-sqlite3 is synchronous: a second connection adds no concurrency, only lock waits.
    this.maxConnections = dialect.name === 'sqlite' ? 1 : max;
    const min = int('minConnections', options.minConnections ?? config?.minConnections, 0, 0);
    // An in-memory SQLite database lives as long as its connection: never close it for idleness.
    this.minConnections = dialect.name === 'sqlite' ? 1 : Math.min(min, this.maxConnections);
    this.maxIdle = Math.max(
      this.minConnections,
      int('maxIdle', options.maxIdle ?? (options.maxConnections === undefined ? config?.poolSize : undefined), this.maxConnections, 1),
    );
    this.idleTimeout = options.idleTimeout ?? config?.idleTimeout ?? 300;
    this.overflowTimeout = options.overflowTimeout ?? 1;
    if (!(this.overflowTimeout >= 0)) throw new RangeError('ConnectionPool overflowTimeout must be ≥ 0');
    this.acquireTimeout = options.acquireTimeout ?? config?.acquireTimeout ?? 30;
    if (!(this.idleTimeout > 0)) throw new RangeError('ConnectionPool idleTimeout must be positive');
    if (!(this.acquireTimeout >= 0)) throw new RangeError('ConnectionPool acquireTimeout must be ≥ 0');
  }

  /** Counters: `size`, `idle`, `inUse`, `waiting`. */
  get stats(): PoolStats {
    return { size: this.#size, idle: this.#idle.length, inUse: this.#inUse.size, waiting: this.#waiters.length };
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Opens `minConnections` (at least one, to prove the database is reachable). */
  async open(): Promise<void> {
    const conns: DriverConnection[] = [];
    try {
      for (let i = Math.max(1, this.minConnections); i > 0; i--) conns.push(await this[kLease]());
    } finally {
      for (const conn of conns) this[kReturn](conn);
    }
  }

  /** A connection for your exclusive use; call `release()` (or use `await using`). */
  async acquire(): Promise<PooledConnection> {
    const conn = await this[kLease]();
    return new PooledConnection(conn, this.dialect, (c) => this[kReturn](c));
  }

  /** Runs `fn` with a connection and always releases it, even when `fn` throws. */
  async withConnection<T>(fn: (conn: PooledConnection) => Promise<T> | T): Promise<T> {
    const conn = await this.acquire();
    try {
      return await fn(conn);
    } finally {
      conn.release();
    }
  }

  /** A raw driver connection; give it back with `[kReturn]`. */
  [kLease](): Promise<DriverConnection> {
    if (this.#closed) return Promise.reject(new ConnectionError('The connection pool is closed'));
    while (this.#waiters.length === 0 && this.#idle.length > 0) {
      const { conn } = this.#idle.pop() as { conn: DriverConnection };
      if (conn.broken) {
        this.#destroy(conn);
        continue;
      }
      this.#inUse.add(conn);
      return Promise.resolve(conn);
    }
    if (this.#waiters.length === 0 && this.#size < this.maxConnections) return this.#create();
    return this.#wait();
  }

  /**
   * The most recently used idle connection, left in place, for a synchronous driver to run one
   * statement right now (nothing can interleave with synchronous code); null when there is none
   * or someone is waiting.
   */
  [kPeekSync](): DriverConnection | null {
    if (this.#closed || this.#waiters.length > 0) return null;
    const top = this.#idle[this.#idle.length - 1];
    if (top === undefined || top.conn.broken) return null;
    return top.conn;
  }

  [kTryLease](): DriverConnection | null {
    if (this.#closed || this.#waiters.length > 0) return null;
    while (this.#idle.length > 0) {
      const { conn } = this.#idle.pop() as { conn: DriverConnection };
      if (conn.broken) {
        this.#destroy(conn);
        continue;
      }
      this.#inUse.add(conn);
      return conn;
    }
    return null;
  }

  /**
   * Gives a raw connection back: to the first waiter, to the idle list, or closed. One still
   * inside a transaction (a `BEGIN` whose work threw before `COMMIT`) is rolled back first: the
   * next borrower's statements would run inside it and be lost with it.
   */
  [kReturn](conn: DriverConnection): void {
    if (conn.inTransaction === true && !conn.broken && !this.#closed && this.#inUse.has(conn)) {
      if (conn.querySync === undefined) {
        if (!this.#resetting.has(conn)) void this.#rollBack(conn);
        return;
      }
      // A synchronous driver (SQLite, whose one connection may hold an in-memory database):
      // roll back in place; a connection that cannot is dropped.
      try {
        conn.querySync('ROLLBACK', []);
      } catch {
        void conn.close();
      }
    }
    if (!this.#inUse.delete(conn)) return; // released twice
    if (this.#closed || conn.broken) {
      this.#destroy(conn);
      this.#dispatch();
      return;
    }
    const waiter = this.#nextWaiter();
    if (waiter !== undefined) {
      this.#inUse.add(conn);
      waiter.resolve(conn);
      return;
    }
    if (this.#idle.length >= this.maxIdle && this.overflowTimeout === 0) {
      this.#destroy(conn);
      return;
    }
    this.#idle.push({ conn, since: Date.now() });
  }

  /** Closes every connection; waiting `acquire()` calls fail; in-use connections close on release. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reaper !== null) clearInterval(this.#reaper);
    this.#reaper = null;
    for (const w of this.#waiters.splice(0))
      this.#settle(w, null, new ConnectionError('The connection pool was closed while waiting for a connection'));
    const idle = this.#idle.splice(0);
    this.#size -= idle.length;
    await Promise.all(idle.map(({ conn }) => conn.close()));
  }

  /** Rolls back the transaction a returned connection is still in, then returns it (closed if that failed). */
  async #rollBack(conn: DriverConnection): Promise<void> {
    this.#resetting.add(conn);
    try {
      await conn.query('ROLLBACK', []);
    } catch {
      // close() never rejects; a closed connection is broken and gets dropped below.
      await conn.close();
    }
    this.#resetting.delete(conn);
    if (conn.inTransaction === true) await conn.close();
    this[kReturn](conn);
  }

  async #create(): Promise<DriverConnection> {
    this.#size++;
    this.#startReaper();
    let conn: DriverConnection;
    try {
      conn = await this.#connect();
    } catch (err) {
      this.#size--;
      // A free slot may serve a waiter; it tries its own connection (and gets its own error).
      this.#dispatch();
      throw err;
    }
    if (this.#closed) {
      this.#size--;
      await conn.close();
      throw new ConnectionError('The connection pool is closed');
    }
    this.#inUse.add(conn);
    return conn;
  }

  #wait(): Promise<DriverConnection> {
    return new Promise<DriverConnection>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null, done: false };
      const ms = this.acquireTimeout * 1000;
      waiter.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        const { inUse, waiting } = this.stats;
        this.#settle(
          waiter,
          null,
          new PoolTimeoutError(
            `Timed out after ${this.acquireTimeout} s waiting for a database connection: ${inUse} of ${this.maxConnections} in use, ` +
              `${waiting} other request(s) waiting. Release connections (withConnection and transaction() do) or raise maxConnections.` +
              (this.dialect.name === 'sqlite'
                ? ' (SQLite has one connection: inside db.transaction(fn), run queries on its tx argument, not on db.)'
                : ''),
          ),
        );
      }, ms);
      this.#waiters.push(waiter);
      this.#dispatch();
    });
  }

  #nextWaiter(): Waiter | undefined {
    for (;;) {
      const w = this.#waiters.shift();
      if (w === undefined || !w.done) {
        if (w !== undefined) {
          w.done = true;
          if (w.timer !== null) clearTimeout(w.timer);
        }
        return w;
      }
    }
  }

  #settle(w: Waiter, conn: DriverConnection | null, err?: unknown): void {
    if (w.done) return;
    w.done = true;
    if (w.timer !== null) clearTimeout(w.timer);
    if (conn !== null) w.resolve(conn);
    else w.reject(err);
  }

  /** Serves waiters from idle connections or free slots. */
  #dispatch(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        if (idle.conn.broken) {
          this.#destroy(idle.conn);
          continue;
        }
        const w = this.#nextWaiter();
        if (w === undefined) {
          this.#idle.push(idle);
          return;
        }
        this.#inUse.add(idle.conn);
        w.resolve(idle.conn);
        continue;
      }
      if (this.#size >= this.maxConnections) return;
      const w = this.#nextWaiter();
      if (w === undefined) return;
      this.#create().then(
        (conn) => w.resolve(conn),
        (err: unknown) => w.reject(err),
      );
    }
  }

  #destroy(conn: DriverConnection): void {
    this.#size--;
    // Closing is best effort and must not hold up the caller; close() never rejects.
    void conn.close();
    this.#refill();
  }

  /** Keeps `minConnections` open after a broken one was dropped. */
  #refill(): void {
    if (this.#closed || this.#size >= this.minConnections || this.#waiters.length > 0) return;
    this.#create().then(
      (conn) => this[kReturn](conn),
      () => {}, // the database is down; the next acquire reports it
    );
  }

  #startReaper(): void {
    if (this.#reaper !== null || this.#closed) return;
    const every = Math.max(50, Math.min(this.idleTimeout * 500, this.overflowTimeout * 500 || 30_000, 30_000));
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  #reap(): void {
    const now = Date.now();
    const idleCutoff = now - this.idleTimeout * 1000;
    const overflowCutoff = now - this.overflowTimeout * 1000;
    // Oldest first: the idle list is a stack (the most recently used on top), its bottom has
    // waited longest. Close what idled past idleTimeout (down to minConnections) and the
    // overflow above maxIdle that idled past overflowTimeout.
    while (this.#idle.length > 0 && this.#size > this.minConnections) {
      const oldest = this.#idle[0] as { conn: DriverConnection; since: number };
      const expired = oldest.since <= idleCutoff || (this.#idle.length > this.maxIdle && oldest.since <= overflowCutoff);
      if (!expired) break;
      this.#idle.shift();
      this.#size--;
      void oldest.conn.close();
    }
    for (const entry of [...this.#idle]) {
      if (entry.conn.broken) {
        this.#idle.splice(this.#idle.indexOf(entry), 1);
        this.#destroy(entry.conn);
      }
    }
  }
}
