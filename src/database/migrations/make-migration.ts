import type { ColumnInfo, Dialect, IndexInfo, TableInfo } from '../drivers/dialect.js';
import type { Queryable } from '../queryable.js';
import { metaOf, resolveReference } from '../orm/model-meta.js';
import type { ColumnDef, ColumnOptions } from '../orm/column.js';
import { type ColumnSpec, createTableStatements, defaultSql, defaultValue, indexName } from '../orm/schema-sql.js';
import type { ModelClass } from '../orm/types.js';
import { sortByDependencies } from '../model-registry.js';
import { createMigration } from './migration-files.js';
import { type LintIssue, lintSql } from './migration-lint.js';
import { MIGRATIONS_TABLE } from './migrator.js';
import { addedColumnIndexes, SchemaBuilder, sqliteExpressionDefault } from './schema-builder.js';

/** What `makeMigration` found. */
export interface SchemaDiff {
  /** Statements that bring the database to the models. */
  readonly up: string[];
  /** Statements that undo `up`. */
  readonly down: string[];
  /** Differences it does not write (all of) the SQL for (a SQLite column's UNIQUE loss, SQLite changes when `dropColumns: false` keeps columns, primary key types), as notes. */
  readonly notes: string[];
  /** The migration lint on `up`. */
  readonly issues: LintIssue[];
  /** SQLite tables `up` rebuilds (new table, copy, drop, rename): the migration runs with `foreignKeys = false`. */
  readonly rebuilt: string[];
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
 * tables, new columns, dropped columns, type changes and NOT NULL changes, and `index`/`unique`
 * changes on existing columns. On SQLite, what `ALTER TABLE` cannot do there (type, nullability,
 * dropping a UNIQUE or multi-column-indexed column, a new column with an expression default) is
 * one table rebuild per table (see `sqliteRebuild`). Tables without a model are left
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
  const rebuilt: string[] = [];
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
    const liveIndexes = await dialect.indexesOf(db, meta.table);
    if (dialect.name === 'sqlite' && needsRebuild(meta.columns, table, liveColumns, liveIndexes, options.dropColumns ?? true, dialect)) {
      const rebuild = await sqliteRebuild(db, schema, meta.table, meta.columns, liveColumns, liveIndexes);
      up.push(...rebuild.up);
      down.unshift(...rebuild.down);
      rebuilt.push(meta.table);
      continue;
    }
    for (const c of meta.columns) {
      const existing = liveColumns.get(c.name);
      if (existing === undefined) {
        up.push(...schema.addColumn(meta.table, c.name, c.def));
        down.unshift(schema.dropColumn(meta.table, c.name));
        for (const index of addedColumnIndexes(dialect, meta.table, c.name, c.def)) down.unshift(schema.dropIndex(index.name, meta.table));
        const expression = sqliteExpressionDefault(dialect, c.def);
        if (expression !== null)
          notes.push(
            `${meta.table}.${c.name}: SQLite cannot add a column with a non-constant default (${expression}), so it is added nullable and without a database default, and the rows already there get the value (UPDATE). The ORM leaves such a column out of its INSERTs for the database to fill: rows inserted later hold NULL unless they set it. For the default${c.def.nullable ? '' : ' and NOT NULL'}, rebuild the table by hand (CREATE TABLE new, INSERT INTO new SELECT …, DROP TABLE old, ALTER TABLE new RENAME TO old).`,
          );
        continue;
      }
      let modified = false;
      // NULL → NOT NULL with a default: rows written before hold NULL, which SET NOT NULL (and
      // MySQL's MODIFY … NOT NULL) refuses. Give them the default first, as Django does.
      const fill =
        c.def.primaryKey || !existing.nullable || c.def.nullable || dialect.name === 'sqlite' ? null : defaultSql(c.def, dialect);
      if (fill !== null) up.push(`UPDATE ${q(meta.table)} SET ${q(c.name)} = ${fill} WHERE ${q(c.name)} IS NULL`);
      if (typeChanged(c, existing, dialect, mariadb)) {
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
      if (!c.def.primaryKey) diffIndexes(schema, meta.table, c.name, c.def, liveIndexes, up, down, notes);
    }
    if (options.dropColumns ?? true) {
      for (const existing of table.columns) {
        if (meta.columns.some((c) => c.name === existing.name)) continue;
        // SQLite refuses to drop an indexed column; the others drop its indexes with it, and
        // down() must put them back.
        for (const index of liveIndexes) {
          if (index.origin !== 'index' || index.columns.length !== 1 || index.columns[0] !== existing.name) continue;
          up.push(schema.dropIndex(index.name, meta.table));
          down.unshift(schema.createIndex(meta.table, [existing.name], { unique: index.unique, name: index.name }));
        }
        up.push(schema.dropColumn(meta.table, existing.name));
        down.unshift(
          `ALTER TABLE ${q(meta.table)} ADD COLUMN ${q(existing.name)} ${existing.type.toUpperCase()}${existing.default === null ? '' : ` DEFAULT ${defaultValue(existing.type, existing.default, dialect)}`}`,
        );
      }
    }
  }
  return { up, down, notes, issues: lintSql(up, dialect), rebuilt };
}

