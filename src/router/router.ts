import { decodeRoutingPath } from './decode-path.js';
import { RadixTree, type RouteMatch } from './radix-tree.js';

/** A route as registered: method, path template and stored value. */
export interface RouteEntry<T> {
  readonly method: string;
  readonly path: string;
  readonly value: T;
}

/**
 * The HTTP router: one radix tree per method. It stores any value, so it can be used (and
 * benchmarked) on its own; `CovetApp` stores its compiled routes in it.
 *
 * Rules (see docs/routing.md): matching is case-sensitive and exact about trailing slashes;
 * static segments beat placeholders, narrow converters beat wide ones; percent-escapes are
 * decoded before matching except `%2F`/`%25`, which only parameter values see decoded.
 *
 * @example
 * const router = new Router<string>();
 * router.add('GET', '/users/{id:int}', 'get-user');
 * router.find('GET', '/users/7')?.params.id // 7
 */
export class Router<T = unknown> {
  readonly #trees = new Map<string, RadixTree<T>>();
  readonly #routes: RouteEntry<T>[] = [];

  /** Registers `value` for `method` and `path`; throws on a duplicate or a malformed path. */
  add(method: string, path: string, value: T): this {
    const m = method.toUpperCase();
    let tree = this.#trees.get(m);
    if (tree === undefined) {
      tree = new RadixTree<T>();
      this.#trees.set(m, tree);
    }
    tree.insert(path, value);
    this.#routes.push({ method: m, path, value });
    return this;
  }

  /** Looks a request path up (no query string); `null` when nothing matches. */
  find(method: string, path: string): RouteMatch<T> | null {
    const tree = this.#tree(method);
    if (tree === undefined) return null;
    if (path.indexOf('%') === -1) return tree.lookup(path, false);
    const decoded = decodeRoutingPath(path);
    return decoded === null ? null : tree.lookup(decoded, decoded.indexOf('%') !== -1);
  }

  /** Like `find`, for a path already passed through `decodeRoutingPath`. */
  lookup(method: string, routingPath: string): RouteMatch<T> | null {
    const tree = this.#tree(method);
    return tree === undefined ? null : tree.lookup(routingPath);
  }

  /** The route of the first method (in the order methods were added) that has one for this (decoded) path. */
  lookupAnyMethod(routingPath: string): RouteMatch<T> | null {
    for (const tree of this.#trees.values()) {
      const match = tree.lookup(routingPath);
      if (match !== null) return match;
    }
    return null;
  }

  /** The methods that have a route for this (decoded) path, for `Allow` headers. */
  allowedMethods(routingPath: string): string[] {
    const allowed: string[] = [];
    for (const [method, tree] of this.#trees) if (tree.lookup(routingPath) !== null) allowed.push(method);
    return allowed;
  }

  // `add` upper-cases the method, so lookups must too; requests from Node already are, so the
  // exact lookup comes first and only a miss pays for `toUpperCase`.
  #tree(method: string): RadixTree<T> | undefined {
    return this.#trees.get(method) ?? this.#trees.get(method.toUpperCase());
  }

  /** Every route in registration order. */
  get routes(): readonly RouteEntry<T>[] {
    return this.#routes;
  }
}
