import type { ColumnInfo, Dialect, TableInfo } from '../drivers/dialect.js';
import type { Queryable } from '../queryable.js';
import { metaOf, resolveReference } from '../orm/model-meta.js';
import { createTableStatements, defaultSql, defaultValue } from '../orm/schema-sql.js';
import type { ModelClass } from '../orm/types.js';
import { sortByDependencies } from '../model-registry.js';
import { createMigration } from './migration-files.js';
import { type LintIssue, lintSql } from './migration-lint.js';
import { MIGRATIONS_TABLE } from './migrator.js';
import { addedColumnIndexes, SchemaBuilder } from './schema-builder.js';

/** What `makeMigration` found. */
export interface SchemaDiff {
  /** Statements that bring the database to the models. */
  readonly up: string[];
  /** Statements that undo `up`. */
  readonly down: string[];
  /** Differences it does not write SQL for (SQLite type and nullability changes, primary key types), as notes. */
  readonly notes: string[];
  /** The migration lint on `up`. */
  readonly issues: LintIssue[];
}

/** Options of `makeMigration`. */
export interface MakeMigrationOptions {
  readonly db: Queryable;
  readonly models: readonly ModelClass[];
  /** Also drop columns the models no longer have (default `true`; the lint flags it). */
  readonly dropColumns?: boolean;
}

/** A loose spelling of a type for comparison across what DDL says and what the catalog reports. */
function normalizeType(type: string, dialect: Dialect, mariadb: boolean): string {
  let t = type.toLowerCase().replace(/\s+/g, ' ').trim();
  const aliases: Record<string, string> = {
    'character varying': 'varchar',
    'timestamp with time zone': 'timestamptz',
    'double precision': 'double',
    int: 'integer',
    int4: 'integer',
    int8: 'bigint',
    bool: 'boolean',
    real: dialect.name === 'sqlite' ? 'real' : 'float',
  };
  t = t.replace(/^([a-z ]+?)(\(.*\))?$/, (_, base: string, args: string | undefined) => `${aliases[base] ?? base}${args ?? ''}`);
  if (dialect.name === 'mysql')
    t = t
      .replace(/^int\(\d+\)$/, 'integer')
      .replace(/^integer\(\d+\)$/, 'integer')
      .replace(/^bigint\(\d+\)$/, 'bigint')
      .replace(/^tinyint\(1\)$/, 'boolean');
  // MariaDB's JSON is LONGTEXT with a check: the catalog cannot tell a Json column from a Text one
  // there (MySQL reports json), so both compare as json and neither is "changed" to the other.
  if (mariadb && t === 'longtext') t = 'json';
  return t;
}

/**
 * Compares the models with the live schema and returns the DDL that makes them match: new
 * tables, new columns, dropped columns, type changes and NOT NULL changes (PostgreSQL, MySQL;
 * on SQLite those two are notes: they need a table rebuild). Tables without a model are left
 * alone. The lint on `up` flags what is destructive or locks a table.
 *
 * @example
 * const diff = await diffSchema({ db, models: [User, Post] });
 * diff.up // ['ALTER TABLE "users" ADD COLUMN "age" INTEGER']
 */
