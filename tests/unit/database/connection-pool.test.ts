import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ConnectionError, ConnectionPool, type DriverConnection, PoolTimeoutError, postgresDialect } from '../../../src/database/index.js';

/** A fake driver: counts connections, can fail to connect, can break connections. */
function fakeDriver() {
  const state = { opened: 0, closed: 0, down: false, conns: [] as FakeConn[] };
  class FakeConn implements DriverConnection {
    readonly id = ++state.opened;
    broken = false;
    inTransaction = false;
    failRollback = false;
    readonly log: string[] = [];
    async query(sql: string) {
      if (this.broken) throw new ConnectionError('connection lost');
      this.log.push(sql);
      if (sql === 'BEGIN') this.inTransaction = true;
      if (sql === 'ROLLBACK') {
        await sleep(1);
        if (this.failRollback) throw new ConnectionError('connection lost');
        this.inTransaction = false;
      }
      return { rows: [{ id: this.id, sql }], rowCount: 1, lastInsertId: null };
    }
    async script() {}
    async close() {
      state.closed++;
      this.broken = true;
    }
  }
  const driver = {
    dialect: postgresDialect,
    async connect(): Promise<DriverConnection> {
      await sleep(1);
      if (state.down) throw new ConnectionError('ECONNREFUSED');
      const c = new FakeConn();
      state.conns.push(c);
      return c;
    },
  };
  return { driver, state };
}

