// biome-ignore-all lint/complexity/noThisInStatic: static methods act on the subclass they are called on (User.get, Post.query)
import { DatabaseError, UnknownColumnError } from '../errors.js';
import { addModelDiscovery, registerModel } from '../model-registry.js';
import { subclassesOf } from '../../internal/subclasses.js';
import { kExecute, kQueryRowSync, NOT_SYNC, type Queryable, type Row } from '../queryable.js';
import { SqlWriter } from '../sql-writer.js';
import type { Dialect } from '../drivers/dialect.js';
import { decodesJson, IntegerRangeError } from './column-type.js';
import { SqlDefault } from './func.js';
import { type ColumnMeta, metaOf, type ModelMeta, resolveModel, resolveReference, selectSql } from './model-meta.js';
import { ModelQuery } from './model-query.js';
import { kState, LOADED, stateValue } from './row-mapper.js';
import { createTableStatements } from './schema-sql.js';
import type { Columns, InsertOf, Instance, ModelClass, Relations, RowOf } from './types.js';

/** `null` for a new instance, else the row as last read or written, or `LOADED` (see row-mapper.ts). */
type State = Row | null;

type Bag = Record<string | symbol, unknown>;

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

/** A model instance built from a row of `dialect`'s driver: no constructor runs, so subclass field initialisers cannot clobber it. */
export function hydrate<M extends ModelClass>(meta: ModelMeta, row: Row, dialect: Dialect): Instance<M> {
  return meta.mapper.hydrate(row, decodesJson(dialect)) as Instance<M>;
}

/** Takes the values of a row read back after a write; the state keeps them by value (see `stateValue`). */
function refresh(obj: Bag, meta: ModelMeta, row: Row, dialect: Dialect): void {
  const decoded = decodesJson(dialect);
  for (const c of meta.columns) {
    if (!(c.name in row)) continue;
    const value = row[c.name];
    obj[c.prop] = c.type.fromDb(value, dialect);
    row[c.name] = stateValue(c.type, value, decoded);
  }
  meta.mapper.setState(obj, row);
}

/**
 * Maps `{ prop: value }` to `{ column: dbValue }`, refusing unknown properties. For a `filter`
 * (`where`), an integer no row of the column can hold matches nothing, as in Django: it is left
 * out of a list, and alone becomes the empty list (`1 = 0`).
 */
export function toColumns(
  meta: ModelMeta,
  values: Readonly<Record<string, unknown>>,
  db: Queryable,
  filter = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [prop, value] of Object.entries(values)) {
    const c = meta.byProp.get(prop);
    if (c === undefined) throw new UnknownColumnError(prop, { table: meta.table, known: [...meta.byProp.keys()] });
    if (value === undefined) continue;
    if (!filter) {
      out[c.name] =
        Array.isArray(value) && c.type.kind !== 'json' ? value.map((v) => c.type.toDb(v, db.dialect)) : c.type.toDb(value, db.dialect);
      continue;
    }
    const list = Array.isArray(value) && c.type.kind !== 'json';
    const kept: unknown[] = [];
    for (const v of list ? value : [value]) {
      try {
        kept.push(c.type.toDb(v, db.dialect));
      } catch (err) {
        if (!(err instanceof IntegerRangeError)) throw err;
      }
    }
    out[c.name] = list || kept.length === 0 ? kept : kept[0];
  }
  return out;
}

/** The database value of a primary key, or `NO_ROW` when no row can have it (out of the column's range). */
function keyOrNone(pk: ColumnMeta, id: unknown, db: Queryable): unknown {
  try {
    return pk.type.toDb(id, db.dialect);
  } catch (err) {
    if (err instanceof IntegerRangeError) return NO_ROW;
    throw err;
  }
}
const NO_ROW: unique symbol = Symbol('no row');

