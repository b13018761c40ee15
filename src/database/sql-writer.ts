import type { Dialect } from './drivers/dialect.js';
import { SqlQuery } from './sql-query.js';
import { compileCached } from './sql-tokenizer.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|\*))?$|^\*$/;
const ALIASED = /^([A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?)\s+as\s+([A-Za-z_][A-Za-z0-9_$]*)$/i;

/** Throws unless `name` is a column or table name (`a`, `t.a`, `t.*`, `a AS b`): what `SqlWriter.id` accepts. */
export function assertIdentifier(name: unknown): void {
  if (typeof name !== 'string' || (!IDENT.test(name) && !ALIASED.test(name))) {
    throw new TypeError(`${JSON.stringify(name)} is not a column or table name; write expressions with sql\`…\` or sql.raw()`);
  }
}

/**
 * Builds one statement for a dialect: text plus bound values, placeholders numbered as it goes.
 * Identifiers are always quoted; raw fragments are tokenized (their `%s`/`?`/`$1` placeholders
 * renumbered, `ILIKE` rewritten) and their values bound, never spliced into the text.
 */
export class SqlWriter {
  readonly dialect: Dialect;
  text = '';
  readonly params: unknown[] = [];

  constructor(dialect: Dialect) {
    this.dialect = dialect;
  }

  write(text: string): this {
    this.text += text;
    return this;
  }

  /** A quoted identifier; `table.column` and `name AS alias` are accepted, anything else is refused. */
  id(name: string): this {
    if (IDENT.test(name)) {
      this.text += this.dialect.quote(name);
      return this;
    }
    const m = ALIASED.exec(name);
    if (m !== null) {
      this.text += `${this.dialect.quote(m[1] as string)} AS ${this.dialect.quote(m[2] as string)}`;
      return this;
    }
    throw new TypeError(`${JSON.stringify(name)} is not a column or table name; write expressions with sql\`…\` or sql.raw()`);
  }

  /** A bound value (a `sql` query object is inlined as a sub-expression). */
  value(v: unknown): this {
    if (v === undefined) throw new TypeError('A value is undefined; pass null for SQL NULL');
    if (v instanceof SqlQuery) return this.fragment(v, []);
    this.params.push(v);
    this.text += this.dialect.numberedPlaceholders ? `$${this.params.length}` : '?';
    return this;
  }

  /** A raw SQL fragment with its own placeholders and values, or a `sql` query object. */
  fragment(statement: string | SqlQuery<unknown>, params: readonly unknown[]): this {
    if (statement instanceof SqlQuery) {
      if (params.length > 0) throw new TypeError('A sql`…` query carries its own values; pass no extra parameters');
      const { pieces, values } = statement.parts(this.dialect);
      this.text += pieces[0] ?? '';
      for (let k = 0; k < values.length; k++) {
        this.value(values[k]);
        this.text += pieces[k + 1] ?? '';
      }
      return this;
    }
    if (typeof statement !== 'string') throw new TypeError('A condition is a SQL string, a sql`…` query or an object');
    const compiled = compileCached(statement, this.dialect);
    if (params.length !== compiled.expected) {
      throw new TypeError(
        `${JSON.stringify(statement)} has ${compiled.expected} placeholder(s) but ${params.length} parameter(s) were given`,
      );
    }
    this.text += compiled.pieces[0] ?? '';
    for (let k = 0; k < compiled.indices.length; k++) {
      this.value(params[compiled.indices[k] as number]);
      this.text += compiled.pieces[k + 1] ?? '';
    }
    return this;
  }

  /** `a, b, c` from a list, writing each with `each`. */
  list<T>(items: readonly T[], each: (item: T) => void, separator = ', '): this {
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.text += separator;
      each(items[i] as T);
    }
    return this;
  }
}
