import type { Queryable } from './queryable.js';

/**
 * What `createAll`/`dropAll` need from a model class (the ORM's `Model` implements it); kept
 * structural so `covet/database` does not depend on `covet/database/orm`.
 */
export interface ModelLike {
  readonly tableName: string;
  /** Models this one references by foreign key (created first, dropped last). */
  dependencies(): readonly ModelLike[];
  createTable(db: Queryable, options?: { readonly ifNotExists?: boolean }): Promise<void>;
  dropTable(db: Queryable, options?: { readonly ifExists?: boolean }): Promise<void>;
}

const models = new Set<ModelLike>();

/** Records a model class (the ORM does this whenever it sees one). */
export function registerModel(model: ModelLike): void {
  models.add(model);
}

/** Every model seen so far, in registration order. */
export function registeredModels(): ModelLike[] {
  return [...models];
}

/** Orders models so that each comes after the models it references (cycles keep their order). */
export function sortByDependencies(list: readonly ModelLike[]): ModelLike[] {
  const wanted = new Set(list);
  const out: ModelLike[] = [];
  const seen = new Set<ModelLike>();
  const visit = (m: ModelLike, path: Set<ModelLike>): void => {
    if (seen.has(m) || path.has(m)) return;
    path.add(m);
    for (const dep of m.dependencies()) if (wanted.has(dep)) visit(dep, path);
    path.delete(m);
    seen.add(m);
    out.push(m);
  };
  for (const m of list) visit(m, new Set());
  return out;
}
