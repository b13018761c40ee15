import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectionPool } from '../connection-pool.js';
import { DatabaseManager } from '../database-manager.js';
import type { Dialect } from '../drivers/dialect.js';
import { MigrationError } from '../errors.js';
import type { PooledConnection } from '../pooled-connection.js';
import type { Queryable } from '../queryable.js';
import type { Migration, MigrationContext, MigrationSteps } from './migration.js';
import { SchemaBuilder } from './schema-builder.js';

/** The table that records applied migrations. */
export const MIGRATIONS_TABLE = 'covet_migrations';

/** A migration as the migrator sees it. */
export interface MigrationEntry {
  /** `0001_create_users` (the file name without extension). */
  readonly name: string;
  readonly migration: Migration;
  /** SHA-256 of the file (or of the class source): a change after applying is reported. */
  readonly checksum: string;
}

/** Something with a pool: `DatabaseManager` (the migrator holds one connection for its lock). */
export interface MigrationDatabase {
  readonly dialect: Dialect;
  readonly pool: ConnectionPool;
}

/** Options of `migrate` and `migrationStatus`. */
export interface MigrateOptions {
  /**
   * The database. Default: a `DatabaseManager` on `process.env.DATABASE_URL`, closed when done
   * (a `MigrationError` when neither is there).
   */
  readonly db?: MigrationDatabase;
  /** Where `NNNN_name.{ts,js}` files live. Default `migrations`. */
  readonly directory?: string;
  /** Migrations given directly instead of (or besides) a directory. */
  readonly migrations?: readonly (MigrationEntry | { readonly name: string; readonly migration: Migration })[];
  /** `up`: apply at most this many; `down`: revert this many (default 1). */
  readonly steps?: number;
  /** Apply even when an applied migration's file changed since. Default `false`. */
  readonly allowChanged?: boolean;
  /** Progress lines (`applied 0001_create_users`). */
  readonly log?: (line: string) => void;
}

/** A migration's state. */
export interface MigrationStatus {
  readonly name: string;
  readonly applied: boolean;
  readonly appliedAt: Date | null;
  readonly batch: number | null;
  /** Applied, but its file changed since. */
  readonly changed: boolean;
  /** Applied, but its file is gone. */
  readonly missing: boolean;
}

/** What `migrate` did. */
export interface MigrateResult {
  readonly direction: 'up' | 'down';
  /** Names applied (up) or reverted (down), in order. */
  readonly migrations: string[];
}

const FILE = /^(\d+)_([\w.-]+)\.(?:ts|mts|js|mjs|cjs)$/;
/** How long a migrator waits for another one to finish (MySQL's GET_LOCK waits as long). */
const LOCK_TIMEOUT_MS = 600_000;
const LOCK_POLL_MS = 100;

function checksumOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isMigration(value: unknown): value is Migration {
  return typeof value === 'object' && value !== null && typeof (value as { up?: unknown }).up === 'function';
}

/**
 * The migration files of a directory (`NNNN_name.{ts,mts,js,mjs,cjs}`), in the order they apply;
 * none when the directory does not exist.
 *
 * @example
 * await migrationFiles('migrations') // ['0001_create_users.ts', '0002_add_age.ts']
 */
export async function migrationFiles(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(resolve(directory));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => FILE.test(n) && !n.endsWith('.d.ts'))
    .sort((a, b) => Number(FILE.exec(a)?.[1]) - Number(FILE.exec(b)?.[1]) || a.localeCompare(b));
}

