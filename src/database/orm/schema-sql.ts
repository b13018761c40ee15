import type { Dialect } from '../drivers/dialect.js';
import type { ColumnDef, ColumnOptions } from './column.js';
import type { ModelRef } from './column-type.js';

/** A column as DDL needs it: database name and definition. */
export interface ColumnSpec {
  readonly name: string;
  readonly def: ColumnDef<unknown, ColumnOptions>;
}

/** Resolves a foreign key target to `[table, column]`. */
export type ReferenceResolver = (target: string | ModelRef) => readonly [string, string];

/** A literal for a DDL `DEFAULT` (developer-written values, still escaped). */
export function sqlLiteral(value: unknown, dialect: Dialect): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`A default of ${value} cannot be written in SQL`);
    return String(value);
  }
  if (typeof value === 'boolean') return dialect.name === 'postgresql' ? (value ? 'TRUE' : 'FALSE') : value ? '1' : '0';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  const escaped = text.replace(/'/g, "''");
  return `'${dialect.backslashEscapes ? escaped.replace(/\\/g, '\\\\') : escaped}'`;
}

/** `"name" TYPE [NOT NULL] [UNIQUE] [DEFAULT …]` (or the auto-increment primary key form). */
export function columnSql(spec: ColumnSpec, dialect: Dialect): string {
  const { def } = spec;
  const name = dialect.quote(spec.name);
  if (def.autoIncrement) return `${name} ${dialect.autoIncrementPrimaryKey(def.type.kind === 'bigint' ? 'bigint' : 'integer')}`;
  let out = `${name} ${def.type.sqlType(dialect)}`;
  // SQLite ignores VARCHAR(n)'s length: a CHECK keeps raw SQL within it too.
  if (dialect.name === 'sqlite' && def.type.kind === 'string' && def.type.length !== undefined)
    out += ` CHECK (length(${name}) <= ${def.type.length})`;
  if (def.primaryKey) out += ' PRIMARY KEY';
  else if (!def.nullable) out += ' NOT NULL';
  if (def.options.unique && !def.primaryKey) out += ' UNIQUE';
  const d = defaultSql(def, dialect);
  if (d !== null) out += ` DEFAULT ${d}`;
  return out;
}

/** The SQL of a column's database default (a value or `func.…`), or null (none, or a function called at insert time). */
export function defaultSql(def: ColumnSpec['def'], dialect: Dialect): string | null {
  const d = def.options.default;
  if (d === undefined || typeof d === 'function') return null;
  return typeof (d as { toSQL?: unknown }).toSQL === 'function'
    ? (d as { toSQL(dl: Dialect): string }).toSQL(dialect)
    : defaultValue(def.type.sqlType(dialect), sqlLiteral(d, dialect), dialect);
}

const MYSQL_EXPRESSION_ONLY = /^(?:(?:tiny|medium|long)?(?:text|blob)|json|geometry)\b/i;

/**
 * A literal default as a column of `sqlType` takes it: MySQL 8 refuses a literal `DEFAULT` on
 * TEXT, BLOB and JSON columns (NULL aside) and takes it as an expression in parentheses
 * (8.0.13+; MariaDB reads both).
 */
export function defaultValue(sqlType: string, literal: string, dialect: Dialect): string {
  return dialect.name === 'mysql' && MYSQL_EXPRESSION_ONLY.test(sqlType) && literal !== 'NULL' && !literal.startsWith('(') ? `(${literal})` : literal;
}

/** `FOREIGN KEY ("col") REFERENCES "table" ("id") [ON DELETE …]` for a column, or null. */
export function foreignKeySql(spec: ColumnSpec, dialect: Dialect, resolve: ReferenceResolver): string | null {
  const ref = spec.def.type.references;
  if (ref === undefined) return null;
  const [table, column] = resolve(ref.target);
  let out = `FOREIGN KEY (${dialect.quote(spec.name)}) REFERENCES ${dialect.quote(table)} (${dialect.quote(column)})`;
  if (ref.onDelete !== undefined) out += ` ON DELETE ${ref.onDelete.toUpperCase()}`;
  if (ref.onUpdate !== undefined) out += ` ON UPDATE ${ref.onUpdate.toUpperCase()}`;
  return out;
}

/**
 * The name Covet gives a column's index: `ix_<table>_<column>` for `index: true`, and
 * `ux_<table>_<column>` for a unique index it creates for `unique: true` (when `UNIQUE` cannot be
 * part of the column's definition: an existing column, or `ADD COLUMN` on SQLite).
 */
export function indexName(table: string, column: string, unique = false): string {
  return `${unique ? 'ux' : 'ix'}_${table}_${column}`;
}

/**
 * `CREATE TABLE` (and `CREATE INDEX` for `index: true` columns) for a dialect; foreign keys as
 * table constraints (MySQL ignores inline `REFERENCES`).
 */
export function createTableStatements(
  table: string,
  columns: readonly ColumnSpec[],
  dialect: Dialect,
  resolve: ReferenceResolver,
  ifNotExists = false,
): string[] {
  const parts = columns.map((c) => columnSql(c, dialect));
  for (const c of columns) {
    const fk = foreignKeySql(c, dialect, resolve);
    if (fk !== null) parts.push(fk);
  }
  const indexed = columns.filter((c) => c.def.options.index && !c.def.options.unique && !c.def.primaryKey);
  if (dialect.name === 'mysql')
    for (const c of indexed) parts.push(`INDEX ${dialect.quote(indexName(table, c.name))} (${dialect.quote(c.name)})`);
  const statements = [`CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${dialect.quote(table)} (\n  ${parts.join(',\n  ')}\n)`];
  if (dialect.name !== 'mysql') {
    for (const c of indexed) {
      statements.push(
        `CREATE INDEX ${ifNotExists ? 'IF NOT EXISTS ' : ''}${dialect.quote(indexName(table, c.name))} ON ${dialect.quote(table)} (${dialect.quote(c.name)})`,
      );
    }
  }
  return statements;
}
