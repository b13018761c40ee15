import type { Request } from './request.js';
import type { DepsMap, ResolvedDeps } from './types.js';

declare const VALUE: unique symbol;
const IS_DEPENDENCY = Symbol.for('covet.dependency');

/** A dependency function: plain, async, or a (async) generator whose code after `yield` is cleanup. */
export type DependencyFunction<D = Record<never, never>> = (req: Request, deps: ResolvedDeps<D>) => unknown;

/** What a dependency function's return value provides: the yielded value for generators. */
export type Provided<R> = R extends AsyncGenerator<infer Y, unknown, unknown>
  ? Y
  : R extends Generator<infer Y, unknown, unknown>
    ? Y
    : Awaited<R>;

/** A declared dependency: what `Depends(fn)` returns and `deps: {...}` holds. */
export interface Dependency<T> {
  readonly [IS_DEPENDENCY]: true;
  readonly fn: DependencyFunction<never>;
  readonly deps: DepsMap | null;
  /** Resolve once per request and share the value (default `true`). */
  readonly useCache: boolean;
  /** Type-level only: the provided value. */
  readonly [VALUE]?: T;
}

/** Options of `Depends`. */
export interface DependsOptions<D extends DepsMap> {
  /** What this dependency itself depends on; resolved first and passed as its second argument. */
  readonly deps?: D;
  /** Share one value per request between everything that asks for this function. Default `true`. */
  readonly useCache?: boolean;
}

/**
 * Declares a dependency, FastAPI-style: resolved once per request, nested through `deps`,
 * and, for generator functions, cleaned up after the response.
 *
 * @example
 * async function* getTx(req: Request) { const tx = await db.begin(); try { yield tx; await tx.commit() } catch (e) { await tx.rollback(); throw e } }
 * app.post('/users', { deps: { tx: Depends(getTx) } }, async (req, { tx }) => ({ id: await tx.fetchVal('INSERT INTO users (name) VALUES (%s) RETURNING id', await req.text()) }))
 */
export function Depends<R, D extends DepsMap = Record<never, never>>(
  fn: (req: Request, deps: ResolvedDeps<D>) => R,
  options?: DependsOptions<D>,
): Dependency<Provided<R>>;
/** A class, FastAPI-style: `new Cls(req, deps)` per request (cached like a function). */
export function Depends<T, D extends DepsMap = Record<never, never>>(
  cls: new (req: Request, deps: ResolvedDeps<D>) => T,
  options?: DependsOptions<D>,
): Dependency<T>;
export function Depends(fn: unknown, options: DependsOptions<DepsMap> = {}): Dependency<unknown> {
  if (typeof fn !== 'function') throw new TypeError('Depends() takes a function or a class');
  return {
    [IS_DEPENDENCY]: true,
    fn: (isClass(fn) ? constructorOf(fn) : fn) as DependencyFunction<never>,
    deps: options.deps ?? null,
    useCache: options.useCache ?? true,
  };
}

// One function per class, so that every `Depends(Cls)` shares the request cache (keyed by function).
const constructors = new WeakMap<object, DependencyFunction<DepsMap>>();
const classes = new WeakMap<object, object>();

/**
 * `app.dependencyOverrides`: what a dependency is replaced with (tests), keyed by the function or
 * class given to `Depends` (or by the `Depends(...)` value itself). A replacement is a function or
 * class (`(req) => fake`, no dependencies of its own) or a `Depends(fake, { deps })`.
 */
export type DependencyOverrides = Map<unknown, ((req: Request, deps: never) => unknown) | (new (req: Request, deps: never) => unknown) | Dependency<unknown>>;

/** A `class` cannot be called, only constructed (`Function.prototype.toString` tells them apart). */
function isClass(fn: unknown): fn is new (req: Request, deps: unknown) => unknown {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function constructorOf(cls: new (req: Request, deps: unknown) => unknown): DependencyFunction<DepsMap> {
  let fn = constructors.get(cls);
  if (fn === undefined) {
    fn = { [cls.name]: (req: Request, deps: unknown) => new cls(req, deps) }[cls.name] as DependencyFunction<DepsMap>;
    constructors.set(cls, fn);
    classes.set(fn, cls);
  }
  return fn;
}

/** True for values made by `Depends`. */
export function isDependency(value: unknown): value is Dependency<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[IS_DEPENDENCY] === true;
}

type AnyGenerator = Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>;

