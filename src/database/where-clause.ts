import type { SqlQuery } from './sql-query.js';
import type { SqlWriter } from './sql-writer.js';

/** `{ column: value }`: `=`, `IS NULL` for null, `IN (…)` for arrays, a sub-expression for `sql` queries. */
export type WhereObject = Readonly<Record<string, unknown>>;

/** A condition as `where()` takes it. */
export type Condition =
  | { readonly kind: 'raw'; readonly sql: string | SqlQuery<unknown>; readonly params: readonly unknown[] }
  | { readonly kind: 'object'; readonly values: WhereObject };

/** The conditions of a statement, joined by AND/OR in the order given. */
export class WhereClause {
  readonly #items: { readonly op: 'AND' | 'OR'; readonly cond: Condition }[] = [];

  get empty(): boolean {
    return this.#items.length === 0;
  }

  /** The column names object-form conditions mention (checked against the table). */
  get objectKeys(): string[] {
    const keys: string[] = [];
    for (const { cond } of this.#items) if (cond.kind === 'object') keys.push(...Object.keys(cond.values));
    return keys;
  }

  add(op: 'AND' | 'OR', args: readonly unknown[]): void {
    const [first, ...params] = args;
    if (
      typeof first === 'string' ||
      (typeof first === 'object' &&
        first !== null &&
        'strings' in first &&
        'values' in first &&
        typeof (first as { compile?: unknown }).compile === 'function')
    ) {
      this.#items.push({ op, cond: { kind: 'raw', sql: first as string | SqlQuery<unknown>, params } });
      return;
    }
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      if (params.length > 0) throw new TypeError('where({...}) takes no extra parameters');
      if (Object.keys(first).length === 0) throw new TypeError('where({}) needs at least one column');
      this.#items.push({ op, cond: { kind: 'object', values: first as WhereObject } });
      return;
    }
    throw new TypeError('where() takes a SQL condition with parameters, a sql`…` query, or an object of column values');
  }

  /** Writes ` WHERE …` (or `HAVING …` with `keyword`); nothing when empty. */
  write(w: SqlWriter, keyword = 'WHERE'): void {
    if (this.#items.length === 0) return;
    w.write(` ${keyword} `);
    const start = w.text.length;
    let previous: 'AND' | 'OR' | null = null;
    for (const { op, cond } of this.#items) {
      if (previous !== null) {
        // Mixed AND/OR apply left to right: ((a AND b) OR c). Wrapping adds no values.
        if (op !== previous) w.text = `${w.text.slice(0, start)}(${w.text.slice(start)})`;
        w.write(` ${op} `);
      }
      previous = op;
      w.write('(');
      writeCondition(w, cond);
      w.write(')');
    }
  }
}

function writeCondition(w: SqlWriter, cond: Condition): void {
  if (cond.kind === 'raw') {
    w.fragment(cond.sql, cond.params);
    return;
  }
  let first = true;
  for (const [column, value] of Object.entries(cond.values)) {
    if (!first) w.write(' AND ');
    first = false;
    if (Array.isArray(value) && value.length === 0) {
      w.write('1 = 0'); // IN () is not SQL; an empty list matches nothing
      continue;
    }
    w.id(column);
    if (value === null) w.write(' IS NULL');
    else if (Array.isArray(value)) {
      w.write(' IN (');
      w.list(value, (v) => w.value(v));
      w.write(')');
    } else if (value === undefined) {
      throw new TypeError(`where(): column "${column}" is undefined; pass null to match NULL`);
    } else {
      w.write(' = ');
      w.value(value);
    }
  }
}
