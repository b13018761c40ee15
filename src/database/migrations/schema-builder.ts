import type { Dialect } from '../drivers/dialect.js';
import { ColumnDef, type ColumnOptions } from '../orm/column.js';
import { resolveReference } from '../orm/model-meta.js';
import { type ColumnSpec, columnSql, createTableStatements, defaultSql, defaultValue, foreignKeySql, indexName } from '../orm/schema-sql.js';
import type { Columns } from '../orm/types.js';

/** Options of `schema.createIndex`. */
export interface IndexOptions {
  readonly unique?: boolean;
  /** Default `ix_<table>_<columns>` (`ux_` when unique). */
  readonly name?: string;
  /** PostgreSQL `CONCURRENTLY` (needs a migration with `transaction = false`). */
  readonly concurrently?: boolean;
}

/**
 * DDL for the migration's dialect from ORM column definitions, so one migration runs on SQLite,
 * PostgreSQL and MySQL. Every method returns SQL; return it from `up()`/`down()`.
 *
 * @example
 * up({ schema }) {
 *   return schema.createTable('users', { id: Column(Integer, { primaryKey: true }), email: Column(String(255), { unique: true, nullable: false }) });
 * }
 */
export class SchemaBuilder {
  readonly dialect: Dialect;

  constructor(dialect: Dialect) {
    this.dialect = dialect;
  }

  #specs(columns: Columns): ColumnSpec[] {
    return Object.entries(columns).map(([prop, def]) => ({ name: def.options.name ?? prop, def }));
  }

  /** `CREATE TABLE` (+ indexes) for the columns. */
  createTable(table: string, columns: Columns, options: { readonly ifNotExists?: boolean } = {}): string[] {
    return createTableStatements(table, this.#specs(columns), this.dialect, resolveReference, options.ifNotExists ?? false);
  }

  /** `DROP TABLE`. */
  dropTable(table: string, options: { readonly ifExists?: boolean } = {}): string {
    return `DROP TABLE ${options.ifExists ? 'IF EXISTS ' : ''}${this.dialect.quote(table)}`;
  }

  /**
   * `ALTER TABLE … ADD COLUMN` (with its foreign key where the dialect allows adding one), then
   * the column's index as `createTable` makes it (`index: true`). SQLite cannot add a `UNIQUE`
   * column: there a unique column is added plain and gets a `CREATE UNIQUE INDEX`. Nor can it add
   * one whose default is an expression (`func.now()`, `func.sql(…)`): there the column is added
   * nullable and without a default, and the rows already there get the expression's value
   * (`UPDATE`), as they do from the default on PostgreSQL and MySQL.
   */
  addColumn(table: string, name: string, column: ColumnDef<unknown, ColumnOptions>): string[] {
    const q = this.dialect.quote;
    const columnName = column.options.name ?? name;
    const indexes = addedColumnIndexes(this.dialect, table, columnName, column);
    const expression = sqliteExpressionDefault(this.dialect, column);
    let def = column;
    if (indexes.some((i) => i.unique)) def = new ColumnDef(def.type, { ...def.options, unique: false });
    if (expression !== null) def = new ColumnDef(def.type, { ...def.options, default: undefined, nullable: true });
    const spec = { name: columnName, def };
    const out = [`ALTER TABLE ${q(table)} ADD COLUMN ${columnSql(spec, this.dialect)}`];
    const fk = foreignKeySql(spec, this.dialect, resolveReference);
    if (fk !== null) {
      if (this.dialect.name === 'sqlite') {
        // SQLite cannot add a constraint later, but takes REFERENCES on the new column.
        const [refTable, refColumn] = resolveReference((column.type.references as { target: string }).target);
        out[0] += ` REFERENCES ${q(refTable)} (${q(refColumn)})`;
      } else out.push(`ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(`fk_${table}_${spec.name}`)} ${fk}`);
    }
    if (expression !== null) out.push(`UPDATE ${q(table)} SET ${q(columnName)} = ${expression}`);
    for (const index of indexes) out.push(this.createIndex(table, [columnName], index));
    return out;
  }

  /** `ALTER TABLE … DROP COLUMN` (destructive: see the migration lint). */
  dropColumn(table: string, name: string): string {
    return `ALTER TABLE ${this.dialect.quote(table)} DROP COLUMN ${this.dialect.quote(name)}`;
  }

  /** `ALTER TABLE … RENAME COLUMN`. */
  renameColumn(table: string, from: string, to: string): string {
    return `ALTER TABLE ${this.dialect.quote(table)} RENAME COLUMN ${this.dialect.quote(from)} TO ${this.dialect.quote(to)}`;
  }

  /** Makes a column NOT NULL or nullable (MySQL needs its definition; SQLite needs a table rebuild). */
  setNullable(table: string, name: string, nullable: boolean, column?: ColumnDef<unknown, ColumnOptions>): string {
    const q = this.dialect.quote;
    switch (this.dialect.name) {
      case 'postgresql':
        return `ALTER TABLE ${q(table)} ALTER COLUMN ${q(name)} ${nullable ? 'DROP' : 'SET'} NOT NULL`;
      case 'mysql': {
        if (column === undefined) throw new TypeError('MySQL changes nullability with MODIFY COLUMN, which needs the column definition');
        return `ALTER TABLE ${q(table)} MODIFY COLUMN ${q(name)} ${column.type.sqlType(this.dialect)}${nullable ? ' NULL' : ' NOT NULL'}`;
      }
      default:
        throw new TypeError(
          `SQLite cannot change the nullability of ${table}.${name}: create a new table, copy the rows, drop the old one`,
        );
    }
  }

  /**
   * Changes a column's type to the column definition's (PostgreSQL `ALTER COLUMN … TYPE … USING
   * col::type`, MySQL `MODIFY COLUMN` with its nullability and default, which MODIFY restates).
   * Pass a raw SQL type as `to` for a type that is not an ORM column (a `down()` restoring the
   * old one). SQLite cannot change a declared type in place: it keeps every value as stored
   * whatever the declared type says, and a real change is a table rebuild (new table, copy,
   * drop, rename) — this throws there. The migration lint flags it: it rewrites the table
   * under a lock.
   *
   * @example
   * up({ schema }) { return schema.alterColumnType('users', 'age', Column(BigInteger)) }
   */
  alterColumnType(
    table: string,
    name: string,
    to: ColumnDef<unknown, ColumnOptions> | { readonly sqlType: string; readonly nullable: boolean; readonly default?: string | null },
  ): string {
    const q = this.dialect.quote;
    const raw = 'sqlType' in to;
    const type = raw ? to.sqlType : to.type.sqlType(this.dialect);
    switch (this.dialect.name) {
      case 'postgresql':
        return `ALTER TABLE ${q(table)} ALTER COLUMN ${q(name)} TYPE ${type} USING ${q(name)}::${type}`;
      case 'mysql': {
        let out = `ALTER TABLE ${q(table)} MODIFY COLUMN ${q(name)} ${type}${to.nullable ? ' NULL' : ' NOT NULL'}`;
        if (raw) {
          if (to.default !== undefined && to.default !== null) out += ` DEFAULT ${defaultValue(type, to.default, this.dialect)}`;
        } else {
          // MODIFY restates the whole column: keep the default (UNIQUE stays as its own index).
          const withDefault = columnSql({ name, def: to }, this.dialect).match(/ DEFAULT (.*)$/);
          if (withDefault !== null) out += ` DEFAULT ${withDefault[1]}`;
        }
        return out;
      }
      default:
        throw new TypeError(
          `SQLite cannot change the type of ${table}.${name} in place (it keeps values as stored whatever the declared type): rebuild the table — create the new one, copy the rows, drop the old one, rename`,
        );
    }
  }

  /** `CREATE [UNIQUE] INDEX` on columns. */
  createIndex(table: string, columns: readonly string[], options: IndexOptions = {}): string {
    const q = this.dialect.quote;
    const name = options.name ?? indexName(table, columns.join('_'), options.unique);
    const concurrently = options.concurrently && this.dialect.name === 'postgresql' ? 'CONCURRENTLY ' : '';
    return `CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX ${concurrently}${q(name)} ON ${q(table)} (${columns.map((c) => q(c)).join(', ')})`;
  }

  /** `DROP INDEX` (MySQL needs the table). */
  dropIndex(name: string, table?: string): string {
    const q = this.dialect.quote;
    if (this.dialect.name === 'mysql') {
      if (table === undefined) throw new TypeError('MySQL drops an index with its table: dropIndex(name, table)');
      return `DROP INDEX ${q(name)} ON ${q(table)}`;
    }
    return `DROP INDEX ${q(name)}`;
  }

  /** The index name `index: true` columns get (`ix_<table>_<column>`; `ux_…` for a unique one). */
  indexName(table: string, column: string, unique = false): string {
    return indexName(table, column, unique);
  }
}