function isGenerator(value: unknown): value is AnyGenerator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyGenerator).next === 'function' &&
    typeof (value as AnyGenerator).throw === 'function' &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

/**
 * The per-request resolver: caches values by function, remembers generator dependencies and
 * finishes them — `close()` after the response, `fail(err)` when the request failed (the
 * error is thrown in at the `yield`, so a `catch` can roll back).
 */
export class DependencyScope {
  readonly #cache = new Map<unknown, Promise<unknown>>();
  readonly #overrides: ReadonlyMap<unknown, unknown> | null;
  readonly #generators: AnyGenerator[] = [];
  #finished = false;
  // What `fail` threw in, for a generator that yields only after that (see `#run`).
  #failure: { readonly error: unknown } | null = null;

  constructor(overrides: ReadonlyMap<unknown, unknown> | null = null) {
    this.#overrides = overrides !== null && overrides.size > 0 ? overrides : null;
  }

  /** The dependency to run in place of `dep`, from `app.dependencyOverrides`. */
  #replacement(dep: Dependency<unknown>): Dependency<unknown> {
    const overrides = this.#overrides;
    if (overrides === null) return dep;
    const cls = classes.get(dep.fn);
    const found = overrides.get(dep) ?? overrides.get(dep.fn) ?? (cls === undefined ? undefined : overrides.get(cls));
    if (found === undefined) return dep;
    return isDependency(found) ? found : Depends(found as DependencyFunction<DepsMap>);
  }

  resolve<T>(req: Request, dep: Dependency<T>): Promise<T> {
    if (!dep.useCache) return this.#run(req, dep) as Promise<T>;
    let pending = this.#cache.get(dep.fn);
    if (pending === undefined) {
      pending = this.#run(req, dep);
      this.#cache.set(dep.fn, pending);
    }
    return pending as Promise<T>;
  }

  async resolveAll<D extends DepsMap>(req: Request, deps: D): Promise<ResolvedDeps<D>> {
    const names = Object.keys(deps);
    const pending = names.map((name) => this.resolve(req, deps[name] as Dependency<unknown>));
    let values: unknown[];
    try {
      values = await Promise.all(pending);
    } catch (err) {
      // One failed while others are still starting: let them finish, so that a generator among
      // them (a transaction being opened) is known to the scope and gets the failure at its
      // `yield`, instead of being left open.
      await Promise.allSettled(pending);
      throw err;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) out[names[i] as string] = values[i];
    return out as ResolvedDeps<D>;
  }

  get hasCleanup(): boolean {
    return this.#generators.length > 0 && !this.#finished;
  }

  async #run(req: Request, declared: Dependency<unknown>): Promise<unknown> {
    const dep = this.#replacement(declared);
    const sub = dep.deps === null ? {} : await this.resolveAll(req, dep.deps);
    const result = (dep.fn as DependencyFunction<DepsMap>)(req, sub as ResolvedDeps<DepsMap>);
    if (!isGenerator(result)) return result;
    if (this.#finished) throw new Error('A generator dependency was resolved after the request finished');
    const first = await result.next();
    if (first.done) throw new Error(`Dependency ${dep.fn.name || '(anonymous)'} returned without yielding a value`);
    if (this.#finished) {
      // The request ended (a route timeout failed it) while this one was starting: it is
      // finished at once, getting the failure at its `yield` like the others, so its cleanup runs.
      const failure = this.#failure;
      await Promise.resolve(failure === null ? result.return(undefined) : result.throw(failure.error)).catch(() => {});
      throw new Error('A generator dependency was resolved after the request finished');
    }
    this.#generators.push(result);
    return first.value;
  }

  /** Runs the cleanup of every generator dependency, last resolved first. Errors go to `onError`. */
  async close(onError: (err: unknown) => void): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (let i = this.#generators.length - 1; i >= 0; i--) {
      try {
        await (this.#generators[i] as AnyGenerator).next();
      } catch (err) {
        onError(err);
      }
    }
  }

  /**
   * Throws `error` into every generator dependency at its `yield`, last resolved first. A
   * generator that rethrows (or throws another error) replaces the error seen by the rest.
   */
  async fail(error: unknown): Promise<unknown> {
    if (this.#finished) return error;
    this.#finished = true;
    this.#failure = { error };
    let current = error;
    for (let i = this.#generators.length - 1; i >= 0; i--) {
      try {
        await (this.#generators[i] as AnyGenerator).throw(current);
      } catch (err) {
        current = err;
      }
    }
    return current;
  }
}
