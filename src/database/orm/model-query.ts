import { UnknownColumnError } from '../errors.js';
import type { BuiltQuery } from '../built-query.js';
import { DeleteQuery } from '../delete-query.js';
import { kQueryValuesSync, NOT_SYNC, type Queryable } from '../queryable.js';
import { checkNulls, type OrderByOptions, SelectQuery } from '../select-query.js';
import type { SqlQuery } from '../sql-query.js';
import { UpdateQuery } from '../update-query.js';
import { hydrate, toColumns } from './model.js';
import { type ColumnMeta, metaOf, type ModelMeta, referencesModel, resolveModel } from './model-meta.js';
import type { Relation } from './relations.js';
import type { Loaded, ModelClass, RowOf, WhereOf } from './types.js';

type Bag = Record<string, unknown>;

/** A property to order by, `'-prop'` for descending. */
type OrderProp<M extends ModelClass> = (keyof M['columns'] & string) | `-${keyof M['columns'] & string}`;

/** Largest `IN (…)` list per eager-loading query (keeps every driver within its parameter limit). */
const IN_CHUNK = 1000;

function relationOf(model: ModelClass, name: string): Relation {
  const rel = model.relations?.[name];
  if (rel === undefined) {
    const known = Object.keys(model.relations ?? {});
    throw new TypeError(`${model.name} has no relation "${name}"${known.length ? ` (relations: ${known.join(', ')})` : ''}`);
  }
  return rel;
}

function foreignKeyColumn(owner: ModelMeta, target: ModelClass, explicit: string | undefined, what: string): ColumnMeta {
  if (explicit !== undefined) {
    const c = owner.byProp.get(explicit);
    if (c === undefined) throw new UnknownColumnError(explicit, { table: owner.table, known: [...owner.byProp.keys()] });
    return c;
  }
  const candidates = owner.columns.filter((c) => referencesModel(c, target));
  if (candidates.length !== 1) {
    throw new TypeError(
      `${what}: ${owner.model.name} has ${candidates.length === 0 ? 'no' : 'several'} ForeignKey column(s) to ${target.name}; name one with { foreignKey }`,
    );
  }
  return candidates[0] as ColumnMeta;
}

/**
 * A query on a model: `where` (object of properties or raw SQL), `orderBy`, `limit`/`offset`,
 * `include` for relations, then `all()`, `first()`, `count()`, `exists()`, `update()`,
 * `delete()`. Await it for `all()`. Unknown properties throw `UnknownColumnError` at once.
 *
 * @example
 * const page = await User.query(db).where({ active: true }).orderBy('-createdAt').limit(20).offset(40).all();
 * const withPosts = await User.query(db).include('posts').all(); // 2 queries, however many users
 */
export class ModelQuery<M extends ModelClass, I extends PropertyKey = never> implements PromiseLike<Loaded<M, I>[]> {
  readonly model: M;
  readonly db: Queryable;
  readonly #meta: ModelMeta;
  readonly #conditions: { readonly or: boolean; readonly args: readonly unknown[] }[] = [];
  readonly #order: { readonly column: string; readonly dir: 'asc' | 'desc'; readonly options: OrderByOptions }[] = [];
  readonly #includes: string[] = [];
  #limit: number | null = null;
  #offset: number | null = null;

  constructor(model: M, db: Queryable) {
    this.model = model;
    this.db = db;
    this.#meta = metaOf(model);
  }

