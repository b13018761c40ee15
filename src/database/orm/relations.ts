/** A model class as relations see it (structural to avoid an import cycle with `model.ts`). */
export interface RelatedModel {
  readonly tableName: string;
}

/** `parent.children`: rows of `target` whose foreign key points at this row. */
export class HasMany<M extends RelatedModel = RelatedModel> {
  readonly kind = 'hasMany' as const;
  readonly target: () => M;
  /** The property on `target` that holds the foreign key (found from its `ForeignKey` when omitted). */
  readonly foreignKey: string | undefined;

  constructor(target: () => M, foreignKey: string | undefined) {
    this.target = target;
    this.foreignKey = foreignKey;
  }
}

/** `child.parent`: the row of `target` this row's foreign key points at. */
export class BelongsTo<M extends RelatedModel = RelatedModel> {
  readonly kind = 'belongsTo' as const;
  readonly target: () => M;
  /** The property on this model that holds the foreign key (found from its `ForeignKey` when omitted). */
  readonly foreignKey: string | undefined;

  constructor(target: () => M, foreignKey: string | undefined) {
    this.target = target;
    this.foreignKey = foreignKey;
  }
}

/** A relation of a model. */
export type Relation = HasMany | BelongsTo;

/**
 * One-to-many: `User.relations = { posts: hasMany(() => Post) }`; load it with
 * `User.query(db).include('posts')` (one extra query for all users, never one per user).
 *
 * @example
 * static relations = { posts: hasMany(() => Post, { foreignKey: 'authorId' }) };
 */
export function hasMany<M extends RelatedModel>(target: () => M, options: { readonly foreignKey?: string } = {}): HasMany<M> {
  return new HasMany(target, options.foreignKey);
}

/**
 * Many-to-one: `Post.relations = { author: belongsTo(() => User) }`; `include('author')`.
 *
 * @example
 * static relations = { author: belongsTo(() => User, { foreignKey: 'authorId' }) };
 */
export function belongsTo<M extends RelatedModel>(target: () => M, options: { readonly foreignKey?: string } = {}): BelongsTo<M> {
  return new BelongsTo(target, options.foreignKey);
}
