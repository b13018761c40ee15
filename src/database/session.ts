import type { Dialect } from './drivers/dialect.js';
import type { DriverResult } from './drivers/driver.js';
import { kExecute, Queryable } from './queryable.js';
import type { Transaction } from './transaction.js';

/** What a session can persist: an ORM model instance (anything with `save` and `delete`). */
export interface Persistable {
  save(db: Queryable): Promise<unknown>;
  delete(db: Queryable): Promise<unknown>;
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
 * const user = new User({ name: 'Ann', email: 'ann@example.com' });
 * session.add(user);
 * await session.commit();
 * user.id; // set by the INSERT
 */
export class Session extends Queryable {
  readonly #host: SessionHost;
  #pending: { readonly obj: Persistable; readonly op: 'save' | 'delete' }[] = [];

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

  /** Writes everything pending in one transaction; on failure nothing is written and nothing stays pending. */
  async commit(): Promise<void> {
    const work = this.#pending;
    this.#pending = [];
    if (work.length === 0) return;
    await this.#host.transaction(async (tx) => {
      for (const { obj, op } of work) {
        if (op === 'save') await obj.save(tx);
        else await obj.delete(tx);
      }
    });
  }

  /** Forgets pending work. */
  rollback(): void {
    this.#pending = [];
  }
}
