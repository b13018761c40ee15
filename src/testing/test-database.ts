import { randomBytes } from 'node:crypto';
import { DatabaseConfig } from '../database/database-config.js';
import { DatabaseManager } from '../database/database-manager.js';
import { createDriver } from '../database/drivers/create-driver.js';
import type { Driver, DriverConnection } from '../database/drivers/driver.js';

(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** Options of `TestDatabase`. */
export interface TestDatabaseOptions {
  /**
   * PostgreSQL/MySQL: run in a new, empty database created on first use (`covet_test_…`) and
   * dropped by `close()`, so tests never see each other's tables. Needs the CREATEDB privilege.
   * Default `false`. (Every `sqlite:///:memory:` database is already private.)
   */
  readonly isolated?: boolean;
}

/** Creates the throwaway database once, before the first connection. */
function isolatingDriver(admin: DatabaseConfig, target: DatabaseConfig): Driver & { reset(): void } {
  const inner = createDriver(target);
  let created: Promise<void> | null = null;
  return {
    dialect: inner.dialect,
    reset() {
      created = null;
    },
    async connect(): Promise<DriverConnection> {
      created ??= (async () => {
        const conn = await createDriver(admin).connect();
        try {
          const q = inner.dialect.quote(target.database);
          await conn.query(inner.dialect.name === 'mysql' ? `CREATE DATABASE ${q} CHARACTER SET utf8mb4` : `CREATE DATABASE ${q}`, []);
        } finally {
          await conn.close();
        }
      })().catch((err: unknown) => {
        created = null;
        throw err;
      });
      await created;
      return inner.connect();
    },
  };
}

/**
 * A `DatabaseManager` for tests (the seed's `TestDatabase`): `sqlite:///:memory:` by default,
 * any URL otherwise; `createAll()` with no argument creates every model defined so far, and
 * `{ isolated: true }` gives PostgreSQL/MySQL tests a database of their own. Works with
 * `await using`.
 *
 * @example
 * await using db = new TestDatabase('sqlite:///:memory:');
 * await db.createAll();
 * const user = await db.fetchOne('SELECT * FROM users WHERE email = %s', 'test@example.com');
 */
export class TestDatabase extends DatabaseManager {
  readonly #admin: DatabaseConfig | null;
  readonly #driver: { reset(): void } | null;

  constructor(url: string = 'sqlite:///:memory:', options: TestDatabaseOptions = {}) {
    const base = DatabaseConfig.fromUrl(url);
    if (!options.isolated || base.driver === 'sqlite') {
      super(base);
      this.#admin = null;
      this.#driver = null;
      return;
    }
    const name = `covet_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const target = base.with({ database: name });
    const driver = isolatingDriver(base, target);
    super(target, { driver });
    this.#admin = base;
    this.#driver = driver;
  }

  /** Closes the connections and, for an isolated database, drops it (using it again starts from an empty one). */
  override async close(): Promise<void> {
    await super.close();
    const admin = this.#admin;
    if (admin === null || this.#driver === null) return;
    this.#driver.reset();
    const conn = await createDriver(admin)
      .connect()
      .catch(() => null);
    if (conn === null) return;
    try {
      const q = this.dialect.quote(this.config.database);
      if (this.dialect.name === 'postgresql') {
        await conn.query(`DROP DATABASE IF EXISTS ${q} WITH (FORCE)`, []).catch(() => conn.query(`DROP DATABASE IF EXISTS ${q}`, []));
      } else await conn.query(`DROP DATABASE IF EXISTS ${q}`, []);
    } finally {
      await conn.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
