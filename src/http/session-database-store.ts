import type { SessionStore } from './session.js';

/**
 * The database methods `DatabaseSessionStore` uses — `covet/database`'s `DatabaseManager` has
 * them, and a few lines adapt any driver. Parameters are `?` placeholders.
 */
export interface DatabaseLike {
  /** Runs a statement; `rowCount` is the number of rows it changed. */
  execute(sql: string, ...params: unknown[]): Promise<{ readonly rowCount: number }>;
  /** The first row, or `null`/`undefined` when there is none. */
  fetchOne(sql: string, ...params: unknown[]): Promise<Readonly<Record<string, unknown>> | null | undefined>;
}

/** Options of `DatabaseSessionStore`. */
export interface DatabaseSessionStoreOptions {
  /** The table (created when missing, with columns `id`, `data`, `expires_at`). Default `covet_sessions`. */
  readonly table?: string;
  /** Seconds between deletions of expired rows (done while saving); `0` turns them off. Default 3600. */
  readonly cleanupInterval?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * Sessions in a SQL table, through any object shaped like `covet/database`'s `DatabaseManager`
 * (SQLite, PostgreSQL and MySQL all work: the SQL is portable, upserts are an `UPDATE` then an
 * `INSERT`). The table is created on first use. Expired rows are never returned, and are
 * deleted in batches every `cleanupInterval` seconds.
 *
 * @example
 * const db = new DatabaseManager('sqlite:///app.db');
 * app.addMiddleware(new SessionMiddleware({ secretKey, store: new DatabaseSessionStore(db) }));
 */
export class DatabaseSessionStore implements SessionStore {
  readonly #db: DatabaseLike;
  readonly #table: string;
  readonly #cleanupMs: number;
  #ready: Promise<void> | null = null;
  #nextCleanup = 0;

  constructor(db: DatabaseLike, options: DatabaseSessionStoreOptions = {}) {
    if (typeof db?.execute !== 'function' || typeof db.fetchOne !== 'function') {
      throw new TypeError('DatabaseSessionStore needs a database with execute(sql, ...params) and fetchOne(sql, ...params)');
    }
    const table = options.table ?? 'covet_sessions';
    if (!IDENTIFIER.test(table)) throw new TypeError(`DatabaseSessionStore: invalid table name ${JSON.stringify(table)}`);
    const interval = options.cleanupInterval ?? 3600;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError('DatabaseSessionStore cleanupInterval must be a non-negative number of seconds');
    }
    this.#db = db;
    this.#table = table;
    this.#cleanupMs = interval * 1000;
    this.#nextCleanup = interval === 0 ? Number.POSITIVE_INFINITY : Date.now() + this.#cleanupMs;
  }

  /** Creates the table when it does not exist (runs once; every method waits for it). */
  ensureTable(): Promise<void> {
    if (this.#ready === null) {
      // VARCHAR, not TEXT, for the key: MySQL cannot index TEXT without a prefix length.
      const ready = this.#db
        .execute(
          `CREATE TABLE IF NOT EXISTS ${this.#table} (id VARCHAR(128) NOT NULL PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
        )
        .then(() => undefined);
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = null;
      });
      this.#ready = ready;
    }
    return this.#ready;
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    await this.ensureTable();
    const row = await this.#db.fetchOne(`SELECT data FROM ${this.#table} WHERE id = ? AND expires_at > ?`, id, Date.now());
    if (row === null || row === undefined || typeof row.data !== 'string') return null;
    try {
      return JSON.parse(row.data) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  async set(id: string, data: Readonly<Record<string, unknown>>, ttlSeconds: number): Promise<void> {
    await this.ensureTable();
    const now = Date.now();
    if (now >= this.#nextCleanup) await this.deleteExpired();
    const json = JSON.stringify(data);
    const expires = now + Math.round(ttlSeconds * 1000);
    const updated = await this.#db.execute(`UPDATE ${this.#table} SET data = ?, expires_at = ? WHERE id = ?`, json, expires, id);
    if (updated.rowCount > 0) return;
    try {
      await this.#db.execute(`INSERT INTO ${this.#table} (id, data, expires_at) VALUES (?, ?, ?)`, id, json, expires);
    } catch (err) {
      // Another request inserted the same id between our UPDATE and INSERT: update theirs.
      const retried = await this.#db.execute(`UPDATE ${this.#table} SET data = ?, expires_at = ? WHERE id = ?`, json, expires, id);
      if (retried.rowCount === 0) throw err;
    }
  }

  async destroy(id: string): Promise<void> {
    await this.ensureTable();
    await this.#db.execute(`DELETE FROM ${this.#table} WHERE id = ?`, id);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    await this.ensureTable();
    const now = Date.now();
    // An expired row stays expired: touching must not bring it back.
    await this.#db.execute(
      `UPDATE ${this.#table} SET expires_at = ? WHERE id = ? AND expires_at > ?`,
      now + Math.round(ttlSeconds * 1000),
      id,
      now,
    );
  }

  /** Deletes expired rows now; resolves to how many went. */
  async deleteExpired(): Promise<number> {
    await this.ensureTable();
    const now = Date.now();
    this.#nextCleanup = this.#cleanupMs === 0 ? Number.POSITIVE_INFINITY : now + this.#cleanupMs;
    const res = await this.#db.execute(`DELETE FROM ${this.#table} WHERE expires_at <= ?`, now);
    return res.rowCount;
  }
}
