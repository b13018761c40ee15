import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  ConnectionError,
  DatabaseConfig,
  DatabaseError,
  DatabaseManager,
  IntegrityError,
  QueryOptimizer,
  sql,
  TransactionAbortedError,
  UnknownColumnError,
} from '../../../src/database/index.js';
import { serialPk, targets } from './targets.js';

for (const target of targets) {
  describe(`DatabaseManager on ${target.name}`, { skip: target.skip }, () => {
    async function withUsers(fn: (db: DatabaseManager) => Promise<void>): Promise<void> {
      await using db = target.open();
      await db.execute(`CREATE TABLE users (id ${serialPk(target.name)}, name VARCHAR(100) NOT NULL, email VARCHAR(255) UNIQUE, age INTEGER)`);
      await fn(db);
    }

    it('runs fetchAll/fetchOne/fetchVal/execute with %s, ? and $1 placeholders', () =>
      withUsers(async (db) => {
        const id = await db.fetchVal<number>(
          target.name === 'mysql' ? 'SELECT 1' : 'INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id',
          ...(target.name === 'mysql' ? [] : ['Ann', 'ann@example.com']),
        );
        if (target.name === 'mysql') {
          const res = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Ann', 'ann@example.com');
          assert.equal(res.rowCount, 1);
          assert.equal(res.lastInsertId, 1);
        } else assert.equal(id, 1);
        await db.execute('INSERT INTO users (name, email, age) VALUES (?, ?, ?)', 'Bob', 'bob@example.com', 30);
        await db.execute('INSERT INTO users (name, email, age) VALUES ($2, $1, $3)', 'cy@example.com', 'Cy', null);
        const all = await db.fetchAll<{ name: string }>('SELECT name FROM users ORDER BY id');
        assert.deepEqual(
          all.map((r) => r.name),
          ['Ann', 'Bob', 'Cy'],
        );
        assert.deepEqual(await db.fetchOne('SELECT name, age FROM users WHERE email = %s', 'bob@example.com'), { name: 'Bob', age: 30 });
        assert.equal(await db.fetchOne('SELECT * FROM users WHERE id = %s', 999), null);
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 3);
        assert.equal(await db.fetchVal('SELECT name FROM users WHERE id = %s', 999), null);
        assert.deepEqual(await db.fetch('SELECT name FROM users WHERE name ILIKE %s ORDER BY name', '%N%'), [{ name: 'Ann' }]);
        const upd = await db.execute('UPDATE users SET age = %s WHERE age IS NULL', 1);
        assert.equal(upd.rowCount, 2);
        assert.equal((await db.fetchVal('SELECT 10 %% 3')) as number, 1);
        assert.equal(await db.fetchVal("SELECT '%s?'"), '%s?');
      }));

    it('returns RETURNING rows from execute (PostgreSQL, SQLite)', { skip: target.name === 'mysql' ? 'MySQL has no UPDATE … RETURNING' : false }, () =>
      withUsers(async (db) => {
        const res = await db.execute('INSERT INTO users (name) VALUES (%s), (%s) RETURNING id, name', 'A', 'B');
        assert.equal(res.rowCount, 2);
        assert.deepEqual(res.rows, [
          { id: 1, name: 'A' },
          { id: 2, name: 'B' },
        ]);
        const del = await db.execute<{ id: number }>('DELETE FROM users WHERE name = %s RETURNING id', 'B');
        assert.deepEqual(del.rows, [{ id: 2 }]);
      }));

    it('reads %% as a literal % in a statement with %s placeholders, as psycopg does, literals included', () =>
      withUsers(async (db) => {
        assert.deepEqual(await db.fetchOne("SELECT 'a%%' AS lit, %s AS p", 'x'), { lit: 'a%', p: 'x' });
        // A lone % in a literal is kept; without %s placeholders a literal is left as written.
        assert.deepEqual(await db.fetchOne("SELECT 'a%' AS lit, %s AS p", 'x'), { lit: 'a%', p: 'x' });
        assert.deepEqual(await db.fetchOne("SELECT 'a%%' AS lit"), { lit: 'a%%' });
        assert.deepEqual(await db.fetchOne("SELECT 'a%%' AS lit, ? AS p", 'x'), { lit: 'a%%', p: 'x' });
        await db.execute('INSERT INTO users (name, email) VALUES (%s, %s), (%s, %s)', 'Ann', '100%@x', 'Bob', 'bob@x');
        // LIKE patterns: %% in the statement, % in a parameter (never rewritten).
        assert.deepEqual(await db.fetchAll("SELECT name FROM users WHERE email LIKE '100%%' AND name ILIKE %s", '%N%'), [{ name: 'Ann' }]);
        assert.deepEqual(await db.fetchOne("SELECT %s AS p, 'q%%' AS lit", '50%%'), { p: '50%%', lit: 'q%' });
      }));

    it('reports lastInsertId for the row an INSERT inserted, and null for every other statement', () =>
      withUsers(async (db) => {
        const ddl = await db.execute('CREATE TABLE lid_notes (id INTEGER PRIMARY KEY, note VARCHAR(10))');
        assert.deepEqual(ddl, { rowCount: 0, lastInsertId: null, rows: [] });
        // PostgreSQL reports no id without RETURNING.
        const ins = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Ann', 'ann@x');
        assert.deepEqual(ins, { rowCount: 1, lastInsertId: target.name === 'postgresql' ? null : 1, rows: [] });
        const mariadb = target.name === 'mysql' && /mariadb/i.test(String(await db.fetchVal('SELECT VERSION()')));
        if (target.name !== 'mysql' || mariadb) {
          // Every backend that has INSERT … RETURNING: the first value returned.
          const ret = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id, name', 'Bob', 'bob@x');
          assert.deepEqual(ret, { rowCount: 1, lastInsertId: 2, rows: [{ id: 2, name: 'Bob' }] });
        } else await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Bob', 'bob@x');
        // Statements that insert nothing, right after an INSERT (SQLite's lastInsertRowid still holds 2).
        assert.deepEqual(await db.execute('UPDATE users SET age = %s WHERE id = %s', 30, 2), { rowCount: 1, lastInsertId: null, rows: [] });
        assert.deepEqual(await db.execute('UPDATE users SET age = %s WHERE id = %s', 30, 999), { rowCount: 0, lastInsertId: null, rows: [] });
        assert.deepEqual((await db.execute('SELECT id FROM users WHERE id = %s', 2)).lastInsertId, null);
        assert.deepEqual(await db.execute('DELETE FROM users WHERE id = %s', 2), { rowCount: 1, lastInsertId: null, rows: [] });
        // An INSERT that inserted no row (the email is taken).
        const ignore =
          target.name === 'mysql'
            ? 'INSERT IGNORE INTO users (name, email) VALUES (%s, %s)'
            : target.name === 'sqlite'
              ? 'INSERT OR IGNORE INTO users (name, email) VALUES (%s, %s)'
              : 'INSERT INTO users (name, email) VALUES (%s, %s) ON CONFLICT DO NOTHING';
        assert.deepEqual(await db.execute(ignore, 'Ann again', 'ann@x'), { rowCount: 0, lastInsertId: null, rows: [] });
        if (target.name !== 'mysql') {
          const none = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING id', 'A', 'ann@x');
          assert.deepEqual(none, { rowCount: 0, lastInsertId: null, rows: [] });
        }
        // The next id: 3 (the deleted 2 is not reused where ids only grow).
        const cy = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Cy', 'cy@x');
        const cyId = await db.fetchVal<number>('SELECT id FROM users WHERE email = %s', 'cy@x');
        assert.equal(cy.lastInsertId, target.name === 'postgresql' ? null : cyId);
        if (target.name === 'sqlite') {
          // A WITH list before the INSERT, and an upsert (which cannot tell its insert from its update).
          const withInsert = await db.execute("WITH v(n, e) AS (SELECT 'Di', 'di@x') INSERT INTO users (name, email) SELECT n, e FROM v");
          assert.equal(withInsert.lastInsertId, await db.fetchVal('SELECT id FROM users WHERE email = %s', 'di@x'));
          const upsert = await db.execute('INSERT INTO users (name, email) VALUES (%s, %s) ON CONFLICT (email) DO UPDATE SET age = 1', 'X', 'ann@x');
          assert.deepEqual(upsert, { rowCount: 1, lastInsertId: null, rows: [] });
        }
        if (target.name === 'mysql') {
          // UPDATE … LAST_INSERT_ID(expr) sets MySQL's insertId; it still inserted nothing.
          const upd = await db.execute('UPDATE users SET age = LAST_INSERT_ID(id) WHERE email = %s', 'ann@x');
          assert.deepEqual(upd, { rowCount: 1, lastInsertId: null, rows: [] });
        }
        await db.execute('DROP TABLE lid_notes');
      }));

    it('runs sql`…` query objects: awaited, or passed to fetchAll/fetchOne/execute', () =>
      withUsers(async (db) => {
        const name = "O'Brien";
        await db.execute(db.sql`INSERT INTO users (name, email) VALUES (${name}, ${'ob@example.com'})`);
        const rows = await db.sql<{ name: string }>`SELECT name FROM users WHERE name = ${name}`;
        assert.deepEqual(rows, [{ name }]);
        assert.deepEqual(await db.fetchOne(sql`SELECT email FROM users WHERE name = ${name}`), { email: 'ob@example.com' });
        assert.deepEqual(await db.fetchAll(sql`SELECT ${sql.id('name')} FROM ${sql.id('users')} WHERE id IN (${sql.join([1, 2])})`), [{ name }]);
        await assert.rejects(db.fetchAll(sql`SELECT 1`, 2), /carries its own values/);
      }));

    it('commits and rolls back transactions, with nested savepoints', () =>
      withUsers(async (db) => {
        await db.transaction(async (tx) => {
          await tx.execute('INSERT INTO users (name) VALUES (%s)', 'outer');
          await tx.transaction(async (inner) => {
            await inner.execute('INSERT INTO users (name) VALUES (%s)', 'kept');
          });
          await assert.rejects(
            tx.transaction(async (inner) => {
              await inner.execute('INSERT INTO users (name) VALUES (%s)', 'dropped');
              throw new Error('undo this savepoint');
            }),
            /undo this savepoint/,
          );
          const sp = await tx.savepoint();
          await sp.execute('INSERT INTO users (name) VALUES (%s)', 'explicit savepoint');
          await sp.commit();
        });
        await assert.rejects(
          db.transaction(async (tx) => {
            await tx.execute('INSERT INTO users (name) VALUES (%s)', 'rolled back');
            throw new Error('boom');
          }),
          /boom/,
        );
        const names = (await db.fetchAll<{ name: string }>('SELECT name FROM users ORDER BY id')).map((r) => r.name);
        assert.deepEqual(names, ['outer', 'kept', 'explicit savepoint']);
        const tx = await db.begin();
        await tx.execute('DELETE FROM users');
        await tx.rollback();
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 3);
        await assert.rejects(tx.execute('SELECT 1'), /already been committed or rolled back/);
        assert.deepEqual(db.pool.stats.inUse, 0);
      }));

    it('keeps savepoints in nesting order: a clear error for parallel ones, rollback to one ends the later ones', () =>
      withUsers(async (db) => {
        // Promise.all over tx.transaction(): the first to finish would release the other's savepoint.
        await assert.rejects(
          db.transaction(async (tx) => {
            await Promise.all(
              ['a', 'b'].map((name, i) =>
                tx.transaction(async (sp) => {
                  await sp.execute('INSERT INTO users (name) VALUES (%s)', name);
                  if (i === 1) await new Promise((r) => setTimeout(r, 20));
                }),
              ),
            );
          }),
          (err: unknown) => err instanceof DatabaseError && err.code === 'ERR_DB_SAVEPOINT_ORDER' && /reverse order/.test(err.message),
        );
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 0);
        await db.transaction(async (tx) => {
          await tx.execute('INSERT INTO users (name) VALUES (%s)', 'kept');
          const first = await tx.savepoint();
          await first.execute('INSERT INTO users (name) VALUES (%s)', 'undone');
          const second = await tx.savepoint();
          await second.execute('INSERT INTO users (name) VALUES (%s)', 'undone too');
          await first.rollback(); // undoes `second` as well
          await second.rollback(); // already done: a no-op
          await assert.rejects(second.execute('SELECT 1'), (err: unknown) => err instanceof DatabaseError && err.code === 'ERR_DB_TRANSACTION_DONE');
          const a = await tx.savepoint();
          await a.execute('INSERT INTO users (name) VALUES (%s)', 'a');
          const b = await tx.savepoint();
          await b.execute('INSERT INTO users (name) VALUES (%s)', 'b');
          await b.commit(); // in reverse order: fine
          await a.commit();
        });
        assert.deepEqual(
          (await db.fetchAll<{ name: string }>('SELECT name FROM users ORDER BY id')).map((r) => r.name),
          ['kept', 'a', 'b'],
        );
        assert.equal(db.pool.stats.inUse, 0);
      }));

    it('refuses to report a commit of a transaction whose failed statement PostgreSQL aborted (SQLite and MySQL commit the rest)', () =>
      withUsers(async (db) => {
        await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Ann', 'a@x.io');
        const aborted = (err: unknown): boolean =>
          err instanceof TransactionAbortedError &&
          err.code === 'ERR_DB_TRANSACTION_ABORTED' &&
          /rolled back, not committed: a statement in it failed.*tx\.transaction\(fn\)/.test(err.message) &&
          err.cause instanceof IntegrityError;
        // The statement error is caught inside fn, so fn resolves.
        const run = db.transaction(async (tx) => {
          await tx.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Bob', 'b@x.io');
          await assert.rejects(tx.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Dup', 'a@x.io'), IntegrityError);
          return 'done';
        });
        if (target.name === 'postgresql') await assert.rejects(run, aborted);
        else assert.equal(await run, 'done');
        // begin()/commit(): the same.
        const tx = await db.begin();
        await tx.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Cy', 'c@x.io');
        await assert.rejects(tx.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Dup', 'a@x.io'), IntegrityError);
        if (target.name === 'postgresql') {
          // Later statements fail with the same error class, not only COMMIT.
          await assert.rejects(
            tx.execute('SELECT 1'),
            (err: unknown) => err instanceof TransactionAbortedError && err.driverCode === '25P02' && /savepoint/.test(err.message),
          );
          await assert.rejects(tx.commit(), aborted);
        } else await tx.commit();
        assert.equal(tx.active, false);
        // A savepoint is the way to go on after a failed statement, on every database.
        await db.transaction(async (tx2) => {
          await tx2.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Dee', 'd@x.io');
          await assert.rejects(
            tx2.transaction((sp) => sp.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Dup', 'a@x.io')),
            IntegrityError,
          );
        });
        assert.deepEqual(
          (await db.fetchAll<{ name: string }>('SELECT name FROM users ORDER BY id')).map((r) => r.name),
          target.name === 'postgresql' ? ['Ann', 'Dee'] : ['Ann', 'Bob', 'Cy', 'Dee'],
        );
        assert.equal(db.pool.stats.inUse, 0);
      }));

    it('refuses to report a commit of a transaction MySQL rolled back whole after a deadlock', { skip: target.name !== 'mysql' && 'MySQL only' }, () =>
      withUsers(async (db) => {
        await db.execute('INSERT INTO users (id, name, age) VALUES (1, %s, 0), (2, %s, 0)', 'Ann', 'Bob');
        let arrived = 0;
        let bothLocked!: () => void;
        const locked = new Promise<void>((resolve) => (bothLocked = resolve));
        const meet = (): Promise<void> => (++arrived === 2 && bothLocked(), locked);
        const deadlock = (err: unknown): boolean => err instanceof DatabaseError && err.driverCode === 'ER_LOCK_DEADLOCK';
        const rolledBack = (err: unknown): boolean =>
          err instanceof TransactionAbortedError &&
          err.code === 'ERR_DB_TRANSACTION_ABORTED' &&
          /MySQL rolled back the whole transaction/.test(err.message) &&
          deadlock(err.cause);
        // Each transaction locks one row, then wants the other's; the one InnoDB picks as the
        // victim catches the deadlock and goes on, as it could after any other failed statement.
        const victim: { later?: unknown } = {};
        const run = (first: number, second: number) =>
          db.transaction(async (tx) => {
            await tx.execute('UPDATE users SET age = %s WHERE id = %s', first * 10, first);
            await meet();
            try {
              await tx.execute('UPDATE users SET age = %s WHERE id = %s', first * 10, second);
            } catch (err) {
              if (!deadlock(err)) throw err;
              // Without a transaction left, this insert would be committed on its own.
              victim.later = await tx.execute('INSERT INTO users (name) VALUES (%s)', 'after').catch((e: unknown) => e);
              await tx.transaction((sp) => sp.execute('SELECT 1')).catch(() => {});
            }
          });
        const results = await Promise.allSettled([run(1, 2), run(2, 1)]);
        const failed = results.filter((r) => r.status === 'rejected');
        assert.equal(failed.length, 1);
        assert.ok(rolledBack((failed[0] as PromiseRejectedResult).reason));
        assert.ok(rolledBack(victim.later));
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users WHERE name = %s', 'after'), 0);
        // The winner's two updates, and nothing of the victim's.
        const ages = (await db.fetchAll<{ age: number }>('SELECT age FROM users WHERE id IN (1, 2) ORDER BY id')).map((r) => r.age);
        assert.ok(ages[0] === ages[1] && (ages[0] === 10 || ages[0] === 20), `ages ${ages}`);
        assert.equal(db.pool.stats.inUse, 0);
      }));

    it('rolls back a transaction left open on a pooled connection before anyone else gets it', () =>
      withUsers(async (db) => {
        await assert.rejects(
          db.pool.withConnection(async (conn) => {
            await conn.execute(target.name === 'mysql' ? 'START TRANSACTION' : 'BEGIN');
            await conn.execute('INSERT INTO users (name) VALUES (%s)', 'never committed');
            throw new Error('payment provider timed out');
          }),
          /payment provider timed out/,
        );
        // The next borrower autocommits; before the fix its write ran inside the open transaction.
        await db.pool.withConnection((conn) => conn.execute('INSERT INTO users (name) VALUES (%s)', 'autocommit'));
        const conn = await db.pool.acquire();
        await conn.execute('BEGIN');
        conn.release();
        conn.release(); // twice: still one connection given back
        assert.deepEqual(await db.fetchAll('SELECT name FROM users ORDER BY id'), [{ name: 'autocommit' }]);
        // On PostgreSQL a transaction a failed statement aborted is rolled back too.
        await db.pool.withConnection(async (c) => {
          await c.execute('BEGIN');
          await c.execute('SELECT nope FROM users').catch(() => {});
        });
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 1);
        // The rollback runs after release(): the connection counts as in use until it is done.
        for (let i = 0; i < 100 && db.pool.stats.inUse > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(db.pool.stats.inUse, 0);
      }));

    it('reads a DATE as the same day whatever the process time zone (UTC midnight; SQLite keeps the text)', () =>
      withUsers(async (db) => {
        await db.execute('CREATE TABLE covet_days (id INTEGER PRIMARY KEY, day DATE)');
        const zone = process.env.TZ;
        try {
          await db.execute('INSERT INTO covet_days (id, day) VALUES (1, %s), (2, %s)', '1990-05-17', '2024-12-31');
          for (const tz of ['Europe/Berlin', 'Pacific/Kiritimati', 'America/Los_Angeles', 'UTC']) {
            process.env.TZ = tz;
            const days = (await db.fetchAll<{ day: unknown }>('SELECT day FROM covet_days ORDER BY id')).map((r) => r.day);
            if (target.name === 'sqlite') assert.deepEqual(days, ['1990-05-17', '2024-12-31'], tz);
            else {
              assert.ok(days.every((d) => d instanceof Date), tz);
              assert.deepEqual(
                days.map((d) => (d as Date).toISOString()),
                ['1990-05-17T00:00:00.000Z', '2024-12-31T00:00:00.000Z'],
                tz,
              );
            }
          }
        } finally {
          if (zone === undefined) delete process.env.TZ;
          else process.env.TZ = zone;
          await db.execute('DROP TABLE covet_days');
        }
      }));

    it('runs MySQL sessions in UTC, so NOW() and CURRENT_TIMESTAMP defaults agree with the dates it reads', { skip: target.name !== 'mysql' && 'MySQL only' }, () =>
      withUsers(async (db) => {
        // Two connections at once: every new connection, not just the first.
        const [a, b] = [await db.pool.acquire(), await db.pool.acquire()];
        try {
          for (const conn of [a, b]) {
            assert.deepEqual(await conn.fetchOne('SELECT @@session.time_zone AS tz, NOW(3) = UTC_TIMESTAMP(3) AS utc'), { tz: '+00:00', utc: 1 });
          }
        } finally {
          a.release();
          b.release();
        }
        await db.execute('CREATE TABLE covet_now (id INT PRIMARY KEY, at DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3))');
        try {
          const before = Date.now();
          await db.execute('INSERT INTO covet_now (id) VALUES (1)');
          const at = (await db.fetchVal<Date>('SELECT at FROM covet_now')) as Date;
          assert.ok(Math.abs(at.getTime() - before) < 60_000, at.toISOString());
        } finally {
          await db.execute('DROP TABLE covet_now');
        }
      }));

    it('raises a typed IntegrityError for unique, not-null and foreign-key violations', () =>
      withUsers(async (db) => {
        await db.execute(`CREATE TABLE posts (id ${serialPk(target.name)}, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR(50))`);
        await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'Ann', 'ann@example.com');
        const check = async (statement: string, params: unknown[], kind: string, column?: string) => {
          await assert.rejects(db.execute(statement, ...params), (err: unknown) => {
            assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
            assert.equal(err.kind, kind);
            assert.equal(err.code, 'ERR_DB_INTEGRITY');
            if (column !== undefined) assert.equal(err.column, column);
            assert.ok(err.sql?.includes('INSERT'));
            return true;
          });
        };
        await check('INSERT INTO users (name, email) VALUES (%s, %s)', ['Dup', 'ann@example.com'], 'unique', target.name === 'mysql' ? undefined : 'email');
        await check('INSERT INTO users (name, email) VALUES (%s, %s)', [null, 'x@example.com'], 'not_null', 'name');
        await check('INSERT INTO posts (user_id, title) VALUES (%s, %s)', [42, 't'], 'foreign_key');
      }));

    it('refuses several statements in one query without running any of them (script() takes several)', () =>
      withUsers(async (db) => {
        await db.execute('INSERT INTO users (name) VALUES (%s)', 'Ann');
        for (const statement of ["UPDATE users SET name = 'x'; DELETE FROM users", "UPDATE users SET name = 'x'; DELETE FROM users WHERE id = %s"]) {
          const params = statement.includes('%s') ? [1] : [];
          await assert.rejects(db.execute(statement, ...params), (err: unknown) => err instanceof DatabaseError);
        }
        assert.deepEqual(await db.fetchAll('SELECT name FROM users'), [{ name: 'Ann' }]);
        await db.script("UPDATE users SET name = 'Bo'; INSERT INTO users (name) VALUES ('Cy')");
        assert.deepEqual(await db.fetchAll('SELECT name FROM users ORDER BY id'), [{ name: 'Bo' }, { name: 'Cy' }]);
      }));

    it('takes only the four isolation levels, which are written into the statement', () =>
      withUsers(async (db) => {
        const bad = 'read committed; DROP TABLE users; --';
        const message =
          'isolation must be one of "read uncommitted", "read committed", "repeatable read", "serializable", got "read committed; DROP TABLE users; --"';
        await assert.rejects(db.transaction(async () => 1, { isolation: bad as never }), { name: 'TypeError', message });
        await assert.rejects(db.begin({ isolation: 'serialisable' as never }), /isolation must be one of/);
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 0);
        assert.equal(await db.transaction((tx) => tx.fetchVal('SELECT 1'), { isolation: 'repeatable read' }), 1);
        assert.equal(db.pool.stats.inUse, 0);
      }));

    it('names unknown columns in a clear error', () =>
      withUsers(async (db) => {
        await assert.rejects(db.fetchAll('SELECT nmae FROM users'), (err: unknown) => err instanceof UnknownColumnError && err.column === 'nmae');
        await assert.rejects(db.fetchAll('SELEC 1'), (err: unknown) => err instanceof DatabaseError && !(err instanceof UnknownColumnError));
      }));

    it("runs the seed's Database Optimization example: a prepared statement on a pooled connection", () =>
      withUsers(async (db) => {
        await db.execute('INSERT INTO users (name, email) VALUES (%s, %s), (%s, %s)', 'Ann', 'a@example.com', 'Bob', 'b@example.com');
        const optimizer = new QueryOptimizer();
        const search = optimizer.prepare('SELECT id, name, email FROM users WHERE name ILIKE $1 ORDER BY name LIMIT 100');
        assert.equal(optimizer.prepare(search.sql), search);
        for (const q of ['an', 'AN', "' OR '1'='1"]) {
          const results = await db.pool.withConnection((conn) => conn.fetch(search, `%${q}%`));
          assert.deepEqual(results, q.startsWith("'") ? [] : [{ id: 1, name: 'Ann', email: 'a@example.com' }]);
        }
        if (target.name === 'postgresql') {
          const names = await db.pool.withConnection((conn) => conn.fetchAll<{ name: string }>('SELECT name FROM pg_prepared_statements'));
          assert.ok(names.some((r) => r.name === search.name), 'a named server-side prepared statement');
        }
        await assert.rejects(db.fetchAll(search), /placeholders up to \$1 but 0 parameter/);
      }));

    it('connects lazily, pings, reports health and reconnects after close()', async () => {
      await using db = target.open();
      assert.equal(db.pool.stats.size, 0);
      assert.ok((await db.ping()) >= 0);
      assert.equal(db.pool.stats.size, 1);
      assert.equal((await db.health()).status, 'healthy');
      await db.close();
      assert.equal(await db.fetchVal('SELECT 1'), 1);
    });
  });
}