describe('ConnectionPool', () => {
  it('opens connections on demand up to maxConnections and reuses released ones', async () => {
    const { driver, state } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    assert.deepEqual(pool.stats, { size: 2, idle: 0, inUse: 2, waiting: 0 });
    a.release();
    b.release();
    const c = await pool.acquire();
    assert.equal(state.opened, 2);
    c.release();
    assert.deepEqual(pool.stats, { size: 2, idle: 2, inUse: 0, waiting: 0 });
    await pool.close();
    assert.equal(state.closed, 2);
  });

  it('rolls back a connection given back inside a transaction before the next borrower gets it', async () => {
    const { driver, state } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1 });
    const a = await pool.acquire();
    await a.execute('BEGIN');
    const next = pool.acquire(); // waiting
    a.release();
    a.release();
    const b = await next;
    const conn = state.conns[0] as (typeof state.conns)[number];
    assert.equal(state.opened, 1);
    assert.deepEqual(conn.log, ['BEGIN', 'ROLLBACK']);
    assert.equal(conn.inTransaction, false);
    // A connection whose ROLLBACK fails is dropped, and the next borrower gets a new one.
    await b.execute('BEGIN');
    conn.failRollback = true;
    b.release();
    const c = await pool.acquire();
    assert.equal(conn.broken, true);
    assert.deepEqual(
      (await c.fetchAll<{ id: number }>('SELECT 1')).map((r) => r.id),
      [2],
    );
    c.release();
    assert.deepEqual(pool.stats, { size: 1, idle: 1, inUse: 0, waiting: 0 });
    await pool.close();
  });

  it('serves waiters first-in first-out', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1 });
    const held = await pool.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      pool.acquire().then((conn) => {
        order.push(n);
        conn.release();
      }),
    );
    await sleep(5);
    assert.equal(pool.stats.waiting, 3);
    held.release();
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3]);
    await pool.close();
  });

  it('times out an acquire with a clear error and keeps serving others', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1, acquireTimeout: 0.05 });
    const held = await pool.acquire();
    const started = Date.now();
    await assert.rejects(pool.acquire(), (err: unknown) => {
      assert.ok(err instanceof PoolTimeoutError);
      assert.equal(err.code, 'ERR_DB_POOL_TIMEOUT');
      assert.match(err.message, /Timed out after 0\.05 s waiting for a database connection: 1 of 1 in use/);
      // A PostgreSQL pool of one is not SQLite: no SQLite hint.
      assert.doesNotMatch(err.message, /SQLite/);
      return true;
    });
    assert.ok(Date.now() - started >= 45);
    assert.equal(pool.stats.waiting, 0);
    held.release();
    (await pool.acquire()).release();
    await pool.close();
  });

  it('drops broken connections on release and opens a fresh one', async () => {
    const { driver, state } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1 });
    const conn = await pool.acquire();
    (state.conns[0] as { broken: boolean }).broken = true;
    await assert.rejects(conn.fetchAll('SELECT 1'), ConnectionError);
    conn.release();
    assert.equal(pool.stats.size, 0);
    const fresh = await pool.acquire();
    assert.equal(((await fresh.fetchOne('SELECT 1')) as { id: number }).id, 2);
    fresh.release();
    // An idle connection that broke while waiting is skipped too.
    (state.conns[1] as { broken: boolean }).broken = true;
    const third = await pool.acquire();
    assert.equal(((await third.fetchOne('SELECT 1')) as { id: number }).id, 3);
    third.release();
    await pool.close();
  });

  it('fails fast while the database is down and recovers when it is back', async () => {
    const { driver, state } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 2 });
    state.down = true;
    await assert.rejects(pool.acquire(), /ECONNREFUSED/);
    assert.deepEqual(pool.stats, { size: 0, idle: 0, inUse: 0, waiting: 0 });
    state.down = false;
    const conn = await pool.acquire();
    conn.release();
    await pool.close();
  });

  it('keeps minConnections open and closes idle extras after idleTimeout', async () => {
    const { driver, state } = fakeDriver();
    const pool = new ConnectionPool({ driver, minConnections: 1, maxConnections: 3, idleTimeout: 0.1 });
    await pool.open();
    assert.equal(pool.stats.size, 1);
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const c of conns) c.release();
    assert.equal(pool.stats.idle, 3);
    await sleep(300);
    assert.equal(pool.stats.size, 1);
    assert.equal(state.closed, 2);
    await pool.close();
  });

  it('closes overflow connections above maxIdle once idle for overflowTimeout (poolSize / maxOverflow)', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 3, maxIdle: 1, overflowTimeout: 0.1 });
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const c of conns) c.release();
    assert.deepEqual(pool.stats, { size: 3, idle: 3, inUse: 0, waiting: 0 }); // a burst keeps them a moment
    await sleep(300);
    assert.deepEqual(pool.stats, { size: 1, idle: 1, inUse: 0, waiting: 0 });
    const now = new ConnectionPool({ driver, maxConnections: 3, maxIdle: 1, overflowTimeout: 0 });
    const more = await Promise.all([now.acquire(), now.acquire()]);
    for (const c of more) c.release();
    assert.deepEqual(now.stats, { size: 1, idle: 1, inUse: 0, waiting: 0 });
    await Promise.all([pool.close(), now.close()]);
  });

  it('withConnection releases even when the callback throws (no leaks)', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 2, acquireTimeout: 0.2 });
    for (let i = 0; i < 20; i++) {
      await assert.rejects(
        pool.withConnection(async (conn) => {
          await conn.fetchAll('SELECT 1');
          throw new Error(`handler ${i} failed`);
        }),
        /failed/,
      );
    }
    assert.deepEqual(pool.stats, { size: 1, idle: 1, inUse: 0, waiting: 0 });
    await pool.close();
  });

  it('releases with `await using` and refuses a released connection', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1 });
    let leaked: Awaited<ReturnType<typeof pool.acquire>> | null = null;
    {
      await using conn = await pool.acquire();
      leaked = conn;
      assert.equal(pool.stats.inUse, 1);
    }
    assert.equal(pool.stats.inUse, 0);
    await assert.rejects(leaked.fetchAll('SELECT 1'), /released/);
    leaked.release(); // twice is harmless
    assert.equal(pool.stats.idle, 1);
    await pool.close();
  });

  it('rejects waiters when closed', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ driver, maxConnections: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await sleep(2);
    await pool.close();
    await assert.rejects(waiting, /closed/);
    held.release();
    await assert.rejects(pool.acquire(), /closed/);
  });

  it('validates its options and needs a way to connect', () => {
    assert.throws(() => new ConnectionPool({}), /needs databaseUrl/);
    assert.throws(() => new ConnectionPool({ databaseUrl: 'postgresql://localhost/x', maxConnections: 0 }), /maxConnections/);
    assert.equal(new ConnectionPool({ databaseUrl: 'sqlite:///:memory:', maxConnections: 10 }).maxConnections, 1);
    assert.equal(new ConnectionPool({ databaseUrl: 'postgresql://u:p@localhost/db', minConnections: 5, maxConnections: 50, idleTimeout: 300 }).maxConnections, 50);
  });

  it('takes a connectionFactory (the seed\'s connection_factory)', async () => {
    const { driver } = fakeDriver();
    const pool = new ConnectionPool({ minConnections: 1, maxConnections: 2, connectionFactory: () => driver.connect(), dialect: postgresDialect });
    assert.deepEqual(await pool.withConnection((conn) => conn.fetch('SELECT $1', 'x')), [{ id: 1, sql: 'SELECT $1' }]);
    await pool.close();
  });
});