/** Whether the model's column has another type than the live one (loosely: see `normalizeType`). */
function typeChanged(c: ColumnSpec, existing: ColumnInfo, dialect: Dialect, mariadb: boolean): boolean {
  const wanted = normalizeType(
    c.def.autoIncrement ? dialect.columnType(c.def.type.kind === 'bigint' ? 'bigint' : 'integer') : c.def.type.sqlType(dialect),
    dialect,
    mariadb,
  );
  const actual = normalizeType(existing.type, dialect, mariadb);
  return wanted !== actual && !(c.def.autoIncrement && /int/.test(actual));
}

/**
 * SQLite: whether the model needs what `ALTER TABLE` cannot do there — a type or nullability
 * change, a new column with a non-constant default, or dropping a column that has `UNIQUE` or is
 * part of a multi-column index. Not when columns the model lacks are to be kept (`dropColumns:
 * false`): the rebuild would lose them, so those differences stay notes.
 */
function needsRebuild(
  columns: readonly ColumnSpec[],
  table: TableInfo,
  live: ReadonlyMap<string, ColumnInfo>,
  liveIndexes: readonly IndexInfo[],
  dropColumns: boolean,
  dialect: Dialect,
): boolean {
  const extra = table.columns.filter((e) => !columns.some((c) => c.name === e.name));
  if (extra.length > 0 && !dropColumns) return false;
  for (const c of columns) {
    const existing = live.get(c.name);
    if (existing === undefined) {
      if (sqliteExpressionDefault(dialect, c.def) !== null) return true;
    } else if (typeChanged(c, existing, dialect, false) || (!c.def.primaryKey && existing.nullable !== c.def.nullable)) return true;
  }
  return extra.some((e) => liveIndexes.some((i) => i.columns.includes(e.name) && (i.origin === 'unique' || i.columns.length > 1)));
}

/** `CREATE TABLE <name>` (with `IF NOT EXISTS`) at the start of a stored statement, name and all. */
const CREATE_TABLE_NAME = /^CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|'(?:[^']|'')*'|[^\s(]+)\s*/i;

/**
 * The SQLite table rebuild (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of
 * Table Schema Changes"): `CREATE TABLE "new_<t>"` with the model's definition, copy the rows
 * (a column becoming NOT NULL takes the model's default where it holds NULL), drop the old table,
 * rename the new one, and create the model's indexes and the hand-made ones whose columns remain.
 * `down` rebuilds the table back from its live `CREATE TABLE` and `CREATE INDEX` statements. The
 * migration runs with foreign keys off and checks them before it commits (`foreignKeys = false`).
 */
async function sqliteRebuild(
  db: Queryable,
  schema: SchemaBuilder,
  table: string,
  columns: readonly ColumnSpec[],
  live: ReadonlyMap<string, ColumnInfo>,
  liveIndexes: readonly IndexInfo[],
): Promise<{ up: string[]; down: string[] }> {
  const dialect = schema.dialect;
  const q = dialect.quote;
  const temp = `new_${table}`;
  const kept = columns.filter((c) => live.has(c.name));
  const names = kept.map((c) => q(c.name)).join(', ');
  const values = kept.map((c) => {
    const d = defaultSql(c.def, dialect);
    return !c.def.primaryKey && live.get(c.name)?.nullable && !c.def.nullable && d !== null ? `COALESCE(${q(c.name)}, ${d})` : q(c.name);
  });
  const swap = (create: string, from: string[], to: string[]): string[] => [
    create,
    `INSERT INTO ${q(temp)} (${to.join(', ')}) SELECT ${from.join(', ')} FROM ${q(table)}`,
    `DROP TABLE ${q(table)}`,
    `ALTER TABLE ${q(temp)} RENAME TO ${q(table)}`,
  ];
  const stored = await db.fetchAll<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
    table,
  );
  const ormIndex = (i: IndexInfo): boolean =>
    i.columns.length === 1 && (i.name === indexName(table, i.columns[0] as string) || i.name === indexName(table, i.columns[0] as string, true));
  const modelColumns = new Set(columns.map((c) => c.name));
  const handMade = stored.filter((s) => {
    const i = liveIndexes.find((x) => x.name === s.name);
    // An expression or partial index (not in indexesOf) is kept as written.
    return i === undefined || (!ormIndex(i) && i.columns.every((c) => modelColumns.has(c)));
  });
  const up = swap(createTableStatements(temp, columns, dialect, resolveReference)[0] as string, values, kept.map((c) => q(c.name)));
  for (const c of columns)
    if (c.def.options.index && !c.def.options.unique && !c.def.primaryKey) up.push(schema.createIndex(table, [c.name], { name: indexName(table, c.name) }));
  up.push(...handMade.map((s) => s.sql));
  const createOld = String(await db.fetchVal("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", table));
  const down = swap(createOld.replace(CREATE_TABLE_NAME, `CREATE TABLE ${q(temp)} `), [names], [names]);
  down.push(...stored.map((s) => s.sql));
  return { up, down };
}

