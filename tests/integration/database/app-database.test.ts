import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException } from '../../../src/index.js';
import { DatabaseConfig, DatabaseError, databaseErrorHandler, DatabaseManager } from '../../../src/database/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger, REQUIRE_SERVICES, withServer } from '../../helpers/server.js';
import { findPgBin, startPrivatePostgres } from './private-postgres.js';
import { serialPk, targets } from './targets.js';

/** The app the tests drive: users by id, a create route, a health check and the error mapping. */
function usersApp(db: DatabaseManager, logger = memoryLogger()) {
  const app = new CovetApp({ logger });
  app.addDatabase(db);
  app.onError(DatabaseError, databaseErrorHandler);
  app.get('/health', async () => {
    const health = await db.health();
    return [{ status: health.status, checks: { database: health } }, health.status === 'healthy' ? 200 : 503];
  });
  app.get('/users/{id:int}', async (req) => {
    const user = await db.fetchOne('SELECT id, name FROM users WHERE id = %s', req.params.id);
    if (user === null) throw new HTTPException(404, 'User not found');
    return user;
  });
  app.post('/users', async (req) => {
    const body = await req.json<{ name: string | null; email: string }>();
    const id = await db.fetchVal(
      db.dialect.supportsReturning ? 'INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id' : 'INSERT INTO users (name, email) VALUES (%s, %s)',
      body.name,
      body.email,
    );
    return [{ id }, 201];
  });
  app.get('/leak/{kind}', async (req) => {
    // Handlers that fail while holding a connection or a transaction must give it back.
    if (req.params.kind === 'connection') await db.pool.withConnection(async () => Promise.reject(new Error('handler failed')));
    await db.transaction(async (tx) => {
      await tx.execute('UPDATE users SET name = name WHERE id = %s', 1);
      throw new Error('handler failed in a transaction');
    });
  });
  return app;
}

