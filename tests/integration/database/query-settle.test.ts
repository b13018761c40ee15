// `fetchAll`/`fetchOne`/`fetchVal`/`execute` on SQLite's idle connection settle in one promise:
// while an AsyncLocalStorage is in use (tracing, request logging), Node 20 runs a hook for every
// promise and `await`, so a query that made four of them cost every traced request. The
// behaviour must not change with it: same results, errors as rejections (never thrown from the
// call), statements still reported on covet:db:query, and the asynchronous path where the
// connection is busy.
import assert from 'node:assert/strict';
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { DatabaseManager, type QueryMessage, sql } from '../../../src/database/index.js';

async function withUsers(fn: (db: DatabaseManager) => Promise<void>): Promise<void> {
  const db = new DatabaseManager('sqlite:///:memory:');
  try {
    await db.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    await db.execute('INSERT INTO users (id, name) VALUES (?, ?), (?, ?)', 1, 'ann', 2, 'bob');
    await fn(db);
  } finally {
    await db.close();
  }
}

/** Promises created while `fn` runs synchronously. */
function promisesMadeBy(fn: () => unknown): number {
  let made = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') made++;
    },
  }).enable();
  try {
    fn();
  } finally {
    hook.disable();
  }
  return made;
}

describe('queries on SQLite settle in one promise', () => {
  it('give the same results from every query method', () =>
    withUsers(async (db) => {
      assert.deepEqual(await db.fetchAll('SELECT id, name FROM users ORDER BY id'), [
        { id: 1, name: 'ann' },
        { id: 2, name: 'bob' },
      ]);
      assert.deepEqual(await db.fetch('SELECT name FROM users WHERE id = %s', 2), [{ name: 'bob' }]);
      assert.deepEqual(await db.fetchOne('SELECT id, name FROM users WHERE id = $1', 1), { id: 1, name: 'ann' });
      assert.equal(await db.fetchOne('SELECT id FROM users WHERE id = ?', 99), null);
      assert.equal(await db.fetchVal('SELECT name FROM users WHERE id = ?', 2), 'bob');
      assert.equal(await db.fetchVal('SELECT name FROM users WHERE id = ?', 99), null);
      assert.equal(await db.fetchVal(sql`SELECT count(*) AS n FROM users WHERE name <> ${'zed'}`), 2);
      const inserted = await db.execute('INSERT INTO users (name) VALUES (?)', 'cy');
      assert.deepEqual(inserted, { rowCount: 1, lastInsertId: 3, rows: [] });
      const returned = await db.execute('UPDATE users SET name = ? WHERE id = ? RETURNING id, name', 'cyd', 3);
      assert.deepEqual(returned, { rowCount: 1, lastInsertId: null, rows: [{ id: 3, name: 'cyd' }] });
    }));

  it('make one promise per query while an AsyncLocalStorage is in use', () =>
    withUsers(async (db) => {
      const storage = new AsyncLocalStorage<object>();
      await storage.run({}, async () => {
        let pending: Promise<unknown> | undefined;
        assert.equal(
          promisesMadeBy(() => {
            pending = db.fetchOne('SELECT name FROM users WHERE id = ?', 1);
          }),
          1,
        );
        assert.deepEqual(await pending, { name: 'ann' });
        assert.equal(
          promisesMadeBy(() => {
            pending = db.execute('UPDATE users SET name = name WHERE id = ?', 1);
          }),
          1,
        );
        assert.equal(((await pending) as { rowCount: number }).rowCount, 1);
      });
    }));

  it('reject, never throw, for SQL errors, bad parameters and bad statements', () =>
    withUsers(async (db) => {
      let bad: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        bad = db.fetchOne('SELEC id FROM users');
      });
      await assert.rejects(bad as Promise<unknown>, (err: Error) => /syntax error/.test(err.message));
      await assert.rejects(db.fetchAll('SELECT * FROM nowhere'), (err: Error) => /no such table/.test(err.message));
      await assert.rejects(db.fetchVal(sql`SELECT ${undefined}`), {
        name: 'TypeError',
        message: 'Value 1 of the sql`…` query is undefined; pass null for SQL NULL',
      });
      await assert.rejects(db.execute(sql`SELECT 1`, 2), {
        name: 'TypeError',
        message: 'A sql`…` query carries its own values; pass no extra parameters',
      });
      await assert.rejects(db.fetchAll(42 as unknown as string), { name: 'TypeError', message: 'A statement is a SQL string or a sql`…` query' });
      // The connection is still usable after the failures.
      assert.equal(await db.fetchVal('SELECT count(*) FROM users'), 2);
    }));

  it('still report every statement on covet:db:query', () =>
    withUsers(async (db) => {
      const messages: QueryMessage[] = [];
      const listener = (m: unknown): void => {
        messages.push(m as QueryMessage);
      };
      subscribe('covet:db:query', listener);
      try {
        assert.equal(await db.fetchVal('SELECT name FROM users WHERE id = ?', 1), 'ann');
        await assert.rejects(db.fetchOne('SELECT * FROM nowhere'));
      } finally {
        unsubscribe('covet:db:query', listener);
      }
      assert.deepEqual(
        messages.map((m) => m.sql),
        ['SELECT name FROM users WHERE id = ?', 'SELECT * FROM nowhere'],
      );
    }));

  it('wait for the connection while a transaction holds it', () =>
    withUsers(async (db) => {
      const order: string[] = [];
      let outside: Promise<unknown> | undefined;
      await db.transaction(async (tx) => {
        await tx.execute('UPDATE users SET name = ? WHERE id = ?', 'in tx', 1);
        outside = db.fetchVal('SELECT name FROM users WHERE id = ?', 1).then((name) => {
          order.push(`outside saw ${String(name)}`);
        });
        await new Promise((r) => setTimeout(r, 20));
        order.push('commit');
      });
      await outside;
      assert.deepEqual(order, ['commit', 'outside saw in tx']);
    }));
});
