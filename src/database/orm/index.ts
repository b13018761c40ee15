export { Column, ColumnDef, type ColumnOptions } from './column.js';
export { ColumnType, type ForeignKeyTarget, type ModelRef } from './column-type.js';
export {
  BigInteger,
  Binary,
  Boolean,
  DateTime,
  Float,
  ForeignKey,
  type ForeignKeyOptions,
  Integer,
  Json,
  Numeric,
  String,
  Text,
  Uuid,
} from './column-types.js';
export { func, SqlDefault } from './func.js';
export { Model } from './model.js';
export { ModelQuery } from './model-query.js';
export { BelongsTo, belongsTo, HasMany, hasMany, type Relation } from './relations.js';
export type { ColumnValue, Columns, InsertOf, Instance, Loaded, ModelClass, Relations, RelationValue, RowOf, WhereOf } from './types.js';