export async function diffSchema(options: MakeMigrationOptions): Promise<SchemaDiff> {
  const { db } = options;
  const dialect = db.dialect;
  const schema = new SchemaBuilder(dialect);
  const q = dialect.quote;
  const live = new Map<string, TableInfo>((await dialect.introspect(db)).map((t) => [t.name, t]));
  const mariadb = dialect.name === 'mysql' && /mariadb/i.test(String(await db.fetchVal('SELECT VERSION()')));
  const up: string[] = [];
  const down: string[] = [];
  const notes: string[] = [];
  for (const model of sortByDependencies(options.models) as ModelClass[]) {
    const meta = metaOf(model);
    if (meta.table === MIGRATIONS_TABLE) continue;
    const table = live.get(meta.table);
    if (table === undefined) {
      up.push(...createTableStatements(meta.table, meta.columns, dialect, resolveReference));
      down.unshift(schema.dropTable(meta.table));
      continue;
    }
    const liveColumns = new Map<string, ColumnInfo>(table.columns.map((c) => [c.name, c]));
    for (const c of meta.columns) {
      const existing = liveColumns.get(c.name);
      if (existing === undefined) {
        up.push(...schema.addColumn(meta.table, c.name, c.def));
        down.unshift(schema.dropColumn(meta.table, c.name));
        for (const index of addedColumnIndexes(dialect, meta.table, c.name, c.def)) down.unshift(schema.dropIndex(index.name, meta.table));
        continue;
      }
      const wanted = normalizeType(
        c.def.autoIncrement ? dialect.columnType(c.type.kind === 'bigint' ? 'bigint' : 'integer') : c.type.sqlType(dialect),
        dialect,
        mariadb,
      );
      const actual = normalizeType(existing.type, dialect, mariadb);
      let modified = false;
      // NULL → NOT NULL with a default: rows written before hold NULL, which SET NOT NULL (and
      // MySQL's MODIFY … NOT NULL) refuses. Give them the default first, as Django does.
      const fill =
        c.def.primaryKey || !existing.nullable || c.def.nullable || dialect.name === 'sqlite' ? null : defaultSql(c.def, dialect);
      if (fill !== null) up.push(`UPDATE ${q(meta.table)} SET ${q(c.name)} = ${fill} WHERE ${q(c.name)} IS NULL`);
      if (wanted !== actual && !(c.def.autoIncrement && /int/.test(actual))) {
        const says = `${meta.table}.${c.name}: the database has ${existing.type}, the model says ${c.type.sqlType(dialect)}`;
        if (dialect.name === 'sqlite') {
          notes.push(
            `${says}. Not changed: SQLite keeps each value as stored whatever the declared type, so the app works on; to change the declared type, rebuild the table by hand (CREATE TABLE new, INSERT INTO new SELECT …, DROP TABLE old, ALTER TABLE new RENAME TO old).`,
          );
        } else if (c.def.primaryKey) {
          notes.push(
            `${says}. Not changed: a primary key's type change also touches the foreign keys that reference it; write it by hand.`,
          );
        } else {
          // MySQL's MODIFY restates nullability too: one statement for both changes.
          up.push(schema.alterColumnType(meta.table, c.name, c.def));
          down.unshift(
            schema.alterColumnType(meta.table, c.name, { sqlType: existing.type, nullable: existing.nullable, default: existing.default }),
          );
          modified = dialect.name === 'mysql';
        }
      }
      if (!c.def.primaryKey && existing.nullable !== c.def.nullable && !modified) {
        if (dialect.name === 'sqlite')
          notes.push(`${meta.table}.${c.name}: nullability differs; SQLite needs a table rebuild to change it`);
        else if (dialect.name === 'mysql') {
          // MODIFY restates the whole column: with the model's default, and back to the old one.
          up.push(schema.alterColumnType(meta.table, c.name, c.def));
          down.unshift(
            schema.alterColumnType(meta.table, c.name, { sqlType: existing.type, nullable: existing.nullable, default: existing.default }),
          );
        } else {
          if (fill !== null && existing.default === null) {
            up.push(`ALTER TABLE ${q(meta.table)} ALTER COLUMN ${q(c.name)} SET DEFAULT ${fill}`);
            down.unshift(`ALTER TABLE ${q(meta.table)} ALTER COLUMN ${q(c.name)} DROP DEFAULT`);
          }
          up.push(schema.setNullable(meta.table, c.name, c.def.nullable, c.def));
          down.unshift(schema.setNullable(meta.table, c.name, existing.nullable, c.def));
        }
      }
    }
    if (options.dropColumns ?? true) {
      for (const existing of table.columns) {
        if (meta.columns.some((c) => c.name === existing.name)) continue;
        up.push(schema.dropColumn(meta.table, existing.name));
        down.unshift(
          `ALTER TABLE ${q(meta.table)} ADD COLUMN ${q(existing.name)} ${existing.type.toUpperCase()}${existing.default === null ? '' : ` DEFAULT ${defaultValue(existing.type, existing.default, dialect)}`}`,
        );
      }
    }
  }
  return { up, down, notes, issues: lintSql(up, dialect) };
}

/** Options of `makeMigration`. */
export interface MakeMigrationFileOptions extends MakeMigrationOptions {
  readonly name: string;
  /** Default `migrations`. */
  readonly directory?: string;
  readonly language?: 'ts' | 'js';
  readonly importFrom?: string;
}

/**
 * `covet migrate make NAME`: diffs the models against the live schema and writes a migration
 * with the `up`/`down` SQL, the lint's findings and the notes as comments. Returns `null` (and
 * writes nothing) when there is no difference.
 *
 * @example
 * const made = await makeMigration({ db, models: [User, Post], name: 'add age to users' });
 * made?.file // migrations/0002_add_age_to_users.ts
 */
export async function makeMigration(options: MakeMigrationFileOptions): Promise<(SchemaDiff & { readonly file: string }) | null> {
  const diff = await diffSchema(options);
  if (diff.up.length === 0 && diff.notes.length === 0) return null;
  const header = [
    `Generated by covet migrate make from the models against the live ${options.db.dialect.title} schema.`,
    'Review it before applying.',
    ...diff.issues.map((i) => `${i.severity.toUpperCase()} [${i.rule}] ${i.statement.split('\n')[0]} — ${i.message} ${i.suggestion}`),
    ...diff.notes.map((n) => `NOTE ${n}`),
  ];
  const file = await createMigration(options.name, {
    ...(options.directory === undefined ? {} : { directory: options.directory }),
    ...(options.language === undefined ? {} : { language: options.language }),
    ...(options.importFrom === undefined ? {} : { importFrom: options.importFrom }),
    up: diff.up,
    down: diff.down,
    header,
  });
  return { ...diff, file };
}
