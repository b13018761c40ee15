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

/** Told about every model registered after it started watching (a manager in "every model" mode). */
export interface ModelWatcher {
  modelRegistered(model: ModelLike): void;
}

const models = new Set<ModelLike>();
// Weak: a manager left in "every model" mode and then dropped (never closed) must not be kept
// alive by the registry. close() and dropAll() unwatch explicitly anyway.
const watchers = new Set<WeakRef<ModelWatcher>>();

/**
 * Records a model class (the ORM does this the first time a model is used: built, queried,
 * referenced by a foreign key, or passed to `Model.register`). Managers in "every model" mode
 * (after `createAll()` without an argument) are told, and create its table before their next
 * statement.
 *
 * @example
 * registerModel(User); // what Model.register(User) does
 */
export function registerModel(model: ModelLike): void {
  if (models.has(model)) return;
  models.add(model);
  for (const ref of watchers) {
    const watcher = ref.deref();
    if (watcher === undefined) watchers.delete(ref);
    else watcher.modelRegistered(model);
  }
}

const discoveries = new Set<() => void>();

/**
 * Adds a way to find model classes that nothing has used yet (the ORM adds one that asks V8 for
 * every subclass of `Model`); `discoverModels()` runs them.
 */
export function addModelDiscovery(discover: () => void): void {
  discoveries.add(discover);
}

/** Registers every model class defined so far, used or not (`createAll()`/`dropAll()` without an argument). */
export function discoverModels(): void {
  for (const discover of discoveries) discover();
}

/**
 * Every model registered so far, in registration order.
 *
 * @example
 * registeredModels().map((m) => m.tableName) // ['users', 'posts']
 */
export function registeredModels(): ModelLike[] {
  return [...models];
}

/** Starts telling `watcher` about models registered from now on; returns the handle `unwatchModels` takes. */
export function watchModels(watcher: ModelWatcher): WeakRef<ModelWatcher> {
  const ref = new WeakRef(watcher);
  watchers.add(ref);
  return ref;
}

/** Stops a `watchModels` subscription. */
export function unwatchModels(ref: WeakRef<ModelWatcher>): void {
  watchers.delete(ref);
}

/** How many watchers are subscribed and still alive (for leak tests). */
export function modelWatcherCount(): number {
  let n = 0;
  for (const ref of watchers) {
    if (ref.deref() === undefined) watchers.delete(ref);
    else n++;
  }
  return n;
}

/** `list` plus every model its models reference, directly or not (registering those too). */
export function withDependencies(list: readonly ModelLike[]): ModelLike[] {
  const out = new Set<ModelLike>();
  const visit = (m: ModelLike): void => {
    if (out.has(m)) return;
    out.add(m);
    for (const dep of m.dependencies()) visit(dep);
  };
  for (const m of list) visit(m);
  return [...out];
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
