import type { Dialect } from '../drivers/dialect.js';

/** A default computed by the database (written into the column's DDL, omitted from INSERTs). */
export class SqlDefault {
  readonly #sql: (dialect: Dialect) => string;

  constructor(sql: (dialect: Dialect) => string) {
    this.#sql = sql;
  }

  /** The default expression in a dialect. */
  toSQL(dialect: Dialect): string {
    return this.#sql(dialect);
  }
}

/**
 * Database-side defaults (SQLAlchemy's `func`).
 *
 * @example
 * createdAt: Column(DateTime, { default: func.now() })
 */
export const func = {
  /** The current timestamp, set by the database when the row is inserted. */
  now: (): SqlDefault => new SqlDefault((d) => d.now),
  /** Any trusted SQL expression, the same in every dialect (never user input). */
  sql: (expression: string): SqlDefault => new SqlDefault(() => `(${expression})`),
} as const;
