import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { ConfigError } from 'covet';
import { CacheManager } from 'covet/cache';
import { JWTAuth } from 'covet/security';
import { AsyncTestClient, TestClient, TestDatabase } from 'covet/testing';
import { createApp, User } from '../../examples/rest-api/app.js';
import { memoryLogger, REQUIRE_SERVICES } from '../helpers/server.js';

const SECRET = 'rest-api-test-secret-0123456789abcdef';

/** The example on a database of its own: SQLite in memory, or a throwaway PostgreSQL database when DATABASE_URL is set. */
function freshApp(url = process.env.DATABASE_URL ?? 'sqlite:///:memory:', cache?: CacheManager) {
  const db = new TestDatabase(url, { isolated: true });
  return { app: createApp({ db, secretKey: SECRET, ...(cache ? { cache } : {}) }), db };
}

describe('examples/rest-api', () => {
  it('says hello and manages users (create, read, update, list, delete)', async () => {
    await using client = new TestClient(freshApp().app);
    assert.deepEqual((await client.get('/')).json(), { message: 'Hello, World!' });
    const created = await client.post('/api/v1/users', { json: { name: 'Ann', email: 'ann@example.com' } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.json(), { id: 1, name: 'Ann', email: 'ann@example.com' });
    assert.deepEqual((await client.get('/api/v1/users/1')).json(), { id: 1, name: 'Ann', email: 'ann@example.com' });
    const patched = await client.patch('/api/v1/users/1', { json: { name: 'Anna' } });
    assert.equal(patched.json<{ name: string }>().name, 'Anna');
    assert.deepEqual((await client.get('/api/v1/users', { query: { limit: 5 } })).json(), {
      users: [{ id: 1, name: 'Anna', email: 'ann@example.com' }],
    });
    assert.equal((await client.delete('/api/v1/users/1')).status, 204);
    const gone = await client.get('/api/v1/users/1');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json(), { error: 'User not found' });
  });

  it('rejects bad input with clear 4xx errors', async () => {
    await using client = new TestClient(freshApp().app);
    const invalid = await client.post('/api/v1/users', { json: { name: '', email: 'nope' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.json(), {
      errors: { name: ['must be a non-empty string of at most 100 characters'], email: ['must be an email address'] },
    });
    const malformed = await client.post('/api/v1/users', { content: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.equal((await client.get('/api/v1/users?limit=x')).status, 400);
    assert.equal((await client.get('/api/v1/users/abc')).status, 404);
  });

  it('starts with npm start and stops on SIGTERM with exit code 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/rest-api/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'sqlite:///:memory:' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in output: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
      });
      const res = await fetch(`${url}/`);
      assert.deepEqual(await res.json(), { message: 'Hello, World!' });
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  for (const [name, url, redisUrl] of [
    ['SQLite', 'sqlite:///:memory:', 'memory'],
    ['PostgreSQL and Redis', process.env.DATABASE_URL, process.env.REDIS_URL],
  ] as const) {
    const skip = (url === undefined || redisUrl === undefined) && !REQUIRE_SERVICES ? 'DATABASE_URL or REDIS_URL is not set' : false;

    it(`serves the seed's complete REST API example on ${name}`, { skip }, async () => {
      if (url === undefined || redisUrl === undefined) throw new Error('DATABASE_URL or REDIS_URL is not set and COVET_REQUIRE_SERVICES=1');
      const cache = redisUrl === 'memory' ? new CacheManager() : new CacheManager({ redisUrl, namespace: `test:rest-api:${randomUUID()}` });
      await using _cache = {
        async [Symbol.asyncDispose]() {
          await cache.clear();
          await cache.close();
        },
      };
      await using client = new TestClient(freshApp(url, cache).app);
      // The seed's @cache.cached(ttl=300) on the list; every write drops it.
      const first = await client.get('/users');
      assert.deepEqual(first.json(), { users: [] });
      assert.equal(first.headers.get('x-cache'), 'MISS');
      assert.equal((await client.get('/users')).headers.get('x-cache'), 'HIT');
      const created = await client.post('/users', { json: { name: 'Ann Smith', email: 'ann@example.com' } });
      assert.equal(created.status, 201);
      assert.deepEqual(created.json(), { id: 1, name: 'Ann Smith' });
      const fresh = await client.get('/users');
      assert.equal(fresh.headers.get('x-cache'), 'MISS');
      assert.deepEqual(fresh.json(), { users: [{ id: 1, name: 'Ann Smith', email: 'ann@example.com' }] });
      await client.post('/users', { json: { name: 'Bob', email: 'bob@example.com' } });
      assert.deepEqual((await client.get('/users/1')).json(), { user: { id: 1, name: 'Ann Smith', email: 'ann@example.com' } });
      const missing = await client.get('/users/99');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json(), { error: 'User not found' });
      assert.deepEqual((await client.get('/users/search', { query: { q: 'ANN' } })).json(), { users: [{ id: 1, name: 'Ann Smith', email: 'ann@example.com' }] });
      const duplicate = await client.post('/users', { json: { name: 'Ann again', email: 'ann@example.com' } });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.json<{ kind: string }>().kind, 'unique');

      // The seed's @auth.require_token: a JWT from the demo login.
      const anonymous = await client.put('/users/1', { json: { name: 'Anna', email: 'anna@example.com' } });
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.json(), { error: 'Missing bearer token' });
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      const forged = await new JWTAuth('another-secret-0123456789abcdef0123').createToken({ id: 1 });
      const wrongKey = await client.put('/users/1', { json: { name: 'Anna', email: 'anna@example.com' }, headers: { authorization: `Bearer ${forged}` } });
      assert.equal(wrongKey.status, 401);
      assert.deepEqual(wrongKey.json(), { error: 'Invalid token signature' });
      const unknown = await client.post('/auth/token', { json: { email: 'nobody@example.com' } });
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.json(), { error: 'Unknown email' });
      assert.equal((await client.post('/auth/token', { json: {} })).status, 400);
      const login = await client.post('/auth/token', { json: { email: 'ann@example.com' } });
      assert.equal(login.status, 200);
      const { access_token, token_type } = login.json<{ access_token: string; token_type: string }>();
      assert.equal(token_type, 'bearer');
      const claims = await new JWTAuth(SECRET).verifyToken(access_token);
      assert.deepEqual([claims.id, claims.email], [1, 'ann@example.com']);
      const auth = { authorization: `Bearer ${access_token}` };
      const updated = await client.put('/users/1', { json: { name: 'Anna', email: 'anna@example.com' }, headers: auth });
      assert.deepEqual(updated.json(), { message: 'User updated' });
      assert.equal((await client.put('/users/99', { json: { name: 'X', email: 'x@example.com' }, headers: auth })).status, 404);
      assert.equal((await client.delete('/users/2')).status, 401);
      assert.deepEqual((await client.delete('/users/2', { headers: auth })).json(), { message: 'User deleted' });
      assert.deepEqual((await client.get('/users')).json(), { users: [{ id: 1, name: 'Anna', email: 'anna@example.com' }] });
      // A hostile search term is a value, never SQL.
      assert.deepEqual((await client.get('/users/search', { query: { q: "' OR '1'='1" } })).json(), { users: [] });
      const health = await client.get('/health');
      assert.equal(health.status, 200);
      assert.equal(health.json<{ checks: { database: { status: string } } }>().checks.database.status, 'healthy');
    });
  }

  it('refuses to start in production without JWT_SECRET, and signs with it when set (SQLite)', async () => {
    assert.throws(
      () => createApp({ env: { NODE_ENV: 'production' }, databaseUrl: 'sqlite:///:memory:' }),
      (err: unknown) => err instanceof ConfigError && /^JWT_SECRET is required in production/.test(err.message),
    );
    const db = new TestDatabase('sqlite:///:memory:', { isolated: true });
    await using client = new TestClient(createApp({ env: { NODE_ENV: 'production', JWT_SECRET: SECRET }, db }));
    await client.post('/users', { json: { name: 'Ann', email: 'ann@example.com' } });
    const { access_token } = (await client.post('/auth/token', { json: { email: 'ann@example.com' } })).json<{ access_token: string }>();
    assert.equal((await new JWTAuth(SECRET).verifyToken(access_token)).id, 1);
    // `npm start` exits 1 with the reason on stderr, before opening a database or a port.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', PORT: '0', DATABASE_URL: 'sqlite:///:memory:' };
    delete env.JWT_SECRET;
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/rest-api/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Were it to start serving instead, it would never exit by itself.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    assert.equal(code, 1);
    assert.match(stderr, /^rest-api: JWT_SECRET is required in production \(NODE_ENV=production\)/);
    assert.equal(stdout, '');
  });

  it("follows the seed's Database Testing example (TestDatabase, createAll, fetchOne with %s)", async () => {
    const testDb = new TestDatabase('sqlite:///:memory:');
    await testDb.createAll(); // every model defined so far: the example's User
    const userData = { name: 'Test User', email: 'test@example.com' };
    {
      await using client = new AsyncTestClient(createApp({ db: testDb, runMigrations: false }));
      const response = await client.post('/api/v1/users', { json: userData });
      assert.equal(response.statusCode, 201);
      const user = await testDb.fetchOne<{ name: string }>('SELECT * FROM users WHERE email = %s', userData.email);
      assert.equal(user?.name, userData.name);
      assert.equal((await User.query(testDb).where({ email: userData.email }).first())?.name, userData.name);
    }
    await testDb.dropAll();
    await testDb.close();
  });

  it('answers 503 while the database is unreachable, and refuses to start when migrations cannot run', async () => {
    const url = 'postgresql://nobody@127.0.0.1:1/none?connect_timeout=2';
    const logger = memoryLogger();
    await using client = new TestClient(createApp({ databaseUrl: url, runMigrations: false, logger }));
    const health = await client.get('/health');
    assert.equal(health.status, 503);
    assert.equal(health.json<{ status: string }>().status, 'unhealthy');
    const users = await client.get('/users');
    assert.equal(users.status, 503);
    assert.equal(users.headers.get('retry-after'), '1');
    assert.ok(logger.lines.some((line) => /Database unavailable at startup/.test(line)));
    await assert.rejects(new TestClient(createApp({ databaseUrl: url, logger })).start(), /Could not connect to PostgreSQL/);
  });
});
