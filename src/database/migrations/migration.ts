import type { Dialect } from '../drivers/dialect.js';
import type { Queryable } from '../queryable.js';
import type { SchemaBuilder } from './schema-builder.js';

/** What `up()`/`down()` receive: where to run, the dialect, and DDL helpers. */
export interface MigrationContext {
  /** Runs statements inside the migration's transaction (or on its connection when it has none). */
  readonly db: Queryable;
  readonly dialect: Dialect;
  /** Dialect-aware DDL: `schema.createTable('users', { id: Column(Integer, { primaryKey: true }) })`. */
  readonly schema: SchemaBuilder;
}

/** What a step returns: SQL (one string, possibly several statements, or a list), or nothing when it ran its own queries. */
// biome-ignore lint/suspicious/noConfusingVoidType: up() may be an async function that returns nothing
export type MigrationSteps = string | readonly string[] | undefined | void;

/**
 * One schema change. `up()` applies it and `down()` reverts it, each returning SQL or running
 * queries through `ctx.db`. Files live in `migrations/NNNN_description.{ts,js}` and
 * default-export the class. Each migration runs in its own transaction where the dialect allows
 * (PostgreSQL, SQLite; MySQL commits DDL implicitly); set `transaction = false` for statements
 * that refuse one (`CREATE INDEX CONCURRENTLY`).
 *
 * @example
 * export default class CreateUsersTable extends Migration {
 *   up() { return 'CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL)'; }
 *   down() { return 'DROP TABLE users;'; }
 * }
 */
export abstract class Migration {
  /** Run inside a transaction where the dialect allows. */
  transaction = true;

  /**
   * SQLite only: `false` turns foreign key enforcement off while the migration runs (before its
   * transaction: SQLite ignores the switch inside one) and checks every foreign key
   * (`PRAGMA foreign_key_check`) before it commits, failing the migration on a violation. A table
   * rebuild (new table, copy, drop the old one, rename) needs it: dropping a table that others
   * reference would otherwise run their `ON DELETE` actions. `covet migrate make` sets it.
   */
  foreignKeys = true;

  abstract up(ctx: MigrationContext): MigrationSteps | Promise<MigrationSteps>;

  /**
   * Reverts `up()`. Abstract like `up()` (so subclasses need no `override`); a migration that
   * cannot be reverted throws here, e.g. `throw new MigrationError('irreversible')`.
   */
  abstract down(ctx: MigrationContext): MigrationSteps | Promise<MigrationSteps>;
}
