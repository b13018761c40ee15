/**
 * What sessions hold. Augment it to type your keys (values must survive `JSON.stringify`):
 *
 * @example
 * declare module 'covet' { interface SessionData { userId?: number; cart?: string[] } }
 */
export interface SessionData {
  [key: string]: unknown;
}

/** A key of `SessionData`. */
export type SessionKey = keyof SessionData & string;

/** A value that may be returned directly or through a promise. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Where server-side sessions live. Any object with these methods works (Covet ships
 * `MemorySessionStore`, `RedisSessionStore` and `DatabaseSessionStore`). `ttlSeconds` is the
 * session's `maxAge`; a store must not return a session after it.
 *
 * @example
 * const store: SessionStore = { get: (id) => map.get(id) ?? null, set: (id, d) => void map.set(id, d), destroy: (id) => void map.delete(id) };
 */
export interface SessionStore {
  /** The data saved under `id`, or `null` when there is none (or it expired). */
  get(id: string): Awaitable<Readonly<Record<string, unknown>> | null | undefined>;
  /** Saves (creates or replaces) the data under `id` for `ttlSeconds`. */
  set(id: string, data: Readonly<Record<string, unknown>>, ttlSeconds: number): Awaitable<void>;
  /** Removes `id`; no error when it does not exist. */
  destroy(id: string): Awaitable<void>;
  /** Extends `id` by `ttlSeconds` without rewriting it (rolling sessions); `set` is used when absent. */
  touch?(id: string, ttlSeconds: number): Awaitable<void>;
}

/**
 * `req.session`: the request's session, loaded by `SessionMiddleware` before the handler runs.
 * Reading and writing are synchronous; the middleware saves after the handler, and only when
 * something changed (or `rolling` is on).
 *
 * @example
 * app.post('/login', async (req) => {
 *   const user = await checkPassword(await req.json());
 *   await req.session.regenerate(); // a new id at login: session fixation defence
 *   req.session.set('userId', user.id);
 *   return { ok: true };
 * });
 */
export interface Session {
  /** The session id (a 256-bit random string). A new session gets one when first read or saved. */
  readonly id: string;
  /** True when the request brought no valid session cookie. */
  readonly isNew: boolean;
  /** True once something was set, deleted, cleared or regenerated during this request. */
  readonly modified: boolean;
  get<K extends SessionKey>(key: K): SessionData[K] | undefined;
  /** Stores a value (`undefined` deletes the key). */
  set<K extends SessionKey>(key: K, value: SessionData[K]): void;
  has(key: SessionKey): boolean;
  delete(key: SessionKey): boolean;
  /** Removes every key (the session is dropped at the end of the request unless refilled). */
  clear(): void;
  keys(): string[];
  /** A copy of the data. */
  toJSON(): Partial<SessionData>;
  /**
   * Moves the data to a new id and destroys the old one in the store (call it at login and
   * privilege changes, so an id planted by an attacker is worthless).
   */
  regenerate(): Promise<void>;
  /** Deletes the session from the store and the browser; setting a value afterwards starts a new one. */
  destroy(): Promise<void>;
}

/** How a `RequestSession` reaches its store and makes ids (supplied by `SessionMiddleware`). */
export interface SessionHooks {
  newId(): string;
  /** Removes a saved id from the store (nothing to do for cookie sessions). */
  destroy(id: string): Promise<void>;
}

/**
 * The `Session` implementation `SessionMiddleware` puts on requests; the flags it reads back
 * decide what is written after the handler. Not exported from `covet`.
 */
export class RequestSession implements Session {
  readonly #data: Map<string, unknown>;
  readonly #hooks: SessionHooks;
  #id: string | null;
  /** The id as loaded from the store, while it still exists there. */
  #savedId: string | null;
  #isNew: boolean;
  #modified = false;
  #accessed = false;
  #destroyed = false;

  constructor(id: string | null, data: Readonly<Record<string, unknown>> | null, hooks: SessionHooks) {
    this.#id = id;
    this.#savedId = data === null ? null : id;
    this.#isNew = data === null;
    this.#data = new Map(data === null ? [] : Object.entries(data));
    this.#hooks = hooks;
  }

  get id(): string {
    this.#accessed = true;
    return (this.#id ??= this.#hooks.newId());
  }

  get isNew(): boolean {
    return this.#isNew;
  }

  get modified(): boolean {
    return this.#modified;
  }

  /** Whether the handler looked at or changed the session (the response then varies by `Cookie`). */
  get accessed(): boolean {
    return this.#accessed;
  }

  /** Destroyed and not used again since. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** The data was loaded from a valid cookie/store entry, and that entry still exists. */
  get persisted(): boolean {
    return this.#savedId !== null;
  }

  get size(): number {
    return this.#data.size;
  }

  get<K extends SessionKey>(key: K): SessionData[K] | undefined {
    this.#accessed = true;
    return this.#data.get(key) as SessionData[K] | undefined;
  }

  set<K extends SessionKey>(key: K, value: SessionData[K]): void {
    if (value === undefined) {
      this.delete(key);
      return;
    }
    this.#revive();
    this.#accessed = true;
    this.#modified = true;
    this.#data.set(key, value);
  }

  has(key: SessionKey): boolean {
    this.#accessed = true;
    return this.#data.has(key);
  }

  delete(key: SessionKey): boolean {
    this.#accessed = true;
    const had = this.#data.delete(key);
    if (had) this.#modified = true;
    return had;
  }

  clear(): void {
    this.#accessed = true;
    if (this.#data.size > 0) this.#modified = true;
    this.#data.clear();
  }

  keys(): string[] {
    this.#accessed = true;
    return [...this.#data.keys()];
  }

  toJSON(): Partial<SessionData> {
    this.#accessed = true;
    // fromEntries defines own properties, so a `__proto__` key stays data.
    return Object.fromEntries(this.#data);
  }

  async regenerate(): Promise<void> {
    this.#revive();
    this.#accessed = true;
    const old = this.#savedId;
    this.#savedId = null;
    this.#id = this.#hooks.newId();
    this.#modified = true;
    if (old !== null) await this.#hooks.destroy(old);
  }

  async destroy(): Promise<void> {
    this.#accessed = true;
    const old = this.#savedId;
    this.#savedId = null;
    this.#data.clear();
    this.#id = null;
    this.#destroyed = true;
    this.#modified = false;
    if (old !== null) await this.#hooks.destroy(old);
  }

  /** Using a destroyed session starts a fresh one under a new id. */
  #revive(): void {
    if (!this.#destroyed) return;
    this.#destroyed = false;
    this.#isNew = true;
    this.#id = this.#hooks.newId();
  }
}
