import type { Dialect } from './drivers/dialect.js';
import { type CompiledSql, compileSql, joinPieces, TEMPLATE_MARK } from './sql-tokenizer.js';

/** A quoted identifier inside a `sql` template (`sql.id('users')`). */
class SqlIdentifier {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/** Something that can run a `SqlQuery` (a manager, transaction, session or connection). */
export interface SqlQueryRunner {
  fetchAll<T = Record<string, unknown>>(query: SqlQuery): Promise<T[]>;
}

const compiledTemplates = new WeakMap<TemplateStringsArray, Map<string, CompiledSql>>();

/**
 * A statement from the `sql` tagged template: text and values kept apart, so every `${value}` is
 * bound, never spliced in. Awaiting one from `db.sql` runs it and gives the rows; any query object
 * can also go to `fetchAll`/`fetchOne`/`fetchVal`/`execute`, or be nested in another template.
 *
 * @example
 * const rows = await db.sql`SELECT * FROM users WHERE id = ${id}`;
 * const one = await db.fetchOne(sql`SELECT * FROM users WHERE email = ${email}`);
 */
export class SqlQuery<T = Record<string, unknown>> implements PromiseLike<T[]> {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
  readonly #runner: SqlQueryRunner | null;
  readonly #template: TemplateStringsArray | null;

  constructor(strings: readonly string[], values: readonly unknown[], runner: SqlQueryRunner | null = null) {
    if (strings.length !== values.length + 1) throw new TypeError('SqlQuery needs one more string than values');
    this.strings = strings;
    this.values = values;
    this.#runner = runner;
    this.#template = Object.isFrozen(strings) && 'raw' in strings ? (strings as TemplateStringsArray) : null;
  }

  /** The statement for a dialect: text with its placeholders and the values in order. */
  compile(dialect: Dialect): { text: string; params: unknown[] } {
    const { pieces, values } = this.parts(dialect);
    return {
      text: joinPieces(
        pieces,
        values.map((_, i) => i),
        dialect,
      ),
      params: values,
    };
  }

  /** The text around each value (ILIKE rewritten, identifiers quoted) and the values. */
  parts(dialect: Dialect): { pieces: readonly string[]; values: unknown[] } {
    const simple = !this.values.some((v) => v instanceof SqlQuery || v instanceof SqlIdentifier);
    if (simple && this.#template !== null) {
      let perDialect = compiledTemplates.get(this.#template);
      if (perDialect === undefined) compiledTemplates.set(this.#template, (perDialect = new Map()));
      let compiled = perDialect.get(dialect.name);
      if (compiled === undefined) perDialect.set(dialect.name, (compiled = compileSql(this.strings.join(TEMPLATE_MARK), dialect, true)));
      return { pieces: compiled.pieces, values: [...this.values] };
    }
    const strings: string[] = [''];
    const values: unknown[] = [];
    this.#flatten(dialect, strings, values);
    return { pieces: compileSql(strings.join(TEMPLATE_MARK), dialect, true).pieces, values };
  }

  #flatten(dialect: Dialect, strings: string[], params: unknown[]): void {
    for (let i = 0; i < this.strings.length; i++) {
      strings[strings.length - 1] += this.strings[i] as string;
      if (i === this.values.length) break;
      const v = this.values[i];
      if (v instanceof SqlQuery) v.#flatten(dialect, strings, params);
      else if (v instanceof SqlIdentifier) strings[strings.length - 1] += dialect.quote(v.name);
      else {
        strings.push('');
        params.push(v);
      }
    }
  }

  // biome-ignore lint/suspicious/noThenProperty: a query object is awaitable by design (API.md)
  then<R1 = T[], R2 = never>(
    onfulfilled?: ((rows: T[]) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const runner = this.#runner;
    const run =
      runner === null
        ? Promise.reject(new TypeError('This query is not bound to a database: use db.sql`…`, or pass it to db.fetchAll()'))
        : runner.fetchAll<T>(this as SqlQuery);
    return run.then(onfulfilled, onrejected);
  }
}

/** The `sql` tag and its helpers. */
export interface SqlTag {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery<T>;
  /** Trusted SQL text spliced in as is (never pass user input). */
  raw(text: string): SqlQuery;
  /** A quoted identifier: `sql.id('users')` → `"users"` (`` `users` `` on MySQL). */
  id(name: string): unknown;
  /** Joins fragments or values with `separator` (default `, `): `IN (${sql.join(ids)})`. */
  join(items: readonly unknown[], separator?: string): SqlQuery;
}

/** Makes a `sql` tag whose queries run on `runner` when awaited (or unbound with `null`). */
export function createSqlTag(runner: SqlQueryRunner | null): SqlTag {
  const tag = (<T>(strings: TemplateStringsArray, ...values: unknown[]) => new SqlQuery<T>(strings, values, runner)) as SqlTag;
  tag.raw = (text) => new SqlQuery([text], [], runner);
  tag.id = (name) => new SqlIdentifier(name);
  tag.join = (items, separator = ', ') => {
    if (items.length === 0) throw new TypeError('sql.join() needs at least one item');
    return new SqlQuery(['', ...items.slice(1).map(() => separator), ''], items, runner);
  };
  return tag;
}

/**
 * The unbound `sql` tag: build a query object anywhere and run it with `db.fetchAll(query)`.
 *
 * @example
 * const byEmail = (email: string) => sql`SELECT * FROM users WHERE email = ${email}`;
 * await db.fetchOne(byEmail('ann@example.com'));
 */
export const sql: SqlTag = createSqlTag(null);
