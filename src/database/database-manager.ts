import { ConnectionPool, kLease, kPeekSync, kReturn, kTryLease } from './connection-pool.js';
import { DatabaseConfig, type DatabaseConfigOptions } from './database-config.js';
import { createDriver } from './drivers/create-driver.js';
import { checkIsolation, type Dialect } from './drivers/dialect.js';
import type { Driver, DriverConnection, DriverResult } from './drivers/driver.js';
import {
  type ModelLike,
  type ModelWatcher,
  discoverModels,
  registeredModels,
  sortByDependencies,
  unwatchModels,
  watchModels,
  withDependencies,
} from './model-registry.js';
import { kExecute, kExecuteSync, kQueryRowSync, kQueryValuesSync, NOT_SYNC, Queryable } from './queryable.js';
import { observeQuery, queryChannel } from './query-channel.js';
import { type Persistable, Session } from './session.js';
import { Transaction, type TransactionOptions } from './transaction.js';

/** Options of `DatabaseManager` beyond the URL or config. */
export interface DatabaseManagerOptions {
  /** Use this driver instead of the one the URL names (tests, proxies, other databases). */
  readonly driver?: Driver;
}

/** What `db.health()` reports (the shape of a `HealthChecker` check). */
export interface DatabaseHealth {
  readonly status: 'healthy' | 'unhealthy';
  readonly latencyMs: number;
  readonly error?: string;
}

/** How a batch of table creations ended: `null`, or the first error. */
type CreationOutcome = { readonly error: unknown } | null;

/**
 * Runs statements on a manager without waiting for its pending table creations: the
 * creations' own statements go through it (waiting for themselves would never end).
 */
class UnwaitedStatements extends Queryable {
  readonly #owner: Queryable;
  readonly #run: (text: string, params: readonly unknown[], name?: string) => Promise<DriverResult>;

  constructor(owner: Queryable, run: (text: string, params: readonly unknown[], name?: string) => Promise<DriverResult>) {
    super();
    this.#owner = owner;
    this.#run = run;
  }

  get dialect(): Dialect {
    return this.#owner.dialect;
  }

  [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    return this.#run(text, params, name);
  }
}

/**
 * The application's database: a connection pool plus the query API (`fetchAll`, `fetchOne`,
 * `fetchVal`, `execute`, `` sql`…` ``), transactions with savepoints, a default unit of work
 * (`add`/`commit`) and `createAll`/`dropAll` for ORM models. Nothing connects until the first
 * query (or `connect()`, which `app.addDatabase(db)` calls at startup).
 *
 * @example
 * const db = new DatabaseManager('sqlite:///app.db');
 * app.addDatabase(db);
 * const users = await db.fetchAll('SELECT * FROM users WHERE name = %s', name);
 */
export class DatabaseManager extends Queryable {
  readonly config: DatabaseConfig;
  readonly #driver: Driver;
  #pool: ConnectionPool | null = null;
  #session: Session | null = null;
  /*
   * "Every model" mode (after `createAll()` without an argument): a JavaScript class cannot
   * announce its own definition, so a model the ORM first sees later (built, queried, …) gets
   * its table here before this manager runs its next statement.
   */
  readonly #watcher: ModelWatcher = { modelRegistered: (model) => this.#enqueue(model) };
  #watch: WeakRef<ModelWatcher> | null = null;
  /** Models whose tables this manager created (or found) since entering the mode. */
  readonly #created = new Set<ModelLike>();
  #toCreate: ModelLike[] = [];
  /** The creations under way; every statement path waits for it. Never rejects. */
  #creating: Promise<CreationOutcome> | null = null;
  readonly #unwaited = new UnwaitedStatements(this, (text, params, name) => this.#executeNow(text, params, name));

  constructor(urlOrConfig: string | DatabaseConfig | DatabaseConfigOptions, options: DatabaseManagerOptions = {}) {
    super();
    if (urlOrConfig === undefined || urlOrConfig === null) {
      // Typically new DatabaseManager(process.env.DATABASE_URL) with the variable unset.
      throw new TypeError(
        `DatabaseManager needs a database URL (sqlite:///app.db, postgresql://…, mysql://…) or a DatabaseConfig, got ${urlOrConfig}`,
      );
    }
    this.config =
      typeof urlOrConfig === 'string'
        ? DatabaseConfig.fromUrl(urlOrConfig)
        : urlOrConfig instanceof DatabaseConfig
          ? urlOrConfig
          : new DatabaseConfig(urlOrConfig);
    this.#driver = options.driver ?? createDriver(this.config);
  }

  get dialect(): Dialect {
    return this.#driver.dialect;
  }

