import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it, mock } from 'node:test';
import {
  CovetApp,
  CovetError,
  type DatabaseLike,
  DatabaseSessionStore,
  MemorySessionStore,
  type RedisClientLike,
  RedisSessionStore,
  SessionMiddleware,
} from '../../../src/index.js';
import { importPeer } from '../../../src/internal/import-peer.js';
import { TestClient } from '../../../src/testing/index.js';

const SECRET = 'session-secret-0123456789abcdef';

afterEach(() => {
  mock.timers.reset();
});

describe('MemorySessionStore', () => {
  it('saves, reads and destroys sessions', () => {
    const store = new MemorySessionStore();
    assert.equal(store.get('a'), null);
    store.set('a', { n: 1 }, 60);
    assert.deepEqual(store.get('a'), { n: 1 });
    store.set('a', { n: 2 }, 60);
    assert.deepEqual(store.get('a'), { n: 2 });
    store.destroy('a');
    store.destroy('never-there');
    assert.equal(store.get('a'), null);
  });

  it('hands out copies, so changing a returned object changes nothing stored', () => {
    const store = new MemorySessionStore();
    const data = { list: [1] };
    store.set('a', data, 60);
    data.list.push(2);
    (store.get('a')?.list as number[]).push(3);
    assert.deepEqual(store.get('a'), { list: [1] });
  });

  it('expires a session after its TTL', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const store = new MemorySessionStore();
    store.set('a', { n: 1 }, 10);
    mock.timers.tick(9_999);
    assert.deepEqual(store.get('a'), { n: 1 });
    mock.timers.tick(1);
    assert.equal(store.get('a'), null);
    assert.equal(store.size, 0, 'an expired entry is dropped when read');
  });

  it('touch() extends a live session and does not revive an expired one', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const store = new MemorySessionStore();
    store.set('a', { n: 1 }, 10);
    store.set('b', { n: 2 }, 10);
    mock.timers.tick(8_000);
    store.touch('a', 10);
    mock.timers.tick(5_000);
    assert.deepEqual(store.get('a'), { n: 1 });
    store.touch('b', 10);
    assert.equal(store.get('b'), null);
    store.touch('missing', 10);
    assert.equal(store.get('missing'), null);
  });

  it('sweeps expired sessions while saving, at most once per sweepInterval', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const store = new MemorySessionStore({ sweepInterval: 30 });
    store.set('old1', {}, 5);
    store.set('old2', {}, 5);
    mock.timers.tick(10_000);
    store.set('new', {}, 60);
    assert.equal(store.size, 3, 'no sweep before the interval');
    mock.timers.tick(20_000);
    store.set('newer', {}, 60);
    assert.equal(store.size, 2);
    store.clear();
    assert.equal(store.size, 0);
  });

  it('refuses a negative sweepInterval', () => {
    assert.throws(() => new MemorySessionStore({ sweepInterval: -1 }), { name: 'RangeError' });
  });
});

// ---------------------------------------------------------------- DatabaseSessionStore

interface Statement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
interface SqliteDatabase {
  prepare(sql: string): Statement;
  close(): void;
}

/** better-sqlite3 behind the two methods `DatabaseSessionStore` needs, recording the SQL. */
function sqliteAdapter(): DatabaseLike & { sql: string[]; raw: SqliteDatabase } {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;
  const raw = new Database(':memory:');
  const sql: string[] = [];
  return {
    raw,
    sql,
    async execute(text, ...params) {
      sql.push(text);
      return { rowCount: raw.prepare(text).run(...params).changes };
    },
    async fetchOne(text, ...params) {
      sql.push(text);
      return raw.prepare(text).get(...params) ?? null;
    },
  };
}