/**
 * The indexes `addColumn` creates for a new column: `index: true` (`ix_<table>_<column>`, as
 * `createTable` names it) and, on SQLite, which cannot `ADD COLUMN … UNIQUE`, the unique
 * constraint as a unique index (`ux_<table>_<column>`). A migration's `down()` drops them before
 * the column: SQLite refuses to drop an indexed column.
 */
export function addedColumnIndexes(
  dialect: Dialect,
  table: string,
  column: string,
  def: ColumnDef<unknown, ColumnOptions>,
): { readonly name: string; readonly unique: boolean }[] {
  if (def.primaryKey) return [];
  if (def.options.unique) return dialect.name === 'sqlite' ? [{ name: indexName(table, column, true), unique: true }] : [];
  return def.options.index ? [{ name: indexName(table, column), unique: false }] : [];
}

/**
 * On SQLite, the default of a column that `ALTER TABLE … ADD COLUMN` refuses ("Cannot add a
 * column with non-constant default": an expression in parentheses, `CURRENT_TIMESTAMP`, …), as
 * SQL; `null` for a constant one, no default, or another database.
 */
export function sqliteExpressionDefault(dialect: Dialect, def: ColumnDef<unknown, ColumnOptions>): string | null {
  if (dialect.name !== 'sqlite') return null;
  const sql = defaultSql(def, dialect);
  return sql !== null && /^\(|^current_(?:time|date|timestamp)$/i.test(sql.trim()) ? sql : null;
}