  /** The connection pool (created on first use; a closed manager gets a new one). */
  get pool(): ConnectionPool {
    if (this.#pool === null || this.#pool.closed) this.#pool = new ConnectionPool({ config: this.config, driver: this.#driver });
    return this.#pool;
  }

  /** Opens the pool's connections now (at least one); rejects with a `ConnectionError` when the database is down. */
  async connect(): Promise<void> {
    await this.pool.open();
  }

  /** Closes every connection (and leaves the "every model" mode of `createAll()`); the next query reconnects. */
  async close(): Promise<void> {
    this.#leaveEveryModelMode();
    const pool = this.#pool;
    this.#pool = null;
    if (pool !== null) await pool.close();
  }

  /** Runs `SELECT 1`; resolves to the round trip in ms, rejects when the database is unreachable. */
  async ping(): Promise<number> {
    const start = performance.now();
    await this.fetchVal('SELECT 1');
    return performance.now() - start;
  }

  /** `ping()` as a health check: `{ status: 'healthy', latencyMs }` or `{ status: 'unhealthy', error }`. */
  async health(): Promise<DatabaseHealth> {
    const start = performance.now();
    try {
      await this.ping();
      return { status: 'healthy', latencyMs: Math.round((performance.now() - start) * 100) / 100 };
    } catch (err) {
      return {
        status: 'unhealthy',
        latencyMs: Math.round((performance.now() - start) * 100) / 100,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    if (this.#creating !== null) return this.#untilCreated().then(() => this[kExecute](text, params, name));
    return this.#executeNow(text, params, name);
  }

  #executeNow(text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    if (queryChannel.hasSubscribers) return observeQuery(this.dialect, text, params, () => this.#execute(text, params, name));
    return this.#execute(text, params, name);
  }

  #execute(text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    const pool = this.pool;
    const idle = pool[kPeekSync]();
    if (idle?.querySync !== undefined) {
      // A synchronous driver (SQLite) runs the statement on the idle connection in place: no
      // lease bookkeeping, and concurrent requests never queue behind each other.
      try {
        return Promise.resolve(idle.querySync(text, params));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const conn = pool[kTryLease]();
    if (conn !== null) return this.#runOn(pool, conn, text, params, name);
    return this.#runPooled(text, params, name);
  }

  /**
   * The idle connection a statement may run on synchronously now, or `null`. With subscribers on
   * covet:db:query every statement takes the path that publishes; while tables are being
   * created, the statement waits for them on the asynchronous path.
   */
  #syncConnection(): DriverConnection | null {
    if (queryChannel.hasSubscribers || this.#creating !== null) return null;
    return this.pool[kPeekSync]();
  }

  override [kQueryRowSync](text: string, params: readonly unknown[]): readonly unknown[] | undefined | typeof NOT_SYNC {
    const idle = this.#syncConnection();
    return idle?.queryRowSync === undefined ? NOT_SYNC : idle.queryRowSync(text, params);
  }

  override [kExecuteSync](text: string, params: readonly unknown[]): DriverResult | typeof NOT_SYNC {
    const idle = this.#syncConnection();
    return idle?.querySync === undefined ? NOT_SYNC : idle.querySync(text, params);
  }

  override [kQueryValuesSync](text: string, params: readonly unknown[]): readonly (readonly unknown[])[] | typeof NOT_SYNC {
    const idle = this.#syncConnection();
    return idle?.queryValuesSync === undefined ? NOT_SYNC : idle.queryValuesSync(text, params);
  }

  async #runOn(
    pool: ConnectionPool,
    conn: DriverConnection,
    text: string,
    params: readonly unknown[],
    name?: string,
  ): Promise<DriverResult> {
    try {
      return await conn.query(text, params, name);
    } finally {
      pool[kReturn](conn);
    }
  }

  async #runPooled(text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    const pool = this.pool;
    const conn = await pool[kLease]();
    try {
      return await conn.query(text, params, name);
    } finally {
      pool[kReturn](conn);
    }
  }

  /** Runs a script of several statements (no parameters), e.g. a schema file. */
  async script(sql: string): Promise<void> {
    await this.#untilCreated();
    const pool = this.pool;
    const conn = await pool[kLease]();
    try {
      await conn.script(sql);
    } finally {
      pool[kReturn](conn);
    }
  }

  /** Starts a transaction you finish yourself with `commit()` or `rollback()`. */
  async begin(options: TransactionOptions = {}): Promise<Transaction> {
    checkIsolation(options.isolation);
    await this.#untilCreated();
    const pool = this.pool;
    const conn = await pool[kLease]();
    const release = (c: DriverConnection): void => pool[kReturn](c);
    try {
      for (const statement of this.dialect.begin(options.isolation)) await conn.query(statement, []);
    } catch (err) {
      release(conn);
      throw err;
    }
    return new Transaction(conn, this.dialect, release);
  }

  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Run the
   * statements on `tx` (`tx.transaction(fn)` nests a savepoint): `db.*` inside `fn` would use
   * another connection — and on SQLite wait for this one.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    const tx = await this.begin(options);
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      await tx.rollback().catch(() => {});
      throw err;
    }
    await tx.commit();
    return result;
  }

