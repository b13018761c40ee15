import { CovetError } from '../../errors.js';
import type { AuthorizationCodeRecord, ConsumeResult, OAuth2ClientRecord, OAuth2Store, RefreshTokenRecord } from './oauth2-store.js';

/**
 * The database methods `DatabaseOAuth2Store` uses — `covet/database`'s `DatabaseManager` has
 * them. Parameters are `?` placeholders.
 */
export interface OAuth2DatabaseLike {
  /** Runs a statement; `rowCount` is the number of rows it changed. */
  execute(sql: string, ...params: unknown[]): Promise<{ readonly rowCount: number }>;
  /** The first row, or `null`/`undefined` when there is none. */
  fetchOne(sql: string, ...params: unknown[]): Promise<Readonly<Record<string, unknown>> | null | undefined>;
}

/** Options of `DatabaseOAuth2Store`. */
export interface DatabaseOAuth2StoreOptions {
  /** Prefix of the five table names. Default `covet_oauth2_`. */
  readonly tablePrefix?: string;
  /** Seconds between deletions of expired rows (done while saving a code); `0` turns them off. Default 3600. */
  readonly cleanupInterval?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `OAuth2Server` state in SQL tables through `covet/database` (SQLite, PostgreSQL, MySQL): codes,
 * refresh tokens, access-token ids and revoked families, and clients. The tables are created on
 * first use. One-time use is atomic across processes: a code or refresh token is taken with
 * `UPDATE … SET used = 1 WHERE … AND used = 0`, which only one caller can win. Expired rows
 * are deleted every `cleanupInterval` seconds.
 *
 * @example
 * const db = new DatabaseManager('sqlite:///auth.db');
 * const oauth2 = new OAuth2Server({ clients, store: new DatabaseOAuth2Store(db) });
 */
export class DatabaseOAuth2Store implements OAuth2Store {
  readonly #db: OAuth2DatabaseLike;
  readonly #t: { codes: string; refresh: string; access: string; families: string; clients: string };
  #ready: Promise<void> | null = null;
  readonly #cleanupMs: number;
  #nextCleanup: number;

  constructor(db: OAuth2DatabaseLike, options: DatabaseOAuth2StoreOptions = {}) {
    if (typeof db?.execute !== 'function' || typeof db.fetchOne !== 'function') {
      throw new TypeError('DatabaseOAuth2Store needs a database with execute(sql, ...params) and fetchOne(sql, ...params)');
    }
    const prefix = options.tablePrefix ?? 'covet_oauth2_';
    if (!IDENTIFIER.test(`${prefix}x`)) throw new TypeError(`DatabaseOAuth2Store: invalid table prefix ${JSON.stringify(prefix)}`);
    const interval = options.cleanupInterval ?? 3600;
    if (!Number.isFinite(interval) || interval < 0) throw new RangeError('DatabaseOAuth2Store cleanupInterval must be a non-negative number of seconds');
    this.#cleanupMs = interval * 1000;
    this.#nextCleanup = interval === 0 ? Number.POSITIVE_INFINITY : Date.now() + this.#cleanupMs;
    this.#db = db;
    this.#t = {
      codes: `${prefix}codes`,
      refresh: `${prefix}refresh_tokens`,
      access: `${prefix}access_tokens`,
      families: `${prefix}revoked_families`,
      clients: `${prefix}clients`,
    };
  }

