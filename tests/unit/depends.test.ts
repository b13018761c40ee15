import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, Depends, HTTPException, type Request, stream } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';
import { recordingTx } from '../helpers/stream-failures.js';

describe('Depends', () => {
  it('resolves nested dependencies once per request (cached)', async () => {
    let configCalls = 0;
    const getConfig = Depends(() => {
      configCalls++;
      return { dsn: 'memory' };
    });
    const getDb = Depends(async (_req, { config }) => ({ dsn: config.dsn, id: Math.random() }), { deps: { config: getConfig } });
    const getRepo = Depends((_req, { db }) => ({ db }), { deps: { db: getDb } });
    const app = new CovetApp();
    app.get('/', { deps: { db: getDb, repo: getRepo, config: getConfig } }, (_req, { db, repo, config }) => ({
      same: db === repo.db,
      dsn: config.dsn,
    }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/')).json(), { same: true, dsn: 'memory' });
    assert.equal(configCalls, 1);
    await client.get('/');
    assert.equal(configCalls, 2, 'a new request resolves again');
  });

  it('a class is a dependency, FastAPI-style: constructed with (req, deps) once per request', async () => {
    let built = 0;
    class Pagination {
      readonly limit: number;
      readonly dsn: string;
      constructor(req: Request, deps: { config: { dsn: string } }) {
        built++;
        this.limit = req.queryParams.get('limit', 10, 'int') as number;
        this.dsn = deps.config.dsn;
      }
    }
    const config = Depends(() => ({ dsn: 'memory' }));
    const app = new CovetApp();
    app.get(
      '/items',
      { deps: { page: Depends(Pagination, { deps: { config } }), again: Depends(Pagination, { deps: { config } }) } },
      (_req, { page, again }) => ({ isInstance: page instanceof Pagination, same: page === again, limit: page.limit, dsn: page.dsn }),
    );
    await using client = new TestClient(app);
    const res = await client.get('/items', { query: { limit: '5' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { isInstance: true, same: true, limit: 5, dsn: 'memory' });
    assert.equal(built, 1);
    assert.throws(() => Depends(42 as never), { name: 'TypeError', message: 'Depends() takes a function or a class' });
  });

  it('app.dependencyOverrides replaces a dependency everywhere it is used, nested or not, until cleared', async () => {
    const events: string[] = [];
    async function getDb() {
      events.push('real db');
      return { name: 'real' };
    }
    const db = Depends(getDb);
    const repo = Depends((_req, { db }) => ({ db: db.name }), { deps: { db } });
    class Clock {
      now = 'real time';
    }
    const app = new CovetApp();
    const api = app.routeGroup('/api', { deps: { db } });
    api.get('/repo', { deps: { repo, clock: Depends(Clock) } }, (_req, { repo, db, clock }) => ({ repo: repo.db, db: db.name, clock: clock.now }));
    const sub = new CovetApp();
    sub.get('/db', { deps: { db } }, (_req, { db }) => db);
    app.mount('/sub', sub);

    async function* fakeDb() {
      events.push('fake open');
      yield { name: 'fake' };
      events.push('fake close');
    }
    app.dependencyOverrides.set(getDb, fakeDb);
    app.dependencyOverrides.set(Clock, () => ({ now: 'frozen' }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/api/repo')).json(), { repo: 'fake', db: 'fake', clock: 'frozen' });
    assert.deepEqual((await client.get('/sub/db')).json(), { name: 'fake' });
    assert.deepEqual(events, ['fake open', 'fake close', 'fake open', 'fake close']);

    // A replacement with dependencies of its own, keyed by the Depends value.
    const tenant = Depends((req: Request) => req.headers.get('x-tenant') ?? 'none');
    app.dependencyOverrides.clear();
    app.dependencyOverrides.set(db, Depends((_req, { tenant }) => ({ name: `fake-${tenant}` }), { deps: { tenant } }));
    assert.deepEqual((await client.get('/sub/db', { headers: { 'x-tenant': 'acme' } })).json(), { name: 'fake-acme' });

    app.dependencyOverrides.clear();
    events.length = 0;
    assert.deepEqual((await client.get('/api/repo')).json(), { repo: 'real', db: 'real', clock: 'real time' });
    assert.deepEqual(events, ['real db']);
  });

  it('useCache: false resolves every time it is asked for', async () => {
    let n = 0;
    const counter = Depends(() => ++n, { useCache: false });
    const app = new CovetApp();
    app.get('/', { deps: { a: counter, b: counter } }, (_req, { a, b }) => [a, b].sort());
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/')).json(), [1, 2]);
  });

  it('runs async-generator cleanup after the response, and commits on success', async () => {
    const events: string[] = [];
    async function* getTx() {
      events.push('begin');
      try {
        yield { insert: (x: string) => events.push(`insert ${x}`) };
        events.push('commit');
      } catch (err) {
        events.push(`rollback: ${(err as Error).message}`);
        throw err;
      } finally {
        events.push('release');
      }
    }
    const app = new CovetApp({ logger: memoryLogger() });
    app.post('/ok', { deps: { tx: Depends(getTx) } }, (_req, { tx }) => {
      tx.insert('a');
      events.push('handler done');
      return { ok: true };
    });
    app.post('/fail', { deps: { tx: Depends(getTx) } }, (_req, { tx }) => {
      tx.insert('b');
      throw new HTTPException(409, 'Conflict on b');
    });
    await using client = new TestClient(app);
    assert.equal((await client.post('/ok')).status, 200);
    assert.deepEqual(events, ['begin', 'insert a', 'handler done', 'commit', 'release']);
    events.length = 0;
    const res = await client.post('/fail');
    assert.equal(res.status, 409);
    assert.deepEqual(res.json(), { error: 'Conflict on b' });
    assert.deepEqual(events, ['begin', 'insert b', 'rollback: Conflict on b', 'release']);
  });

  it('throws a failure of a streamed body into the generator dependencies, in-process and over a socket', async () => {
    const events: string[] = [];
    const tx = recordingTx(events);
    async function* getTx() {
      events.push('begin');
      yield* tx();
    }
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/broken', { deps: { tx: Depends(getTx) } }, () => {
      async function* body() {
        yield 'a\n';
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('stream broke');
      }
      return stream(body(), 'text/plain');
    });
    app.get('/whole', { deps: { tx: Depends(getTx) } }, () => {
      async function* body() {
        yield 'a\n';
        yield 'b\n';
      }
      return stream(body(), 'text/plain');
    });
    const settled = async (n: number) => {
      for (let i = 0; i < 100 && events.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    // In-process: inject() (TestClient) collects the body; handle() passes the stream on.
    await using client = new TestClient(app);
    await assert.rejects(client.get('/broken'), /stream broke/);
    assert.deepEqual(events.splice(0), ['begin', 'rollback: stream broke']);
    assert.equal((await client.get('/whole')).text, 'a\nb\n');
    assert.deepEqual(events.splice(0), ['begin', 'commit']);
    const res = await app.handle(new globalThis.Request('http://app.test/broken'));
    await assert.rejects(res.text());
    await settled(2);
    assert.deepEqual(events.splice(0), ['begin', 'rollback: stream broke']);
    // Over a socket: the response is cut off, the dependency rolls back.
    await withServer(app, async ({ url }) => {
      const broken = await fetch(`${url}/broken`);
      assert.equal(broken.status, 200);
      await assert.rejects(broken.text());
      await settled(2);
      assert.deepEqual(events.splice(0), ['begin', 'rollback: stream broke']);
      assert.equal(await (await fetch(`${url}/whole`)).text(), 'a\nb\n');
      await settled(2);
      assert.deepEqual(events.splice(0), ['begin', 'commit']);
    });
    assert.ok(logger.lines.includes('response body failed'));
    assert.ok(!logger.lines.includes('dependency cleanup failed'));
  });

  it('app.handle(): cancelling a streamed body throws the disconnect into generator dependencies (no commit)', async () => {
    const events: string[] = [];
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/feed', { deps: { tx: Depends(recordingTx(events)) } }, () =>
      stream(
        (async function* () {
          for (let i = 0; ; i++) yield `line ${i}\n`;
        })(),
        'text/plain',
      ),
    );
    const res = await app.handle(new globalThis.Request('http://local/feed'));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    assert.deepEqual(events, ['rollback: The client closed the connection']);
    assert.deepEqual(logger.errors, []);
  });

  it('a generator that turns the error into an HTTPException changes the response', async () => {
    function* translate() {
      try {
        yield 1;
      } catch {
        throw new HTTPException(422, 'Translated');
      }
    }
    const app = new CovetApp({ logger: memoryLogger() });
    app.get('/', { deps: { t: Depends(translate) } }, () => {
      throw new Error('boom');
    });
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 422);
    assert.deepEqual(res.json(), { error: 'Translated' });
  });

  it('rolls back a generator still starting when a sibling dependency fails, rather than leaving it open', async () => {
    const events: string[] = [];
    async function* slowTx() {
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push('begin');
      try {
        yield 'tx';
        events.push('commit');
      } catch (err) {
        events.push(`rollback: ${(err as Error).message}`);
        throw err;
      } finally {
        events.push('release');
      }
    }
    const requireUser = Depends(() => {
      throw new HTTPException(401, 'Not authenticated');
    });
    const app = new CovetApp();
    app.get('/', { deps: { tx: Depends(slowTx), user: requireUser } }, () => 'never');
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { error: 'Not authenticated' });
    assert.deepEqual(events, ['begin', 'rollback: Not authenticated', 'release']);
  });

  it('rolls back a generator that yields only after the route timeout answered 503', async () => {
    const events: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    async function* slowTx() {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events.push('begin');
      try {
        yield 'tx';
        events.push('commit');
      } catch (err) {
        events.push(`rollback: ${(err as Error).message}`);
        throw err;
      } finally {
        events.push('release');
        done();
      }
    }
    const app = new CovetApp({ logger: memoryLogger() });
    app.get('/', { timeout: 20, deps: { tx: Depends(slowTx) } }, () => 'never');
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 503);
    // The generator yields ~80 ms after the answer; give it ample time, without hanging on a leak.
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    assert.deepEqual(events, ['begin', 'rollback: Request timed out', 'release']);
  });

  it('a dependency that throws HTTPException answers with it (auth-style)', async () => {
    const requireUser = Depends((req: Request) => {
      const user = req.headers.get('x-user');
      if (!user) throw new HTTPException(401, 'Not authenticated', { headers: { 'WWW-Authenticate': 'Bearer' } });
      return { name: user };
    });
    const app = new CovetApp();
    app.get('/me', { deps: { user: requireUser } }, (_req, { user }) => user);
    await using client = new TestClient(app);
    const denied = await client.get('/me');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(denied.json(), { error: 'Not authenticated' });
    assert.deepEqual((await client.get('/me', { headers: { 'x-user': 'ann' } })).json(), { name: 'ann' });
  });

  it('group deps run for every route of the group and reach the handler', async () => {
    const calls: string[] = [];
    const audit = Depends((req: Request) => {
      calls.push(req.path);
      return 'audited';
    });
    const app = new CovetApp();
    const admin = app.routeGroup('/admin', { deps: { audit } });
    admin.get('/a', () => 'a');
    admin.get('/b', { deps: {} }, (_req, deps) => deps);
    await using client = new TestClient(app);
    await client.get('/admin/a');
    assert.deepEqual((await client.get('/admin/b')).json(), { audit: 'audited' });
    assert.deepEqual(calls, ['/admin/a', '/admin/b']);
  });

  it('middleware shares the request cache through req.resolve', async () => {
    let n = 0;
    const currentUser = Depends(() => ({ id: ++n }));
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      const user = await req.resolve(currentUser);
      const res = await callNext();
      res.headers.set('x-user-id', String(user.id));
      return res;
    });
    app.get('/', { deps: { user: currentUser } }, (_req, { user }) => user);
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.deepEqual(res.json(), { id: 1 });
    assert.equal(res.headers.get('x-user-id'), '1');
    assert.equal(n, 1);
  });

  it('a generator dependency that never yields is a 500, logged', async () => {
    const logger = memoryLogger();
    // biome-ignore lint/correctness/useYield: the point of the test
    async function* broken() {
      return;
    }
    const app = new CovetApp({ logger });
    app.get('/', { deps: { x: Depends(broken) } }, () => 'unreachable');
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { error: 'Internal Server Error' });
    assert.match(String(logger.errors[0]), /returned without yielding/);
  });
});