  /** A new unit of work (one per request). */
  session(): Session {
    return new Session(this);
  }

  /** Adds to the manager's own unit of work (shared by everyone using this manager; prefer `db.session()` per request). */
  add(...objects: Persistable[]): this {
    (this.#session ??= new Session(this)).add(...objects);
    return this;
  }

  /** Writes what `add()` collected, in one transaction. */
  async commit(): Promise<void> {
    await this.#session?.commit();
  }

  /** Forgets what `add()` collected. */
  rollback(): void {
    this.#session?.rollback();
  }

  /**
   * Creates the tables of `models` (`CREATE TABLE IF NOT EXISTS`), referenced tables first.
   *
   * Without an argument: every model defined so far — every live subclass of the ORM's `Model`
   * with a `tableName` and `columns`, used or not, and the models they reference — and from then
   * on every model registered later too (a class defined after this call, or in a module
   * imported later, gets its table when it is first used, before this manager's next
   * statement). `dropAll()` without an argument and `close()` end that.
   */
  async createAll(models?: readonly ModelLike[]): Promise<void> {
    if (models !== undefined) {
      for (const model of sortByDependencies(models)) await model.createTable(this, { ifNotExists: true });
      return;
    }
    this.#watch ??= watchModels(this.#watcher);
    discoverModels();
    // Again for every model: a table dropped behind the manager's back comes back.
    this.#created.clear();
    for (const model of registeredModels()) this.#enqueue(model);
    const outcome = await (this.#creating ?? null);
    if (outcome !== null) throw outcome.error;
  }

  /**
   * Drops the tables of `models` (`DROP TABLE IF EXISTS`), referencing tables first. Without an
   * argument: every registered model, and the "every model" mode of `createAll()` ends.
   */
  async dropAll(models?: readonly ModelLike[]): Promise<void> {
    if (models === undefined) {
      this.#leaveEveryModelMode();
      discoverModels();
    }
    for (const model of sortByDependencies(models ?? registeredModels()).reverse()) {
      await model.dropTable(this, { ifExists: true });
      this.#created.delete(model);
    }
  }

  /** Schedules the creation of a model's table (and the ones it references) before the next statement. */
  #enqueue(model: ModelLike): void {
    if (this.#watch === null || this.#created.has(model) || this.#toCreate.includes(model)) return;
    this.#toCreate.push(model);
    // Started on the next microtask, not inside whatever registered the model (a constructor);
    // set now, so a statement issued right after (`new User()`, then `db.add(user)`) waits.
    this.#creating ??= Promise.resolve().then(() => this.#createQueued());
  }

  async #createQueued(): Promise<CreationOutcome> {
    let outcome: CreationOutcome = null;
    try {
      while (this.#toCreate.length > 0 && this.#watch !== null) {
        const batch = this.#toCreate;
        this.#toCreate = [];
        let ordered: ModelLike[];
        try {
          ordered = sortByDependencies(withDependencies(batch));
        } catch (err) {
          outcome ??= { error: err };
          continue;
        }
        for (const model of ordered) {
          if (this.#watch === null) break;
          if (this.#created.has(model)) continue;
          try {
            await model.createTable(this.#unwaited, { ifNotExists: true });
            this.#created.add(model);
          } catch (err) {
            // Not retried on its own (the next createAll() does): every statement would fail.
            outcome ??= { error: err };
          }
        }
      }
    } finally {
      this.#creating = null;
    }
    return outcome;
  }

  /** Resolves once no creation is pending; rejects with a creation's error when one failed. */
  async #untilCreated(): Promise<void> {
    for (let creating = this.#creating; creating !== null; creating = this.#creating) {
      const outcome = await creating;
      if (outcome !== null) throw outcome.error;
    }
  }

  #leaveEveryModelMode(): void {
    if (this.#watch !== null) unwatchModels(this.#watch);
    this.#watch = null;
    this.#toCreate = [];
    this.#created.clear();
  }

  override toString(): string {
    return `DatabaseManager(${this.config.toString()})`;
  }
}