/**
 * A column's `unique`/`index` against its live one-column indexes, as `createTable` makes them:
 * `unique: true` wants a unique index (any: a column's `UNIQUE` constraint counts), else
 * `index: true` wants an index. A missing one is created with the ORM's name (`ux_<table>_<col>`,
 * `ix_<table>_<col>`); one the model no longer asks for is dropped when the ORM made it (those
 * names, or a column's `UNIQUE` constraint), never an index created by hand under another name.
 */
function diffIndexes(
  schema: SchemaBuilder,
  table: string,
  column: string,
  def: ColumnDef<unknown, ColumnOptions>,
  live: readonly IndexInfo[],
  up: string[],
  down: string[],
  notes: string[],
): void {
  const dialect = schema.dialect;
  const q = dialect.quote;
  const wantUnique = def.options.unique === true;
  const wantIndex = def.options.index === true && !wantUnique;
  const on = live.filter((i) => i.origin !== 'primary' && i.columns.length === 1 && i.columns[0] === column);
  const unwanted = on.filter((i) =>
    i.unique ? !wantUnique && (i.origin === 'unique' || i.name === indexName(table, column, true)) : !wantIndex && i.name === indexName(table, column),
  );
  // MySQL refuses to drop the last index a foreign key can use.
  if (dialect.name === 'mysql' && def.type.references !== undefined) {
    const others = live.filter((i) => i.columns[0] === column && !unwanted.includes(i));
    if (others.length === 0 && unwanted.length > 0) {
      const last = unwanted.pop() as IndexInfo;
      notes.push(`${table}.${column}: index ${last.name} kept: MySQL needs an index on a foreign key column.`);
    }
  }
  const kept = on.filter((i) => !unwanted.includes(i));
  if (wantUnique && !kept.some((i) => i.unique)) {
    const name = indexName(table, column, true);
    up.push(schema.createIndex(table, [column], { unique: true, name }));
    down.unshift(schema.dropIndex(name, table));
  } else if (wantIndex && kept.length === 0) {
    const name = indexName(table, column);
    up.push(schema.createIndex(table, [column], { name }));
    down.unshift(schema.dropIndex(name, table));
  }
  for (const index of unwanted) {
    if (index.origin === 'unique' && dialect.name === 'sqlite') {
      notes.push(
        `${table}.${column}: the model no longer says unique, but the column's UNIQUE constraint is part of the table on SQLite (${index.name}); dropping it needs a table rebuild by hand.`,
      );
    } else if (index.origin === 'unique' && dialect.name === 'postgresql') {
      up.push(`ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(index.name)}`);
      down.unshift(`ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(index.name)} UNIQUE (${q(column)})`);
    } else {
      up.push(schema.dropIndex(index.name, table));
      down.unshift(schema.createIndex(table, [column], { unique: index.unique, name: index.name }));
    }
  }
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
    ...diff.rebuilt.map(
      (t) =>
        `NOTE ${t}: rebuilt (SQLite cannot ALTER it so): the rows are copied to "new_${t}", the old table dropped and the new one renamed; foreign keys are off meanwhile and checked before commit.`,
    ),
  ];
  const file = await createMigration(options.name, {
    ...(options.directory === undefined ? {} : { directory: options.directory }),
    ...(options.language === undefined ? {} : { language: options.language }),
    ...(options.importFrom === undefined ? {} : { importFrom: options.importFrom }),
    up: diff.up,
    down: diff.down,
    header,
    ...(diff.rebuilt.length > 0 ? { foreignKeys: false } : {}),
  });
  return { ...diff, file };
}