/** INSERT … RETURNING (or INSERT + SELECT on MySQL); the instance gets its id and defaults. */
async function insertRow(self: Bag, db: Queryable, meta: ModelMeta): Promise<void> {
  const dialect = db.dialect;
  const cols: ColumnMeta[] = [];
  for (const c of meta.columns) {
    let v = self[c.prop];
    const d = c.def.options.default;
    if (v === undefined && d !== undefined && !(d instanceof SqlDefault)) {
      v = typeof d === 'function' ? (d as () => unknown)() : d;
      self[c.prop] = v;
    }
    if (v !== undefined) cols.push(c);
  }
  const w = new SqlWriter(dialect);
  w.write('INSERT INTO ').id(meta.table);
  if (cols.length === 0) w.write(dialect.name === 'mysql' ? ' () VALUES ()' : ' DEFAULT VALUES');
  else {
    w.write(' (')
      .list(cols, (c) => w.id(c.name))
      .write(') VALUES (');
    w.list(cols, (c) => w.value(c.type.toDb(self[c.prop], dialect)));
    w.write(')');
  }
  if (dialect.supportsReturning) {
    w.write(' RETURNING ').list(meta.columns, (c) => w.id(c.name));
    const row = (await db[kExecute](w.text, w.params)).rows[0];
    if (row !== undefined) refresh(self, meta, row, dialect);
    return;
  }
  const res = await db[kExecute](w.text, w.params);
  const pk = meta.pk;
  if (pk === null) {
    meta.mapper.setState(self, LOADED);
    return;
  }
  if (self[pk.prop] === undefined && res.lastInsertId !== null) self[pk.prop] = pk.type.fromDb(res.lastInsertId, dialect);
  // No RETURNING: read the row back for its database defaults.
  const row = (
    await db[kExecute](`${selectSql(meta, dialect)} WHERE ${dialect.quote(pk.name)} = ?`, [pk.type.toDb(self[pk.prop], dialect)])
  ).rows[0];
  if (row !== undefined) refresh(self, meta, row, dialect);
  else meta.mapper.setState(self, LOADED);
}

/** UPDATE of the columns that differ from the row as last read or written. */
async function updateRow(self: Bag, db: Queryable, meta: ModelMeta, state: Row): Promise<void> {
  const pk = meta.pk;
  if (pk === null) throw new TypeError(`${meta.model.name} has no primary key: it cannot be updated`);
  const original = state === LOADED ? null : state;
  const dirty = meta.columns.filter(
    (c) => c !== pk && self[c.prop] !== undefined && (original === null || !same(self[c.prop], c.type.fromDb(original[c.name]))),
  );
  if (dirty.length === 0) return;
  const dialect = db.dialect;
  const w = new SqlWriter(dialect);
  w.write('UPDATE ').id(meta.table).write(' SET ');
  w.list(dirty, (c) => w.id(c.name).write(' = ').value(c.type.toDb(self[c.prop], dialect)));
  w.write(' WHERE ').id(pk.name).write(' = ').value(pk.type.toDb(self[pk.prop], dialect));
  const res = await db[kExecute](w.text, w.params);
  if (res.rowCount === 0) throw new DatabaseError(`${meta.model.name} ${String(self[pk.prop])} no longer exists`, { code: 'ERR_DB_STALE' });
  const next: Row = { ...(original ?? {}) };
  const decoded = decodesJson(dialect);
  for (const c of dirty) next[c.name] = stateValue(c.type, c.type.toDb(self[c.prop], dialect), decoded);
  meta.mapper.setState(self, next);
}

/**
 * The base class of ORM models: declare `static tableName` and `static columns` (with
 * `Column(Integer, {...})` …), optionally `static relations`. Rows come back as instances with
 * typed properties. Add `interface User extends RowOf<typeof User.columns> {}` next to the class
 * to type `new User(…)` too (static methods are typed without it).
 *
 * @example
 * class User extends Model {
 *   static tableName = 'users';
 *   static columns = {
 *     id: Column(Integer, { primaryKey: true }),
 *     name: Column(String(100), { nullable: false }),
 *     email: Column(String(255), { unique: true, nullable: false }),
 *     createdAt: Column(DateTime, { default: func.now() }),
 *   };
 * }
 * const user = await User.create(db, { name: 'Ann', email: 'ann@example.com' });
 * const found = await User.query(db).where({ email: 'ann@example.com' }).first();
 */
export class Model {
  /** The table's name. */
  static tableName: string;
  /** Property name → `Column(…)`. */
  static columns: Columns = {};
  /** Relation name → `hasMany(…)` / `belongsTo(…)`. */
  static relations: Relations = {};
  /**
   * A column's value, `unknown` until the class declares its row type: as API.md writes it,
   * `new User({ name, email })` then `user.id` compiles; with
   * `interface User extends RowOf<typeof User.columns> {}` beside the class (or through
   * `User.build(…)`, `User.query(db)…`) each column has its own type.
   */
  [column: string]: unknown;