describe('DatabaseSessionStore (better-sqlite3)', () => {
  it('creates its table on first use, once', async () => {
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db);
    assert.equal(db.sql.length, 0, 'nothing runs before first use');
    await Promise.all([store.get('a'), store.get('b')]);
    assert.equal(db.sql.filter((s) => s.startsWith('CREATE TABLE')).length, 1);
    assert.equal(
      db.sql[0],
      'CREATE TABLE IF NOT EXISTS covet_sessions (id VARCHAR(128) NOT NULL PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL)',
    );
    const columns = db.raw.prepare("SELECT group_concat(name, ',') AS names FROM pragma_table_info('covet_sessions')").get();
    assert.deepEqual(columns, { names: 'id,data,expires_at' });
  });

  it('works with a table that already exists', async () => {
    const db = sqliteAdapter();
    await new DatabaseSessionStore(db).set('a', { n: 1 }, 60);
    assert.deepEqual(await new DatabaseSessionStore(db).get('a'), { n: 1 });
  });

  it('inserts, updates (one row per id), reads and destroys', async () => {
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db);
    await store.set('a', { n: 1 }, 60);
    await store.set('a', { n: 2, s: 'x' }, 60);
    assert.deepEqual(await store.get('a'), { n: 2, s: 'x' });
    assert.deepEqual(db.raw.prepare('SELECT count(*) AS c FROM covet_sessions').get(), { c: 1 });
    await store.destroy('a');
    assert.equal(await store.get('a'), null);
  });

  it('never returns an expired row, and touch() does not revive one', async () => {
    mock.timers.enable({ apis: ['Date'], now: 5_000_000 });
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db);
    await store.set('a', { n: 1 }, 10);
    await store.set('b', { n: 2 }, 10);
    mock.timers.tick(8_000);
    await store.touch('a', 10);
    mock.timers.tick(2_000);
    assert.deepEqual(await store.get('a'), { n: 1 });
    assert.equal(await store.get('b'), null);
    await store.touch('b', 10);
    assert.equal(await store.get('b'), null);
  });

  it('deletes expired rows with deleteExpired() and while saving after cleanupInterval', async () => {
    mock.timers.enable({ apis: ['Date'], now: 5_000_000 });
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db, { cleanupInterval: 60 });
    await store.set('a', {}, 10);
    await store.set('b', {}, 50);
    mock.timers.tick(20_000);
    assert.equal(await store.deleteExpired(), 1);
    await store.set('c', {}, 10);
    mock.timers.tick(61_000);
    await store.set('d', {}, 100);
    const rows = db.raw.prepare("SELECT group_concat(id, ',') AS ids FROM covet_sessions").get();
    assert.deepEqual(rows, { ids: 'd' }, 'b and c expired and were swept while saving d');
  });

  it('ignores rows whose data is not JSON', async () => {
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db);
    await store.set('a', {}, 60);
    db.raw.prepare("UPDATE covet_sessions SET data = '{oops' WHERE id = 'a'").run();
    assert.equal(await store.get('a'), null);
  });

  it('updates instead when a concurrent insert of the same id wins the race', async () => {
    const db = sqliteAdapter();
    const store = new DatabaseSessionStore(db);
    await store.ensureTable();
    let raced = false;
    const racing: DatabaseLike = {
      fetchOne: db.fetchOne,
      async execute(sql, ...params) {
        if (sql.startsWith('INSERT') && !raced) {
          raced = true;
          db.raw.prepare("INSERT INTO covet_sessions (id, data, expires_at) VALUES ('a', '{}', 1)").run();
        }
        return db.execute(sql, ...params);
      },
    };
    const racer = new DatabaseSessionStore(racing);
    await racer.set('a', { mine: true }, 60);
    assert.deepEqual(await store.get('a'), { mine: true });
  });

  it('uses a custom table and refuses names that are not identifiers', async () => {
    const db = sqliteAdapter();
    await new DatabaseSessionStore(db, { table: 'web_sessions' }).set('a', { n: 1 }, 60);
    assert.deepEqual(db.raw.prepare('SELECT id FROM web_sessions').get(), { id: 'a' });
    for (const table of ['x; DROP TABLE users', 'a b', '1abc', '', 'a.b.c']) {
      assert.throws(() => new DatabaseSessionStore(db, { table }), { name: 'TypeError', message: `DatabaseSessionStore: invalid table name ${JSON.stringify(table)}` });
    }
    assert.throws(() => new DatabaseSessionStore({} as DatabaseLike), { name: 'TypeError' });
  });

  it('retries creating the table after a failure', async () => {
    const db = sqliteAdapter();
    let fail = true;
    const flaky: DatabaseLike = {
      fetchOne: db.fetchOne,
      execute: (sql, ...params) => {
        if (fail && sql.startsWith('CREATE')) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return db.execute(sql, ...params);
      },
    };
    const store = new DatabaseSessionStore(flaky);
    await assert.rejects(store.get('a'), { message: 'connection lost' });
    assert.equal(await store.get('a'), null);
  });

  it('serves sessions behind SessionMiddleware, shared by two app instances', async () => {
    const db = sqliteAdapter();
    const makeApp = (): CovetApp => {
      const app = new CovetApp();
      app.addMiddleware(new SessionMiddleware({ secretKey: SECRET, store: new DatabaseSessionStore(db) }));
      app.post('/login', async (req) => {
        await req.session.regenerate();
        req.session.set('user', 'ann');
        return { id: req.session.id };
      });
      app.get('/me', (req) => ({ user: req.session.get('user') ?? null }));
      app.post('/logout', async (req) => {
        await req.session.destroy();
        return null;
      });
      return app;
    };
    await using a = new TestClient(makeApp());
    await using b = new TestClient(makeApp());
    const { id } = (await a.post('/login')).json<{ id: string }>();
    const cookie = a.cookies.get('session') as string;
    assert.deepEqual((await b.get('/me', { cookies: { session: cookie } })).json(), { user: 'ann' });
    assert.deepEqual(db.raw.prepare('SELECT id, data FROM covet_sessions').get(), { id, data: '{"user":"ann"}' });
    const out = await a.post('/logout');
    assert.equal(out.status, 204);
    assert.deepEqual((await b.get('/me', { cookies: { session: cookie } })).json(), { user: null });
    assert.deepEqual(db.raw.prepare('SELECT count(*) AS c FROM covet_sessions').get(), { c: 0 });
  });
});