/** Loads `NNNN_name.{ts,js}` files in order; each default-exports a `Migration` class (or instance). */
export async function loadMigrations(directory: string): Promise<MigrationEntry[]> {
  const dir = resolve(directory);
  const files = await migrationFiles(directory);
  const out: MigrationEntry[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const name = file.slice(0, -extname(file).length);
    if (seen.has(name)) throw new MigrationError(`Two migration files are named ${name} (one .ts, one .js?)`);
    seen.add(name);
    const path = join(dir, file);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (err) {
      const hint =
        /\.m?ts$/.test(file) && (err as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION'
          ? ' (TypeScript migrations need a loader: node --import tsx)'
          : '';
      throw new MigrationError(`Could not load migration ${file}${hint}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    let exported = mod.default;
    // A CommonJS module (a `.ts` file in a package without `"type": "module"`) has its own
    // `default` export inside the module object.
    if (typeof exported === 'object' && exported !== null && !isMigration(exported) && 'default' in exported) exported = exported.default;
    const migration = typeof exported === 'function' ? (new (exported as new () => unknown)() as unknown) : exported;
    if (!isMigration(migration)) throw new MigrationError(`${file} must default-export a class extending Migration`);
    out.push({ name, migration, checksum: checksumOf(await readFile(path, 'utf8')) });
  }
  return out;
}

async function collect(options: MigrateOptions): Promise<MigrationEntry[]> {
  const fromDir =
    options.migrations === undefined || options.directory !== undefined ? await loadMigrations(options.directory ?? 'migrations') : [];
  const given = (options.migrations ?? []).map((m) =>
    'checksum' in m ? m : { ...m, checksum: checksumOf(`${m.migration.up.toString()}\n${m.migration.down?.toString() ?? ''}`) },
  );
  const all = [...fromDir, ...given].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  for (let i = 1; i < all.length; i++)
    if (all[i]?.name === all[i - 1]?.name) throw new MigrationError(`Duplicate migration ${all[i]?.name}`);
  return all;
}

interface AppliedRow {
  name: string;
  checksum: string;
  batch: number;
  applied_at: unknown;
}

async function ensureTable(conn: PooledConnection, dialect: Dialect): Promise<void> {
  const q = dialect.quote;
  try {
    await conn.execute(
      `CREATE TABLE IF NOT EXISTS ${q(MIGRATIONS_TABLE)} (${q('name')} VARCHAR(255) PRIMARY KEY, ${q('checksum')} VARCHAR(64) NOT NULL, ` +
        `${q('batch')} INTEGER NOT NULL, ${q('applied_at')} ${dialect.columnType('datetime')} NOT NULL)`,
    );
  } catch (err) {
    // Two processes creating it at once: PostgreSQL's IF NOT EXISTS can still fail the loser
    // (a duplicate key in pg_type). The table is there then, which is all this wanted.
    const exists = await conn.execute(`SELECT 1 FROM ${q(MIGRATIONS_TABLE)} WHERE 1 = 0`).then(
      () => true,
      () => false,
    );
    if (!exists) throw err;
  }
}

/**
 * The applied migrations in the order they ran: by batch, then by name the way `up` orders the
 * files (numbers as numbers: 2_second before 10_tenth, which SQL's text order puts first), so
 * `down` reverts them in exactly the reverse order.
 */
async function appliedRows(conn: Queryable, dialect: Dialect): Promise<AppliedRow[]> {
  const q = dialect.quote;
  const rows = await conn.fetchAll<AppliedRow>(
    `SELECT ${q('name')}, ${q('checksum')}, ${q('batch')}, ${q('applied_at')} FROM ${q(MIGRATIONS_TABLE)}`,
  );
  return rows.sort((a, b) => Number(a.batch) - Number(b.batch) || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

async function runSteps(steps: MigrationSteps, conn: PooledConnection): Promise<void> {
  if (steps === undefined) return;
  // Nested lists are flattened: `[schema.createTable(…), schema.createIndex(…)]`, where a
  // builder returns a list of statements, is a natural way to write a step.
  for (const sql of typeof steps === 'string' ? [steps] : (steps as readonly unknown[]).flat(Number.POSITIVE_INFINITY)) {
    if (typeof sql !== 'string')
      throw new MigrationError('up()/down() must return SQL strings (or run queries through ctx.db and return nothing)');
    if (sql.trim() !== '') await conn.script(sql);
  }
}

/**
 * Holds the migration lock for `fn`: a session advisory lock on PostgreSQL, `GET_LOCK` on
 * MySQL. SQLite needs none: each migration runs in `BEGIN IMMEDIATE`, which takes the
 * database's write lock, and re-checks what is applied inside it.
 */
async function withLock<T>(conn: PooledConnection, dialect: Dialect, fn: () => Promise<T>): Promise<T> {
  const lock = dialect.lockSql(MIGRATIONS_TABLE);
  if (lock === null) return fn();
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let got = await conn.fetchVal(lock[0], MIGRATIONS_TABLE);
  // A try-lock (PostgreSQL): poll it, waiting between tries outside any statement.
  while (got === false && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    got = await conn.fetchVal(lock[0], MIGRATIONS_TABLE);
  }
  if (got === false || (dialect.name === 'mysql' && Number(got) !== 1))
    throw new MigrationError('Timed out waiting for the migration lock (another process is migrating)');
  try {
    return await fn();
  } finally {
    await conn.fetchVal(lock[1], MIGRATIONS_TABLE).catch(() => {});
  }
}

/**
 * Runs `fn` with `options.db`, or with a `DatabaseManager` on `DATABASE_URL` that is closed
 * afterwards (the seed's `await migrate("up")`).
 */
async function withDatabase<T>(what: string, options: MigrateOptions, fn: (db: MigrationDatabase) => Promise<T>): Promise<T> {
  if (options.db !== undefined) return fn(options.db);
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new MigrationError(
      `${what} needs a database: pass { db } (a DatabaseManager, e.g. new DatabaseManager('sqlite:///app.db')) or set DATABASE_URL`,
      { code: 'ERR_MIGRATION_NO_DATABASE' },
    );
  }
  const db = new DatabaseManager(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Applies pending migrations (`up`) or reverts applied ones (`down`, one by default). Each
 * migration runs in its own transaction where the dialect allows and is recorded in
 * `covet_migrations` with its checksum; a lock keeps two processes from applying the same one.
 * Without options: the `migrations` directory, on the database of `DATABASE_URL`.
 *
 * @example
 * await migrate('up', { db, directory: 'migrations' });
 * await migrate('down', { db, directory: 'migrations', steps: 2 });
 * await migrate('up'); // DATABASE_URL, ./migrations
 */
export async function migrate(direction: 'up' | 'down', options: MigrateOptions = {}): Promise<MigrateResult> {
  if (direction !== 'up' && direction !== 'down') throw new TypeError('migrate() direction is "up" or "down"');
  return withDatabase('migrate()', options, (db) => run(direction, db, options));
}

async function run(direction: 'up' | 'down', db: MigrationDatabase, options: MigrateOptions): Promise<MigrateResult> {
  const dialect = db.dialect;
  const log = options.log ?? (() => {});
  const steps = options.steps ?? (direction === 'down' ? 1 : Number.POSITIVE_INFINITY);
  if (!(steps >= 0)) throw new RangeError('steps must be ≥ 0');
  const entries = await collect(options);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const schema = new SchemaBuilder(dialect);
  const q = dialect.quote;
  const done: string[] = [];

  await db.pool.withConnection(async (conn) => {
    await ensureTable(conn, dialect);
    await withLock(conn, dialect, async () => {
      const applied = await appliedRows(conn, dialect);
      if (direction === 'up' && !options.allowChanged) {
        for (const row of applied) {
          const entry = byName.get(row.name);
          if (entry !== undefined && entry.checksum !== row.checksum) {
            throw new MigrationError(
              `${row.name} changed after it was applied (checksum mismatch); write a new migration instead, or pass allowChanged (covet migrate up --allow-changed)`,
            );
          }
        }
      }
      const appliedNames = new Set(applied.map((r) => r.name));
      const batch = Math.max(0, ...applied.map((r) => Number(r.batch))) + 1;
      const todo =
        direction === 'up'
          ? entries.filter((e) => !appliedNames.has(e.name)).slice(0, steps)
          : [...applied]
              .reverse()
              .slice(0, steps)
              .map((row) => {
                const entry = byName.get(row.name);
                if (entry === undefined) throw new MigrationError(`Cannot revert ${row.name}: its migration file is missing`);
                return entry;
              });

      for (const entry of todo) {
        const { migration } = entry;
        if (direction === 'down' && typeof migration.down !== 'function')
          throw new MigrationError(`${entry.name} has no down() and cannot be reverted`);
        const transactional = dialect.transactionalDDL && migration.transaction !== false;
        const ctx: MigrationContext = { db: conn, dialect, schema };
        // SQLite ignores PRAGMA foreign_keys inside a transaction: switch it off before, check after.
        const fkOff = dialect.name === 'sqlite' && migration.foreignKeys === false && Number(await conn.fetchVal('PRAGMA foreign_keys')) === 1;
        if (fkOff) await conn.execute('PRAGMA foreign_keys = OFF');
        if (transactional) await conn.execute(dialect.name === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN');
        try {
          // Inside the lock (and for SQLite inside the write lock): did another process get here first?
          const already =
            (await conn.fetchOne(`SELECT ${q('name')} FROM ${q(MIGRATIONS_TABLE)} WHERE ${q('name')} = %s`, entry.name)) !== null;
          if (already === (direction === 'up')) {
            if (transactional) await conn.execute('ROLLBACK');
            continue;
          }
          const checkForeignKeys = async (): Promise<void> => {
            if (!fkOff) return;
            const broken = await conn.fetchAll<{ table: string; parent: string }>('PRAGMA foreign_key_check');
            if (broken.length > 0)
              throw new Error(
                `foreign key check failed: ${broken.map((r) => `${r.table} → ${r.parent}`).join(', ')}`,
              );
          };
          if (direction === 'up') {
            await runSteps(await migration.up(ctx), conn);
            await checkForeignKeys();
            await conn.execute(
              `INSERT INTO ${q(MIGRATIONS_TABLE)} (${q('name')}, ${q('checksum')}, ${q('batch')}, ${q('applied_at')}) VALUES (%s, %s, %s, %s)`,
              entry.name,
              entry.checksum,
              batch,
              dialect.name === 'sqlite' ? new Date().toISOString() : new Date(),
            );
          } else {
            await runSteps(
              await (migration.down as (c: MigrationContext) => MigrationSteps | Promise<MigrationSteps>).call(migration, ctx),
              conn,
            );
            await checkForeignKeys();
            await conn.execute(`DELETE FROM ${q(MIGRATIONS_TABLE)} WHERE ${q('name')} = %s`, entry.name);
          }
          if (transactional) await conn.execute('COMMIT');
        } catch (err) {
          if (transactional) await conn.execute('ROLLBACK').catch(() => {});
          const message = err instanceof Error ? err.message : String(err);
          const note = transactional ? '' : ' (it ran without a transaction: check for partial changes)';
          throw new MigrationError(`Migration ${entry.name} ${direction} failed${note}: ${message}`, { cause: err });
        } finally {
          if (fkOff) await conn.execute('PRAGMA foreign_keys = ON');
        }
        done.push(entry.name);
        log(`${direction === 'up' ? 'applied' : 'reverted'} ${entry.name}`);
      }
    });
  });
  return { direction, migrations: done };
}

/**
 * Every migration with whether it is applied, when, in which batch, and whether its file
 * changed since (or is gone).
 *
 * @example
 * for (const m of await migrationStatus({ db })) console.log(m.applied ? '✓' : ' ', m.name)
 */
export async function migrationStatus(options: Omit<MigrateOptions, 'steps'> = {}): Promise<MigrationStatus[]> {
  return withDatabase('migrationStatus()', options, (db) => status(db, options));
}

async function status(db: MigrationDatabase, options: Omit<MigrateOptions, 'steps'>): Promise<MigrationStatus[]> {
  const entries = await collect(options);
  const applied = await db.pool.withConnection(async (conn) => {
    await ensureTable(conn, db.dialect);
    return appliedRows(conn, db.dialect);
  });
  const byName = new Map(applied.map((r) => [r.name, r]));
  const out: MigrationStatus[] = entries.map((e) => {
    const row = byName.get(e.name);
    return {
      name: e.name,
      applied: row !== undefined,
      appliedAt: row === undefined ? null : new Date(row.applied_at as string),
      batch: row === undefined ? null : Number(row.batch),
      changed: row !== undefined && row.checksum !== e.checksum,
      missing: false,
    };
  });
  for (const row of applied) {
    if (!entries.some((e) => e.name === row.name)) {
      out.push({
        name: row.name,
        applied: true,
        appliedAt: new Date(row.applied_at as string),
        batch: Number(row.batch),
        changed: false,
        missing: true,
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}
