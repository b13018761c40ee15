import type { Dialect } from '../drivers/dialect.js';
import { registerModel } from '../model-registry.js';
import type { ColumnDef, ColumnOptions } from './column.js';
import type { ColumnType, ModelRef } from './column-type.js';
import { compileRowMapper, type RowMapper } from './row-mapper.js';
import type { ColumnSpec } from './schema-sql.js';
import type { ModelClass } from './types.js';

/** One column of a model, resolved. */
export interface ColumnMeta extends ColumnSpec {
  /** The property name on instances. */
  readonly prop: string;
  readonly type: ColumnType<unknown>;
}

/** What the ORM derives once per model class. */
export interface ModelMeta {
  readonly model: ModelClass;
  readonly table: string;
  readonly columns: readonly ColumnMeta[];
  readonly byProp: ReadonlyMap<string, ColumnMeta>;
  readonly pk: ColumnMeta | null;
  /** `SELECT "a", "b" FROM "t"` per dialect. */
  readonly selectSql: Map<Dialect, string>;
  /** … `WHERE "pk" = ?` per dialect. */
  readonly getSql: Map<Dialect, string>;
  /** Rows → instances, the instance state, the JSON form (compiled once). */
  readonly mapper: RowMapper;
}

const RESERVED = new Set(['constructor', 'save', 'delete', 'persisted', 'toJSON', 'toString', '__proto__', 'prototype']);
const metas = new WeakMap<ModelClass, ModelMeta>();

/** The resolved metadata of a model class (computed on first use, then cached). */
export function metaOf(model: ModelClass): ModelMeta {
  let meta = metas.get(model);
  if (meta !== undefined) return meta;
  const table = model.tableName;
  if (typeof table !== 'string' || table === '') throw new TypeError(`${model.name} needs a static tableName`);
  const defs = model.columns as Readonly<Record<string, ColumnDef<unknown, ColumnOptions>>>;
  if (defs === undefined || Object.keys(defs).length === 0) throw new TypeError(`${model.name} needs static columns`);
  const columns: ColumnMeta[] = [];
  for (const [prop, def] of Object.entries(defs)) {
    if (RESERVED.has(prop)) throw new TypeError(`${model.name}: "${prop}" cannot be a column name (it is a Model method)`);
    if (def === null || typeof def !== 'object' || !('type' in def)) throw new TypeError(`${model.name}.columns.${prop} must be Column(…)`);
    columns.push({ prop, name: def.options.name ?? prop, def, type: def.type });
  }
  const pks = columns.filter((c) => c.def.primaryKey);
  if (pks.length > 1) throw new TypeError(`${model.name}: composite primary keys are not supported`);
  meta = {
    model,
    table,
    columns,
    byProp: new Map(columns.map((c) => [c.prop, c])),
    pk: pks[0] ?? null,
    selectSql: new Map(),
    getSql: new Map(),
    mapper: compileRowMapper(model.prototype, columns),
  };
  metas.set(model, meta);
  registerModel(model);
  return meta;
}

/** `SELECT <every column> FROM <table>` for a dialect (cached). */
export function selectSql(meta: ModelMeta, dialect: Dialect): string {
  let sql = meta.selectSql.get(dialect);
  if (sql === undefined) {
    sql = `SELECT ${meta.columns.map((c) => dialect.quote(c.name)).join(', ')} FROM ${dialect.quote(meta.table)}`;
    meta.selectSql.set(dialect, sql);
  }
  return sql;
}

/** Resolves a model reference (class or thunk) to the class. */
export function resolveModel(ref: ModelRef): ModelClass {
  // A class has a static tableName; a thunk (() => User) does not and is called.
  const target = (typeof (ref as { tableName?: unknown }).tableName === 'string' ? ref : (ref as () => unknown)()) as ModelClass;
  if (typeof target !== 'function' || typeof target.tableName !== 'string')
    throw new TypeError('A model reference must be a Model class or () => Model');
  return target;
}

/** `[table, column]` a foreign key target points at. */
export function resolveReference(target: string | ModelRef): readonly [string, string] {
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    return dot === -1 ? [target, 'id'] : [target.slice(0, dot), target.slice(dot + 1)];
  }
  const meta = metaOf(resolveModel(target));
  if (meta.pk === null) throw new TypeError(`${meta.model.name} has no primary key to reference`);
  return [meta.table, meta.pk.name];
}

/** Whether a foreign key column of one model points at another model. */
export function referencesModel(column: ColumnMeta, target: ModelClass): boolean {
  const ref = column.type.references;
  if (ref === undefined) return false;
  if (typeof ref.target === 'string') return resolveReference(ref.target)[0] === target.tableName;
  return resolveModel(ref.target) === target;
}