for (const target of targets) {
  describe(`app.addDatabase on ${target.name}`, { skip: target.skip }, () => {
    it('connects at startup, closes at shutdown (an in-memory SQLite database stays open), maps constraint violations to 409/400', async () => {
      const db = target.open();
      try {
        await db.execute(`CREATE TABLE users (id ${serialPk(target.name)}, name VARCHAR(100) NOT NULL, email VARCHAR(255) UNIQUE)`);
        const app = usersApp(db);
        const post = (url: string, body: unknown) => fetch(`${url}/users`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        await withServer(app, async ({ url }) => {
          assert.equal(db.pool.stats.size, 1, 'connected at startup');
          const created = await post(url, { name: 'Ann', email: 'ann@example.com' });
          assert.equal(created.status, 201);
          const dup = await post(url, { name: 'Ann', email: 'ann@example.com' });
          assert.equal(dup.status, 409);
          assert.deepEqual(await dup.json(), { error: 'Conflict: a row with this value already exists', kind: 'unique', column: 'email' });
          const missing = await post(url, { name: null, email: 'x@example.com' });
          assert.equal(missing.status, 400);
          assert.deepEqual(await missing.json(), { error: 'A required value is missing', kind: 'not_null', column: 'name' });
          assert.deepEqual(await (await fetch(`${url}/users/1`)).json(), { id: 1, name: 'Ann' });
          assert.equal((await fetch(`${url}/users/2`)).status, 404);
          assert.equal((await fetch(`${url}/health`)).status, 200);
        });
        if (target.name === 'sqlite') {
          // An in-memory database stays open: its tables live in the connection, and a second
          // server (or TestClient) of the same app must still find them.
          assert.equal(db.pool.stats.size, 1, 'an in-memory SQLite database stays open at shutdown');
          await withServer(app, async ({ url }) => {
            assert.deepEqual(await (await fetch(`${url}/users/1`)).json(), { id: 1, name: 'Ann' });
          });
          const client = new TestClient(app);
          assert.deepEqual((await client.get('/users/1')).json(), { id: 1, name: 'Ann' });
          await client.close();
          assert.deepEqual(await db.fetchAll('SELECT name FROM users'), [{ name: 'Ann' }]);
        } else assert.equal(db.pool.stats.size, 0, 'closed at shutdown');
      } finally {
        await db.close();
      }
    });

    it('maps foreign-key and check violations to 409 and 400 with their exact bodies', async () => {
      await using db = target.open();
      await db.execute(`CREATE TABLE users (id ${serialPk(target.name)}, name VARCHAR(100) NOT NULL, email VARCHAR(255) UNIQUE, age INTEGER CHECK (age >= 0))`);
      await db.execute(`CREATE TABLE posts (id ${serialPk(target.name)}, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR(50))`);
      await db.execute('INSERT INTO users (name) VALUES (%s)', 'Ann');
      const app = usersApp(db);
      app.post('/posts', async (req) => {
        const { userId } = await req.json<{ userId: number }>();
        await db.execute('INSERT INTO posts (user_id, title) VALUES (%s, %s)', userId, 'Hello');
        return [{ created: true }, 201];
      });
      app.delete('/users/{id:int}', async (req) => {
        await db.execute('DELETE FROM users WHERE id = %s', req.params.id);
        return [null, 204];
      });
      app.put('/users/{id:int}/age', async (req) => {
        await db.execute('UPDATE users SET age = %s WHERE id = %s', (await req.json<{ age: number }>()).age, req.params.id);
        return { updated: true };
      });
      const fkError = 'Conflict: a referenced row is missing or still in use';
      await withServer(app, async ({ url }) => {
        const send = (method: string, path: string, body?: unknown) =>
          fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
        // A post for a user that does not exist (SQLite does not say which column).
        const orphan = await send('POST', '/posts', { userId: 42 });
        assert.equal(orphan.status, 409);
        assert.deepEqual(await orphan.json(), { error: fkError, kind: 'foreign_key', ...(target.name === 'sqlite' ? {} : { column: 'user_id' }) });
        assert.equal((await send('POST', '/posts', { userId: 1 })).status, 201);
        // Deleting a user still referenced; PostgreSQL names the referenced key, MySQL the referencing one.
        const referenced = await send('DELETE', '/users/1');
        assert.equal(referenced.status, 409);
        const column = { sqlite: undefined, postgresql: 'id', mysql: 'user_id' }[target.name];
        assert.deepEqual(await referenced.json(), { error: fkError, kind: 'foreign_key', ...(column === undefined ? {} : { column }) });
        const negative = await send('PUT', '/users/1/age', { age: -1 });
        assert.equal(negative.status, 400);
        assert.deepEqual(await negative.json(), { error: 'A value is not allowed', kind: 'check' });
        assert.deepEqual(await (await send('PUT', '/users/1/age', { age: 30 })).json(), { updated: true });
      });
      assert.equal(db.pool.stats.inUse, 0);
    });

    it('leaks no connection when handlers throw (in-process and over HTTP)', async () => {
      await using db = target.open();
      await db.execute(`CREATE TABLE users (id ${serialPk(target.name)}, name VARCHAR(100) NOT NULL, email VARCHAR(255))`);
      const app = usersApp(db);
      await using client = new TestClient(app);
      for (let i = 0; i < 30; i++) {
        const res = await client.get(i % 2 === 0 ? '/leak/connection' : '/leak/transaction');
        assert.equal(res.status, 500);
      }
      assert.equal(db.pool.stats.inUse, 0);
      assert.equal(db.pool.stats.waiting, 0);
      assert.ok(db.pool.stats.size <= db.pool.maxConnections);
      await withServer(usersApp(db), async ({ url }) => {
        const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${url}/leak/${i % 2 ? 'connection' : 'transaction'}`).then((r) => r.status)));
        assert.deepEqual(new Set(statuses), new Set([500]));
        assert.equal(db.pool.stats.inUse, 0);
      });
      assert.equal(await db.fetchVal('SELECT 1'), 1);
    });
  });
}

describe('databaseErrorHandler', () => {
  it('answers 503 with Retry-After, telling a busy pool from an unreachable database', async () => {
    const busy = new DatabaseManager(new DatabaseConfig({ driver: 'sqlite', acquireTimeout: 0.05 }));
    const down = new DatabaseManager('postgresql://app:s3cret@127.0.0.1:1/app?connect_timeout=2');
    const app = new CovetApp({ logger: memoryLogger() });
    app.onError(DatabaseError, databaseErrorHandler);
    app.get('/busy', async () => {
      // SQLite has one connection: a statement outside the transaction waits for it, then times out.
      const tx = await busy.begin();
      try {
        return await busy.fetchVal('SELECT 1');
      } finally {
        await tx.rollback();
      }
    });
    app.get('/down', () => down.fetchVal('SELECT 1'));
    await using client = new TestClient(app);
    const res = await client.get('/busy');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.deepEqual(res.json(), { error: 'Service Unavailable: every database connection is busy' });
    const unreachable = await client.get('/down');
    assert.equal(unreachable.status, 503);
    assert.equal(unreachable.headers.get('retry-after'), '1');
    assert.deepEqual(unreachable.json(), { error: 'Service Unavailable: the database cannot be reached' });
    await busy.close();
    await down.close();
  });
});

describe('database outages (a private PostgreSQL server, stopped and restarted)', () => {
  const bin = findPgBin();
  const skip = bin === null && !REQUIRE_SERVICES ? 'no PostgreSQL server binaries' : false;

  it('answers 503 while the database is down (at startup and mid-request) and recovers when it is back', { skip, timeout: 120_000 }, async () => {
    if (bin === null) throw new Error('PostgreSQL server binaries are missing, and COVET_REQUIRE_SERVICES=1 says this test must run');
    const pg = await startPrivatePostgres(bin);
    const db = new DatabaseManager(pg.url, {});
    const logger = memoryLogger();
    try {
      await db.execute('CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE)');
      await db.execute('INSERT INTO users (name) VALUES (%s)', 'Ann');
      await db.close();

      // Down at startup: the app still starts, says so in the log, and the health check says 503.
      await pg.stop();
      const app = usersApp(db, logger);
      await using client = new TestClient(app);
      const health = await client.get('/health');
      assert.equal(health.status, 503);
      assert.match(health.json<{ checks: { database: { error: string } } }>().checks.database.error, /Could not connect to PostgreSQL/);
      assert.ok(logger.lines.some((l) => /Database unavailable at startup/.test(l)));
      const during = await client.get('/users/1');
      assert.equal(during.status, 503);
      assert.equal(during.headers.get('retry-after'), '1');
      assert.deepEqual(during.json(), { error: 'Service Unavailable: the database cannot be reached' });

      await pg.start();
      assert.equal((await client.get('/health')).status, 200);
      assert.deepEqual((await client.get('/users/1')).json(), { id: 1, name: 'Ann' });
      const before = db.pool.stats.size;
      assert.ok(before >= 1);

      // Down mid-flight: the pooled connections die with the server.
      await pg.stop('fast');
      const midFlight = await client.get('/users/1');
      assert.equal(midFlight.status, 503);
      assert.deepEqual(midFlight.json(), { error: 'Service Unavailable: the database cannot be reached' });
      const downHealth = await client.get('/health');
      assert.equal(downHealth.status, 503);
      assert.equal(downHealth.json<{ status: string }>().status, 'unhealthy');
      await pg.start();
      // The broken connections are replaced: the first request after the restart succeeds.
      assert.deepEqual((await client.get('/users/1')).json(), { id: 1, name: 'Ann' });
      assert.equal((await client.get('/health')).status, 200);
      assert.equal(db.pool.stats.inUse, 0);

      // A crash (immediate shutdown) while connections sit idle in the pool.
      await Promise.all([client.get('/users/1'), client.get('/users/1'), client.get('/users/1')]);
      await pg.stop('immediate');
      await pg.start();
      const after = await Promise.all([client.get('/users/1'), client.get('/users/1'), client.get('/users/1')]);
      assert.deepEqual(
        after.map((r) => r.status),
        [200, 200, 200],
      );
    } finally {
      await db.close();
      await pg.destroy();
    }
  });

  it('fails startup instead when the database is required', async () => {
    const db = new DatabaseManager('postgresql://u@127.0.0.1:1/x?connect_timeout=2');
    const app = new CovetApp({ logger: memoryLogger() });
    app.addDatabase(db, { required: true });
    await assert.rejects(app.startup(), /Could not connect to PostgreSQL/);
    await db.close();
  });
});