  /** Creates the tables when they do not exist (runs once; every method waits for it). */
  ensureTables(): Promise<void> {
    if (this.#ready === null) {
      const t = this.#t;
      // VARCHAR keys, not TEXT: MySQL cannot index TEXT without a prefix length.
      const statements = [
        `CREATE TABLE IF NOT EXISTS ${t.codes} (code_hash VARCHAR(64) NOT NULL PRIMARY KEY, data TEXT NOT NULL, used INTEGER NOT NULL, expires_at BIGINT NOT NULL)`,
        `CREATE TABLE IF NOT EXISTS ${t.refresh} (token_hash VARCHAR(64) NOT NULL PRIMARY KEY, family_id VARCHAR(64) NOT NULL, data TEXT NOT NULL, used INTEGER NOT NULL, expires_at BIGINT NOT NULL)`,
        `CREATE TABLE IF NOT EXISTS ${t.access} (jti VARCHAR(128) NOT NULL PRIMARY KEY, family_id VARCHAR(64), revoked INTEGER NOT NULL, expires_at BIGINT NOT NULL)`,
        `CREATE TABLE IF NOT EXISTS ${t.families} (family_id VARCHAR(64) NOT NULL PRIMARY KEY, expires_at BIGINT NOT NULL)`,
        `CREATE TABLE IF NOT EXISTS ${t.clients} (client_id VARCHAR(255) NOT NULL PRIMARY KEY, data TEXT NOT NULL)`,
      ];
      const ready = (async () => {
        for (const sql of statements) await this.#db.execute(sql);
      })();
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = null;
      });
      this.#ready = ready;
    }
    return this.#ready;
  }

  async saveCode(record: AuthorizationCodeRecord): Promise<void> {
    await this.ensureTables();
    if (Date.now() >= this.#nextCleanup) await this.deleteExpired();
    await this.#db.execute(
      `INSERT INTO ${this.#t.codes} (code_hash, data, used, expires_at) VALUES (?, ?, 0, ?)`,
      record.codeHash,
      JSON.stringify(record),
      record.expiresAt,
    );
  }

  async consumeCode(codeHash: string): Promise<ConsumeResult<AuthorizationCodeRecord> | null> {
    return this.#take<AuthorizationCodeRecord>(this.#t.codes, 'code_hash', codeHash);
  }

  async saveRefreshToken(record: RefreshTokenRecord): Promise<void> {
    await this.ensureTables();
    await this.#db.execute(
      `INSERT INTO ${this.#t.refresh} (token_hash, family_id, data, used, expires_at) VALUES (?, ?, ?, 0, ?)`,
      record.tokenHash,
      record.familyId,
      JSON.stringify(record),
      record.expiresAt,
    );
  }

  async rotateRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null> {
    return this.#take<RefreshTokenRecord>(this.#t.refresh, 'token_hash', tokenHash);
  }

  async findRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null> {
    await this.ensureTables();
    const row = await this.#db.fetchOne(`SELECT data, used FROM ${this.#t.refresh} WHERE token_hash = ?`, tokenHash);
    return row ? { record: parse<RefreshTokenRecord>(row.data), reused: Number(row.used) !== 0 } : null;
  }

  /** `UPDATE … WHERE used = 0` first: whoever changes the row is the first user. */
  async #take<R>(table: string, key: string, value: string): Promise<ConsumeResult<R> | null> {
    await this.ensureTables();
    const won = await this.#db.execute(`UPDATE ${table} SET used = 1 WHERE ${key} = ? AND used = 0`, value);
    const row = await this.#db.fetchOne(`SELECT data FROM ${table} WHERE ${key} = ?`, value);
    if (!row) return null;
    return { record: parse<R>(row.data), reused: won.rowCount === 0 };
  }

  async recordAccessToken(jti: string, familyId: string | null, expiresAt: number): Promise<void> {
    await this.ensureTables();
    await this.#db.execute(`INSERT INTO ${this.#t.access} (jti, family_id, revoked, expires_at) VALUES (?, ?, 0, ?)`, jti, familyId, expiresAt);
  }

  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    await this.ensureTables();
    const updated = await this.#db.execute(`UPDATE ${this.#t.access} SET revoked = 1 WHERE jti = ?`, jti);
    if (updated.rowCount > 0) return;
    try {
      await this.#db.execute(`INSERT INTO ${this.#t.access} (jti, family_id, revoked, expires_at) VALUES (?, NULL, 1, ?)`, jti, expiresAt);
    } catch (err) {
      // Recorded meanwhile by another request: revoke that row.
      const retried = await this.#db.execute(`UPDATE ${this.#t.access} SET revoked = 1 WHERE jti = ?`, jti);
      if (retried.rowCount === 0) throw err;
    }
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    await this.ensureTables();
    const row = await this.#db.fetchOne(
      `SELECT a.revoked AS revoked, f.expires_at AS family_until FROM ${this.#t.access} a LEFT JOIN ${this.#t.families} f ON f.family_id = a.family_id WHERE a.jti = ?`,
      jti,
    );
    if (!row) return false;
    return Number(row.revoked) !== 0 || (row.family_until !== null && row.family_until !== undefined && Number(row.family_until) > Date.now());
  }

  async revokeFamily(familyId: string, expiresAt: number): Promise<void> {
    await this.ensureTables();
    const updated = await this.#db.execute(`UPDATE ${this.#t.families} SET expires_at = ? WHERE family_id = ? AND expires_at < ?`, expiresAt, familyId, expiresAt);
    if (updated.rowCount > 0) return;
    try {
      await this.#db.execute(`INSERT INTO ${this.#t.families} (family_id, expires_at) VALUES (?, ?)`, familyId, expiresAt);
    } catch {
      // Already revoked (by a concurrent replay, or until a later time): nothing to add.
    }
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    await this.ensureTables();
    const row = await this.#db.fetchOne(`SELECT expires_at FROM ${this.#t.families} WHERE family_id = ?`, familyId);
    return !!row && Number(row.expires_at) > Date.now();
  }

  /** Registers or replaces a client (its secret already hashed: see `OAuth2Server.hashSecret`). */
  async saveClient(client: OAuth2ClientRecord): Promise<void> {
    await this.ensureTables();
    // MySQL's default collation compares case-insensitively and ignores trailing spaces: the
    // UPDATE below would overwrite another client's row ("Admin" over "admin").
    const existing = await this.#db.fetchOne(`SELECT data FROM ${this.#t.clients} WHERE client_id = ?`, client.id);
    if (existing && parse<OAuth2ClientRecord>(existing.data).id !== client.id) {
      throw new CovetError(`OAuth2 client ${JSON.stringify(client.id)} collides with ${JSON.stringify(parse<OAuth2ClientRecord>(existing.data).id)} in this database (its collation compares them as equal)`, {
        code: 'ERR_OAUTH2_OPTIONS',
      });
    }
    const data = JSON.stringify(client);
    const updated = await this.#db.execute(`UPDATE ${this.#t.clients} SET data = ? WHERE client_id = ?`, data, client.id);
    if (updated.rowCount === 0) await this.#db.execute(`INSERT INTO ${this.#t.clients} (client_id, data) VALUES (?, ?)`, client.id, data);
  }

  async getClient(clientId: string): Promise<OAuth2ClientRecord | null> {
    await this.ensureTables();
    const row = await this.#db.fetchOne(`SELECT data FROM ${this.#t.clients} WHERE client_id = ?`, clientId);
    if (!row) return null;
    const record = parse<OAuth2ClientRecord>(row.data);
    // Client ids are case-sensitive (RFC 6749 §2.2), whatever the collation: MySQL's finds
    // "ADMIN" and "admin " for "admin".
    return record.id === clientId ? record : null;
  }

  async deleteExpired(): Promise<number> {
    await this.ensureTables();
    const now = Date.now();
    this.#nextCleanup = this.#cleanupMs === 0 ? Number.POSITIVE_INFINITY : now + this.#cleanupMs;
    let removed = 0;
    for (const table of [this.#t.codes, this.#t.refresh, this.#t.access, this.#t.families]) {
      removed += (await this.#db.execute(`DELETE FROM ${table} WHERE expires_at <= ?`, now)).rowCount;
    }
    return removed;
  }
}

function parse<R>(data: unknown): R {
  return JSON.parse(String(data)) as R;
}
