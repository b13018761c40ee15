import type { ColumnDef, ColumnOptions } from './column.js';
import type { Model } from './model.js';
import type { BelongsTo, HasMany, Relation } from './relations.js';

/** The columns of a model: property name → `Column(…)`. */
export type Columns = Readonly<Record<string, ColumnDef<unknown, ColumnOptions>>>;

/** The relations of a model: name → `hasMany(…)` / `belongsTo(…)`. */
export type Relations = Readonly<Record<string, Relation>>;

/** A model class (`typeof User`). */
export type ModelClass = typeof Model;

/** The TypeScript type of a column's values: `T` when not nullable (or a primary key), else `T | null`. */
export type ColumnValue<C> =
  C extends ColumnDef<infer T, infer O> ? (O extends { primaryKey: true } ? T : O extends { nullable: false } ? T : T | null) : never;

/** A row of a model, typed from its columns. */
export type RowOf<C extends Columns> = { -readonly [K in keyof C]: ColumnValue<C[K]> };

type RequiredOnInsert<C> =
  C extends ColumnDef<infer T, infer O>
    ? O extends { default: unknown }
      ? false
      : O extends { primaryKey: true }
        ? T extends number
          ? O extends { autoIncrement: false }
            ? true
            : false
          : true
        : O extends { nullable: false }
          ? true
          : false
    : false;

/** What `Model.create` takes: required columns (NOT NULL without default) and optional others. */
export type InsertOf<C extends Columns> = {
  -readonly [K in keyof C as RequiredOnInsert<C[K]> extends true ? K : never]: ColumnValue<C[K]>;
} & {
  -readonly [K in keyof C as RequiredOnInsert<C[K]> extends true ? never : K]?: ColumnValue<C[K]> | undefined;
};

/** An object-form condition on a model: column → value, `null`, or a list (IN). */
export type WhereOf<C extends Columns> = { readonly [K in keyof C]?: ColumnValue<C[K]> | readonly NonNullable<ColumnValue<C[K]>>[] };

/** An instance of a model with its column properties typed. */
export type Instance<M extends ModelClass> = InstanceType<M> & RowOf<M['columns']>;

/** What a loaded relation holds. */
export type RelationValue<R> =
  R extends HasMany<infer T>
    ? T extends ModelClass
      ? Instance<T>[]
      : never
    : R extends BelongsTo<infer T>
      ? T extends ModelClass
        ? Instance<T> | null
        : never
      : never;

/** An instance with the relations named in `include(…)` loaded. */
export type Loaded<M extends ModelClass, I extends PropertyKey> = Instance<M> & {
  -readonly [K in I & keyof M['relations']]: RelationValue<M['relations'][K]>;
};
