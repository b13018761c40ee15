import type { Dialect } from './drivers/dialect.js';
import type { DriverResult } from './drivers/driver.js';
import { kExecute, kQueryRowSync, kQueryValuesSync, type NOT_SYNC, Queryable } from './queryable.js';
import type { Transaction } from './transaction.js';

/** What a session can persist: an ORM model instance (anything with `save` and `delete`). */
export interface Persistable {
  save(db: Queryable): Promise<unknown>;
  delete(db: Queryable): Promise<unknown>;
}

interface Pending {
  readonly obj: Persistable;
  readonly op: 'save' | 'delete';
}

/** An object's own properties (symbol-keyed bookkeeping included), to undo what a failed commit did to it. */
type Snapshot = Map<string | symbol, unknown>;

function snapshot(obj: object): Snapshot {
  const out: Snapshot = new Map();
  for (const key of Reflect.ownKeys(obj)) out.set(key, (obj as Record<string | symbol, unknown>)[key]);
  return out;
}

function restore(obj: object, snap: Snapshot): void {
  const bag = obj as Record<string | symbol, unknown>;
  for (const key of Reflect.ownKeys(obj)) if (!snap.has(key)) delete bag[key];
  for (const [key, value] of snap) if (bag[key] !== value) bag[key] = value;
}

/** Where a session runs its statements and its commit transaction. */
export interface SessionHost extends Queryable {
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>;
}

/**
 * A unit of work: `add()` new or changed model instances, `delete()` others, then `commit()`
 * writes them all in one transaction (new rows get their ids and defaults). The query methods
 * go straight to the database. One session per request: `Depends(() => db.session())`.
 *
 * @example
 * const session = db.session();
 * const user = User.build({ name: 'Ann', email: 'ann@example.com' }); // typed from the columns, unlike a bare `new User(…)`
 * session.add(user);
 * await session.commit();
 * user.id; // set by the INSERT
 */
export class Session extends Queryable {
  readonly #host: SessionHost;
  #pending: Pending[] = [];

  constructor(host: SessionHost) {
    super();
    this.#host = host;
  }

  get dialect(): Dialect {
    return this.#host.dialect;
  }

  [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    return this.#host[kExecute](text, params, name);
  }

  override [kQueryRowSync](text: string, params: readonly unknown[]): readonly unknown[] | undefined | typeof NOT_SYNC {
    return this.#host[kQueryRowSync](text, params);
  }

  override [kQueryValuesSync](text: string, params: readonly unknown[]): readonly (readonly unknown[])[] | typeof NOT_SYNC {
    return this.#host[kQueryValuesSync](text, params);
  }

  /** Objects waiting for `commit()`. */
  get pending(): readonly Persistable[] {
    return this.#pending.map((p) => p.obj);
  }

  /** Schedules an INSERT (new object) or UPDATE of its changed columns (loaded object). */
  add(...objects: Persistable[]): this {
    for (const obj of objects) {
      if (typeof obj?.save !== 'function') throw new TypeError('session.add() takes model instances');
      if (!this.#pending.some((p) => p.obj === obj && p.op === 'save')) this.#pending.push({ obj, op: 'save' });
    }
    return this;
  }

  /** Schedules a DELETE. */
  delete(...objects: Persistable[]): this {
    for (const obj of objects) {
      if (typeof obj?.delete !== 'function') throw new TypeError('session.delete() takes model instances');
      this.#pending.push({ obj, op: 'delete' });
    }
    return this;
  }

  /**
   * Writes everything pending in one transaction: all or nothing. On failure the session is
   * empty again (a shared session must not retry one request's failed work in the next), and
   * every object is exactly as before `commit()` — new ones without the ids of INSERTs that were
   * rolled back, changed ones still changed — so it can be fixed and `add()`ed again.
   */
  async commit(): Promise<void> {
    const work = this.#pending;
    this.#pending = [];
    if (work.length === 0) return;
    const before = work.map((p) => snapshot(p.obj));
    try {
      await this.#host.transaction(async (tx) => {
        for (const { obj, op } of work) {
          if (op === 'save') await obj.save(tx);
          else await obj.delete(tx);
        }
      });
    } catch (err) {
      for (let i = 0; i < work.length; i++) restore((work[i] as Pending).obj, before[i] as Snapshot);
      throw err;
    }
  }

  /** Forgets pending work. */
  rollback(): void {
    this.#pending = [];
  }
}