// ---------------------------------------------------------------- RedisSessionStore (no server)

function fakeRedis(): RedisClientLike & { data: Map<string, string>; ttl: Map<string, number>; calls: unknown[][]; quits: number } {
  const data = new Map<string, string>();
  const ttl = new Map<string, number>();
  const calls: unknown[][] = [];
  const client = {
    data,
    ttl,
    calls,
    quits: 0,
    async get(key: string) {
      calls.push(['get', key]);
      return data.get(key) ?? null;
    },
    async set(key: string, value: string, mode: 'EX', seconds: number) {
      calls.push(['set', key, value, mode, seconds]);
      data.set(key, value);
      ttl.set(key, seconds);
      return 'OK';
    },
    async del(key: string) {
      calls.push(['del', key]);
      return data.delete(key) ? 1 : 0;
    },
    async expire(key: string, seconds: number) {
      calls.push(['expire', key, seconds]);
      if (data.has(key)) ttl.set(key, seconds);
      return data.has(key) ? 1 : 0;
    },
    async quit() {
      client.quits++;
      return 'OK';
    },
  };
  return client;
}

describe('RedisSessionStore (with a client object)', () => {
  it('stores JSON under the prefix with SET EX, deletes with DEL and touches with EXPIRE', async () => {
    const redis = fakeRedis();
    const store = new RedisSessionStore(redis);
    await store.set('abc', { n: 1 }, 90);
    assert.deepEqual(await store.get('abc'), { n: 1 });
    await store.touch('abc', 120);
    await store.destroy('abc');
    assert.equal(await store.get('abc'), null);
    assert.deepEqual(redis.calls, [
      ['set', 'covet:session:abc', '{"n":1}', 'EX', 90],
      ['get', 'covet:session:abc'],
      ['expire', 'covet:session:abc', 120],
      ['del', 'covet:session:abc'],
      ['get', 'covet:session:abc'],
    ]);
  });

  it('uses a custom prefix, rounds TTLs up to whole seconds, and ignores values that are not JSON', async () => {
    const redis = fakeRedis();
    const store = new RedisSessionStore(redis, { prefix: 'app1:s:' });
    await store.set('x', {}, 0.2);
    assert.deepEqual(redis.calls[0], ['set', 'app1:s:x', '{}', 'EX', 1]);
    redis.data.set('app1:s:y', 'not json');
    assert.equal(await store.get('y'), null);
  });

  it('leaves a client it was given open on close()', async () => {
    const redis = fakeRedis();
    const store = new RedisSessionStore(redis);
    await store.get('a');
    await store.close();
    assert.equal(redis.quits, 0);
    assert.equal(await store.client(), redis);
  });

  it('refuses what is neither a URL nor a client', () => {
    assert.throws(() => new RedisSessionStore({} as RedisClientLike), { name: 'TypeError', message: 'RedisSessionStore needs a redis:// URL or a Redis client' });
    assert.throws(() => new RedisSessionStore(null as unknown as string), { name: 'TypeError' });
  });
});

describe('importPeer', () => {
  it('names the package to install when it is missing', async () => {
    await assert.rejects(importPeer('covet-no-such-package-xyz', 'RedisSessionStore'), (err: unknown) => {
      assert.ok(err instanceof CovetError);
      assert.equal(err.code, 'ERR_MISSING_DEPENDENCY');
      assert.equal(
        err.message,
        'RedisSessionStore needs the "covet-no-such-package-xyz" package, which is not installed: npm install covet-no-such-package-xyz',
      );
      return true;
    });
  });

  it('loads an installed package', async () => {
    const mod = (await importPeer('ioredis', 'RedisSessionStore')) as { Redis?: unknown };
    assert.equal(typeof mod.Redis, 'function');
  });
});