  /** A new, unsaved row; `session.add()` / `db.add()` + `commit()` (or `save(db)`) inserts it. */
  constructor(data: Readonly<Record<string, unknown>> = {}) {
    const model = new.target as ModelClass;
    const meta = metaOf(model);
    const self = this as unknown as Bag;
    for (const key of Object.keys(data)) {
      if (!meta.byProp.has(key) && !(key in (model.relations ?? {}))) {
        throw new UnknownColumnError(key, { table: meta.table, known: [...meta.byProp.keys()] });
      }
    }
    for (const c of meta.columns) self[c.prop] = data[c.prop];
    for (const key of Object.keys(model.relations ?? {})) if (key in data) self[key] = data[key];
    self[kState] = null;
  }

  /**
   * Records models for `createAll()`/`dropAll()` without arguments before anything uses them (using
   * a model records it too); a manager in the "every model" mode of `createAll()` creates their
   * tables before its next statement.
   */
  static register(...models: ModelClass[]): void {
    for (const m of models) metaOf(m);
  }

  /** A query on this model's table. */
  static query<M extends ModelClass>(this: M, db: Queryable): ModelQuery<M> {
    return new ModelQuery<M>(this, db);
  }

  /** A new, unsaved instance, typed from the columns (`new User(data)` typed without an interface merge). */
  static build<M extends ModelClass>(this: M, data: InsertOf<M['columns']>): Instance<M> {
    return new this(data as Record<string, unknown>) as Instance<M>;
  }

  /** The row with this primary key, or `null`. */
  static get<M extends ModelClass>(this: M, db: Queryable, id: unknown): Promise<Instance<M> | null> {
    const meta = metaOf(this);
    const pk = meta.pk;
    if (pk === null) return Promise.reject(new TypeError(`${this.name} has no primary key`));
    const dialect = db.dialect;
    let sql = meta.getSql.get(dialect);
    if (sql === undefined) {
      sql = `${selectSql(meta, dialect)} WHERE ${dialect.quote(pk.name)} = ${dialect.numberedPlaceholders ? '$1' : '?'}`;
      meta.getSql.set(dialect, sql);
    }
    if (id === undefined || id === null) return Promise.resolve(null);
    let key: unknown;
    try {
      key = pk.type.toDb(id, dialect);
    } catch {
      return Promise.resolve(null); // not a possible key (e.g. 'abc' for an integer id): no such row
    }
    // The hot path of `GET /users/{id}`: one cached statement, one promise, one hydrate; on
    // SQLite the row is read synchronously, without an array of rows around it.
    let values: readonly unknown[] | undefined | typeof NOT_SYNC;
    try {
      values = db[kQueryRowSync](sql, [key]);
    } catch (err) {
      return Promise.reject(err);
    }
    if (values !== NOT_SYNC) return Promise.resolve(values === undefined ? null : (meta.mapper.hydrateValues(values) as Instance<M>));
    return db[kExecute](sql, [key]).then((res) => {
      const row = res.rows[0];
      return row === undefined ? null : hydrate<M>(meta, row, db.dialect);
    });
  }

  /** Inserts a row and returns it with its id and database defaults. */
  static async create<M extends ModelClass>(this: M, db: Queryable, data: InsertOf<M['columns']>): Promise<Instance<M>> {
    const obj = new this(data as Record<string, unknown>) as Instance<M>;
    await (obj as Model).save(db);
    return obj;
  }

  /** Updates the row with this primary key; returns it, or `null` when there is none. */
  static async update<M extends ModelClass>(
    this: M,
    db: Queryable,
    id: unknown,
    data: Partial<RowOf<M['columns']>>,
  ): Promise<Instance<M> | null> {
    const meta = metaOf(this);
    if (meta.pk === null) throw new TypeError(`${this.name} has no primary key`);
    const values = toColumns(meta, data as Record<string, unknown>, db);
    if (Object.keys(values).length === 0) return (this as ModelClass).get(db, id) as Promise<Instance<M> | null>;
    const key = keyOrNone(meta.pk, id, db);
    if (key === NO_ROW) return null;
    const w = new SqlWriter(db.dialect);
    w.write('UPDATE ').id(meta.table).write(' SET ');
    w.list(Object.keys(values), (c) => w.id(c).write(' = ').value(values[c]));
    w.write(' WHERE ').id(meta.pk.name).write(' = ').value(key);
    if (db.dialect.supportsReturning) {
      w.write(' RETURNING ').list(meta.columns, (c) => w.id(c.name));
      const row = (await db[kExecute](w.text, w.params)).rows[0];
      return row === undefined ? null : hydrate<M>(meta, row, db.dialect);
    }
    await db[kExecute](w.text, w.params);
    return (this as ModelClass).get(db, id) as Promise<Instance<M> | null>;
  }