describe('DatabaseManager without a server', () => {
  it('reports an unreachable database as a ConnectionError without the password', async () => {
    const db = new DatabaseManager('postgresql://app:s3cret@127.0.0.1:1/app?connect_timeout=2');
    await assert.rejects(db.fetchAll('SELECT 1'), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(err.message, /Could not connect to PostgreSQL at 127\.0\.0\.1:1/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    const health = await db.health();
    assert.equal(health.status, 'unhealthy');
    await db.close();
    assert.equal(String(db), 'DatabaseManager(postgresql://app:***@127.0.0.1:1/app)');
  });

  it('says what it needs when the URL is missing (an unset DATABASE_URL)', () => {
    for (const missing of [undefined, null]) {
      assert.throws(() => new DatabaseManager(missing as never), {
        name: 'TypeError',
        message: `DatabaseManager needs a database URL (sqlite:///app.db, postgresql://…, mysql://…) or a DatabaseConfig, got ${missing}`,
      });
    }
  });

  it('says what it needs when DatabaseConfig is given a URL or no driver', () => {
    assert.throws(() => new DatabaseConfig('postgresql://app@127.0.0.1/app' as never), {
      name: 'TypeError',
      message: 'new DatabaseConfig() takes options ({ driver, host, … }); for a URL use DatabaseConfig.fromUrl(url)',
    });
    assert.throws(() => new DatabaseConfig({} as never), { name: 'TypeError', message: 'A database driver is required: sqlite, postgresql or mysql' });
  });

  it('keeps the password out of JSON and console output, and in the config', () => {
    const config = DatabaseConfig.fromUrl('postgresql://app:s3cret@127.0.0.1:5432/app');
    const db = new DatabaseManager(config);
    assert.doesNotMatch(JSON.stringify(config), /s3cret/);
    assert.doesNotMatch(inspect(db, { depth: 5 }), /s3cret/);
    assert.doesNotMatch(inspect(config), /s3cret/);
    assert.equal(config.password, 's3cret');
    assert.equal(config.with({ database: 'other' }).password, 's3cret');
    assert.equal(config.toOptions().password, 's3cret');
    assert.equal(new DatabaseConfig({ driver: 'postgresql', password: 'pw' }).password, 'pw');
  });

  it('accepts a DatabaseConfig (the seed\'s) and SQLite file URLs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-db-'));
    try {
      const db = new DatabaseManager(new DatabaseConfig({ driver: 'sqlite', database: join(dir, 'app.db') }));
      await db.execute('CREATE TABLE t (x TEXT)');
      await db.execute('INSERT INTO t VALUES (%s)', 'persisted');
      await db.close();
      const again = new DatabaseManager(`sqlite:///${join(dir, 'app.db')}`);
      assert.equal(await again.fetchVal('SELECT x FROM t'), 'persisted');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the package to install when a driver is missing', async () => {
    // A child process whose resolver cannot find `pg`, as in an app that never installed it.
    const hook = `data:text/javascript,${encodeURIComponent(
      "export async function resolve(s, c, next) { if (s === 'pg' || s === 'mysql2/promise' || s === 'better-sqlite3') { const e = new Error(\"Cannot find package '\" + s + \"'\"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }",
    )}`;
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(hook)});
      const { DatabaseManager } = await import(${JSON.stringify(new URL('../../../src/database/index.ts', import.meta.url).href)});
      const out = [];
      for (const url of ['postgresql://u@127.0.0.1/x', 'mysql://u@127.0.0.1/x', 'sqlite:///:memory:']) {
        try { await new DatabaseManager(url).fetchAll('SELECT 1'); out.push('connected?'); } catch (e) { out.push(e.code + ': ' + e.message); }
      }
      console.log(JSON.stringify(out));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), [
      'ERR_DB_DRIVER_MISSING: The PostgreSQL driver needs the "pg" package: npm install pg',
      'ERR_DB_DRIVER_MISSING: The MySQL driver needs the "mysql2" package: npm install mysql2',
      'ERR_DB_DRIVER_MISSING: The SQLite driver needs the "better-sqlite3" package: npm install better-sqlite3',
    ]);
  });
});