  #condition(or: boolean, first: unknown, params: unknown[]): this {
    // Object form is checked and converted now, so a typo fails at the call, not at the database.
    const isObject = typeof first === 'object' && first !== null && !('strings' in first && 'values' in first);
    if (isObject) {
      // toColumns skips undefined (a value not given to create/update); in a filter that would
      // drop the condition and match more rows (an owner id read from a missing claim).
      for (const [prop, value] of Object.entries(first as Bag)) {
        if (value === undefined) throw new TypeError(`where(): column "${prop}" is undefined; pass null to match NULL`);
      }
    }
    this.#conditions.push({ or, args: isObject ? [toColumns(this.#meta, first as Bag, this.db, true)] : [first, ...params] });
    return this;
  }

  /** Adds a condition (AND): `{ prop: value }` (null → IS NULL, list → IN) or raw SQL with parameters. */
  where(values: WhereOf<M['columns']>): this;
  where(condition: string | SqlQuery<unknown>, ...params: unknown[]): this;
  where(first: unknown, ...params: unknown[]): this {
    return this.#condition(false, first, params);
  }

  /** Adds a condition joined with OR. */
  orWhere(values: WhereOf<M['columns']>): this;
  orWhere(condition: string | SqlQuery<unknown>, ...params: unknown[]): this;
  orWhere(first: unknown, ...params: unknown[]): this {
    return this.#condition(true, first, params);
  }

  /**
   * Orders by a property (`'-name'` for descending). `{ nulls: 'first' | 'last' }` places NULLs
   * the same way on every database; without it they go where the database puts them (PostgreSQL:
   * last when ascending; SQLite and MySQL: first when ascending).
   */
  orderBy(prop: OrderProp<M>, options: OrderByOptions): this;
  orderBy(prop: OrderProp<M>, direction?: 'asc' | 'desc', options?: OrderByOptions): this;
  orderBy(prop: OrderProp<M>, direction: 'asc' | 'desc' | OrderByOptions = 'asc', options: OrderByOptions = {}): this {
    if (typeof direction === 'object' && direction !== null) [direction, options] = ['asc', direction];
    checkNulls(options);
    const desc = prop.startsWith('-');
    const name = desc ? prop.slice(1) : prop;
    const c = this.#meta.byProp.get(name);
    if (c === undefined) throw new UnknownColumnError(name, { table: this.#meta.table, known: [...this.#meta.byProp.keys()] });
    this.#order.push({ column: c.name, dir: desc ? 'desc' : direction, options });
    return this;
  }

  limit(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`limit() takes a non-negative integer, got ${String(n)}`);
    this.#limit = n;
    return this;
  }

  offset(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`offset() takes a non-negative integer, got ${String(n)}`);
    this.#offset = n;
    return this;
  }

  #applyWhere(q: BuiltQuery): void {
    for (const { or, args } of this.#conditions) {
      const [first, ...rest] = args;
      if (or) q.orWhere(first as string, ...rest);
      else q.where(first as string, ...rest);
    }
  }

  #selectQuery(limit = this.#limit): SelectQuery<Bag> {
    const q = new SelectQuery<Bag>(
      this.db,
      this.#meta.table,
      this.#meta.columns.map((c) => c.name),
    );
    this.#applyWhere(q);
    for (const o of this.#order) q.orderBy(o.column, o.dir, o.options);
    if (limit !== null) q.limit(limit);
    if (this.#offset !== null) q.offset(this.#offset);
    return q;
  }

  /** Loads relations with the rows: one query per relation, never one per row. */
  include<K extends keyof M['relations'] & string>(...relations: K[]): ModelQuery<M, I | K> {
    for (const name of relations) {
      relationOf(this.model, name);
      if (!this.#includes.includes(name)) this.#includes.push(name);
    }
    return this as unknown as ModelQuery<M, I | K>;
  }

  /** The SQL and values of the SELECT. */
  toSQL(): { sql: string; params: readonly unknown[] } {
    return this.#selectQuery().toSQL();
  }

  async #fetch(limit: number | null): Promise<Loaded<M, I>[]> {
    const query = this.#selectQuery(limit);
    let out: Loaded<M, I>[] | undefined;
    // SQLite: the rows as arrays of values in column order, read in place (see Model.get). A
    // failure takes the generic path below, which runs it again and explains the error.
    let values: readonly (readonly unknown[])[] | typeof NOT_SYNC = NOT_SYNC;
    if (this.db.dialect.name === 'sqlite') {
      const built = query.toSQL();
      try {
        values = this.db[kQueryValuesSync](built.sql, built.params);
      } catch {
        values = NOT_SYNC;
      }
    }
    if (values !== NOT_SYNC) {
      const mapper = this.#meta.mapper;
      out = new Array<Loaded<M, I>>(values.length);
      for (let i = 0; i < values.length; i++) out[i] = mapper.hydrateValues(values[i] as unknown[]) as Loaded<M, I>;
    } else {
      const rows = await query.fetchAll();
      out = new Array<Loaded<M, I>>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = hydrate<M>(this.#meta, rows[i] as Bag, this.db.dialect) as Loaded<M, I>;
    }
    for (const name of this.#includes) await this.#load(out as unknown as Bag[], name);
    return out;
  }

  /** Every matching row, as model instances (with the included relations). */
  all(): Promise<Loaded<M, I>[]> {
    return this.#fetch(this.#limit);
  }

  /** The first matching row, or `null`. */
  async first(): Promise<Loaded<M, I> | null> {
    return (await this.#fetch(1))[0] ?? null;
  }

  /**
   * How many rows `all()` would return: with `limit`/`offset`, the rows of that page (as Django's
   * `qs[a:b].count()`: `COUNT(*)` over the paged query); count a query without them for the total.
   */
  count(): Promise<number> {
    return this.#selectQuery().count({ paged: true });
  }

  /** Whether `all()` would return any row (after the offset; `limit(0)` returns none). */
  exists(): Promise<boolean> {
    return this.#selectQuery().exists();
  }

  /** Updates the matching rows; returns how many changed. Needs a `where` (or `{ all: true }`). */
  async update(values: Partial<RowOf<M['columns']>>, options: { readonly all?: boolean } = {}): Promise<number> {
    this.#refuseAllRows('update', 'change', options);
    const q = new UpdateQuery(this.db, this.#meta.table).set(toColumns(this.#meta, values as Bag, this.db));
    this.#applyWhere(q);
    if (options.all) q.allRows();
    return (await q.execute()).rowCount;
  }

  /** Deletes the matching rows; returns how many. Needs a `where` (or `{ all: true }`). */
  async delete(options: { readonly all?: boolean } = {}): Promise<number> {
    this.#refuseAllRows('delete', 'remove', options);
    const q = new DeleteQuery(this.db, this.#meta.table);
    this.#applyWhere(q);
    if (options.all) q.allRows();
    return (await q.execute()).rowCount;
  }

  /** The query builder's guard, in this API's words (`{ all: true }`, not `allRows()`). */
  #refuseAllRows(method: string, verb: string, options: { readonly all?: boolean }): void {
    if (this.#conditions.length === 0 && !options.all)
      throw new TypeError(`${method}() without where() would ${verb} every row; pass { all: true } if you mean it`);
  }

  async #load(rows: Bag[], name: string): Promise<void> {
    const rel = relationOf(this.model, name);
    const target = resolveModel(rel.target() as ModelClass);
    const targetMeta = metaOf(target);
    if (rows.length === 0) return;
    if (rel.kind === 'hasMany') {
      const pk = this.#meta.pk;
      if (pk === null) throw new TypeError(`${this.model.name} has no primary key for hasMany "${name}"`);
      const fk = foreignKeyColumn(targetMeta, this.model, rel.foreignKey, `${this.model.name}.relations.${name}`);
      const ids = [...new Set(rows.map((r) => r[pk.prop]).filter((v) => v !== null && v !== undefined))];
      const groups = new Map<unknown, Bag[]>();
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const children = (await target
          .query(this.db)
          .where({ [fk.prop]: ids.slice(i, i + IN_CHUNK) } as never)
          .all()) as unknown as Bag[];
        for (const child of children) {
          const key = child[fk.prop];
          let list = groups.get(key);
          if (list === undefined) groups.set(key, (list = []));
          list.push(child);
        }
      }
      for (const r of rows) r[name] = groups.get(r[pk.prop]) ?? [];
      return;
    }
    const fk = foreignKeyColumn(this.#meta, target, rel.foreignKey, `${this.model.name}.relations.${name}`);
    const targetPk = targetMeta.pk;
    if (targetPk === null) throw new TypeError(`${target.name} has no primary key for belongsTo "${name}"`);
    const ids = [...new Set(rows.map((r) => r[fk.prop]).filter((v) => v !== null && v !== undefined))];
    const byId = new Map<unknown, Bag>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const parents = (await target
        .query(this.db)
        .where({ [targetPk.prop]: ids.slice(i, i + IN_CHUNK) } as never)
        .all()) as unknown as Bag[];
      for (const p of parents) byId.set(p[targetPk.prop], p);
    }
    for (const r of rows) r[name] = byId.get(r[fk.prop]) ?? null;
  }

  // biome-ignore lint/suspicious/noThenProperty: awaiting a query runs it
  then<R1 = Loaded<M, I>[], R2 = never>(
    onfulfilled?: ((rows: Loaded<M, I>[]) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.all().then(onfulfilled, onrejected);
  }
}