  /** Deletes the row with this primary key; whether there was one. */
  static async delete(db: Queryable, id: unknown): Promise<boolean> {
    const meta = metaOf(this);
    if (meta.pk === null) throw new TypeError(`${this.name} has no primary key`);
    const key = keyOrNone(meta.pk, id, db);
    if (key === NO_ROW) return false;
    const w = new SqlWriter(db.dialect);
    w.write('DELETE FROM ').id(meta.table).write(' WHERE ').id(meta.pk.name).write(' = ').value(key);
    return (await db[kExecute](w.text, w.params)).rowCount > 0;
  }

  /** `CREATE TABLE` for this model (and its indexes). */
  static async createTable(db: Queryable, options: { readonly ifNotExists?: boolean } = {}): Promise<void> {
    const meta = metaOf(this);
    for (const sql of createTableStatements(meta.table, meta.columns, db.dialect, resolveReference, options.ifNotExists ?? false)) {
      await db[kExecute](sql, []);
    }
  }

  /** `DROP TABLE` for this model. */
  static async dropTable(db: Queryable, options: { readonly ifExists?: boolean } = {}): Promise<void> {
    const meta = metaOf(this);
    await db[kExecute](`DROP TABLE ${options.ifExists ? 'IF EXISTS ' : ''}${db.dialect.quote(meta.table)}`, []);
  }

  /** The models this one references by foreign key. */
  static dependencies(): ModelClass[] {
    const out: ModelClass[] = [];
    for (const c of metaOf(this).columns) {
      const target = c.type.references?.target;
      if (target !== undefined && typeof target !== 'string') {
        const m = resolveModel(target);
        registerModel(m);
        if (m !== this) out.push(m);
      }
    }
    return out;
  }

  /** INSERTs a new instance or UPDATEs the columns that changed since it was loaded or saved. */
  async save(db: Queryable): Promise<this> {
    const model = this.constructor as ModelClass;
    const meta = metaOf(model);
    const state = (this as unknown as Bag)[kState] as State | undefined;
    if (state !== null && state !== undefined) await updateRow(this as unknown as Bag, db, meta, state);
    else await insertRow(this as unknown as Bag, db, meta);
    return this;
  }

  /** DELETEs this row. */
  async delete(db: Queryable): Promise<void> {
    const model = this.constructor as ModelClass;
    const meta = metaOf(model);
    if (meta.pk === null) throw new TypeError(`${model.name} has no primary key: it cannot be deleted`);
    await model.delete(db, (this as unknown as Bag)[meta.pk.prop]);
    meta.mapper.setState(this, null);
  }

  /** The JSON form: the column properties and loaded relations, dates as ISO-8601 text. */
  toJSON(): Record<string, unknown> {
    return metaOf(this.constructor as ModelClass).mapper.toJSON(this);
  }

  /**
   * Django's default `__str__`: `Post object (1)` (`(None)` before it is saved). Templates print
   * a model with it; override it to print something else.
   */
  toString(): string {
    const meta = metaOf(this.constructor as ModelClass);
    const id = meta.pk === null ? undefined : (this as unknown as Bag)[meta.pk.prop];
    return `${this.constructor.name} object (${id === undefined || id === null ? 'None' : String(id)})`;
  }

  /** Whether this instance has been inserted (or was loaded from the database). */
  get persisted(): boolean {
    const state = (this as unknown as Bag)[kState] as State | undefined;
    return state !== null && state !== undefined;
  }
}

/** Whether a subclass found on the heap declares a table: abstract bases in between do not. */
function declaresTable(c: Function): c is ModelClass {
  const m = c as Partial<ModelClass>;
  return typeof m.tableName === 'string' && m.tableName !== '' && typeof m.columns === 'object' && m.columns !== null && Object.keys(m.columns).length > 0;
}

// `createAll()` without an argument: "every model defined so far", used yet or not.
addModelDiscovery(() => {
  for (const c of subclassesOf(Model)) {
    if (!declaresTable(c)) continue;
    try {
      metaOf(c);
    } catch {
      // A class that is not a valid model fails where it is used, as before.
    }
  }
});
