// Startup and shutdown hooks per run of the app: a test client per test, listen after close,
// and several users of one app at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { memoryLogger } from '../helpers/server.js';

function recordingApp(): { app: CovetApp; events: string[] } {
  const events: string[] = [];
  const app = new CovetApp();
  app.onStartup(() => events.push('startup'));
  app.onShutdown(() => events.push('shutdown'));
  app.get('/', () => ({ ok: true }));
  return { app, events };
}

describe('app lifecycle', () => {
  it('starts and stops the app again for each test client in turn', async () => {
    const { app, events } = recordingApp();
    for (let i = 0; i < 3; i++) {
      await using client = new TestClient(app);
      assert.equal((await client.get('/')).status, 200);
    }
    assert.deepEqual(events, ['startup', 'shutdown', 'startup', 'shutdown', 'startup', 'shutdown']);
  });

  it('runs the hooks again for listen after close, and after a test client', async () => {
    const { app, events } = recordingApp();
    const client = new TestClient(app);
    await client.get('/');
    await client.close();
    for (let i = 0; i < 2; i++) {
      const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
      assert.equal((await fetch(`${url}/`)).status, 200);
      await app.close();
    }
    assert.deepEqual(events, ['startup', 'shutdown', 'startup', 'shutdown', 'startup', 'shutdown']);
  });

  it('keeps the app running while another client or the server still uses it', async () => {
    const { app, events } = recordingApp();
    const first = new TestClient(app);
    const second = new TestClient(app);
    await first.get('/');
    await second.get('/');
    await second.close();
    assert.deepEqual(events, ['startup']);
    assert.equal((await first.get('/')).status, 200);
    const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
    await first.close();
    assert.deepEqual(events, ['startup'], 'the server still uses the app');
    assert.equal((await fetch(`${url}/`)).status, 200);
    await app.close();
    assert.deepEqual(events, ['startup', 'shutdown']);
  });

  it('gives a database added with addDatabase back to each new client', async () => {
    const app = new CovetApp();
    let opened = 0;
    let closed = 0;
    app.addDatabase({ connect: async () => void opened++, close: async () => void closed++ });
    app.get('/', () => ({ opened, closed }));
    for (let i = 1; i <= 2; i++) {
      await using client = new TestClient(app);
      assert.deepEqual((await client.get('/')).json(), { opened: i, closed: i - 1 });
    }
    assert.equal(closed, 2);
  });

  it('runs shutdown hooks once for close() on an app that never started, and once per run after', async () => {
    const { app, events } = recordingApp();
    await app.close();
    await app.close();
    assert.deepEqual(events, ['shutdown']);
    await app.startup();
    await app.startup();
    await app.shutdown();
    await app.shutdown();
    assert.deepEqual(events, ['shutdown', 'startup', 'shutdown']);
  });

  it('after a failed startup, listen and a test client start the app again, and close runs the shutdown hooks', async () => {
    const events: string[] = [];
    let failures = 1;
    const app = new CovetApp();
    app.onStartup(() => {
      if (failures-- > 0) throw new Error('database down');
      events.push('startup');
    });
    app.onShutdown(() => events.push('shutdown'));
    app.get('/', () => ({ ok: true }));

    await assert.rejects(app.listen({ host: '127.0.0.1', port: 0 }), /database down/);
    assert.equal(app.server, null);
    await app.listen({ host: '127.0.0.1', port: 0 });
    await app.close();
    assert.deepEqual(events, ['startup', 'shutdown']);

    failures = 1;
    events.length = 0;
    const client = new TestClient(app);
    await assert.rejects(client.get('/'), /database down/);
    assert.equal((await client.get('/')).status, 200);
    await client.close();
    assert.deepEqual(events, ['startup', 'shutdown']);
  });

  it('undoes what already started when a startup hook throws, last first, then surfaces the error: test client, listen and run', async () => {
    const boom = new Error('cache down');
    function failingApp(): { app: CovetApp; events: string[]; logger: ReturnType<typeof memoryLogger> } {
      const events: string[] = [];
      const logger = memoryLogger();
      const app = new CovetApp({ logger });
      const admin = new CovetApp({ logger });
      admin.onStartup(() => void events.push('open admin'));
      admin.onShutdown(() => void events.push('close admin'));
      app.mount('/admin', admin);
      app.addDatabase({ connect: async () => void events.push('open db'), close: async () => void events.push('close db') });
      app.onStartup(() => void events.push('open queue'));
      app.onShutdown(() => {
        events.push('close queue');
        throw new Error('queue close failed');
      });
      app.onStartup(() => {
        events.push('open cache');
        throw boom;
      });
      // Registered after the failing hook: what it closes never opened.
      app.onShutdown(() => void events.push('close cache'));
      app.get('/', () => ({ ok: true }));
      return { app, events, logger };
    }
    const undone = ['open admin', 'open db', 'open queue', 'open cache', 'close queue', 'close db', 'close admin'];

    const viaClient = failingApp();
    const client = new TestClient(viaClient.app);
    await assert.rejects(client.get('/'), (err) => err === boom);
    assert.deepEqual(viaClient.events, undone);
    assert.deepEqual(viaClient.logger.lines, ['shutdown hook failed']);
    await client.close();
    await viaClient.app.close();
    assert.deepEqual(viaClient.events, undone, 'close() after the failed start runs nothing again');

    const viaListen = failingApp();
    await assert.rejects(viaListen.app.listen({ host: '127.0.0.1', port: 0 }), (err) => err === boom);
    assert.equal(viaListen.app.server, null);
    assert.deepEqual(viaListen.events, undone);

    const viaRun = failingApp();
    const signals = process.listenerCount('SIGTERM');
    await assert.rejects(viaRun.app.run({ host: '127.0.0.1', port: 0, exitOnSignal: false }), (err) => err === boom);
    assert.equal(process.listenerCount('SIGTERM'), signals);
    assert.deepEqual(viaRun.events, undone);

    // The next start runs everything afresh.
    viaRun.events.length = 0;
    let fail = true;
    const app = new CovetApp();
    app.onStartup(() => {
      if (fail) throw boom;
    });
    app.onShutdown(() => void viaRun.events.push('stopped'));
    await assert.rejects(app.startup(), (err) => err === boom);
    fail = false;
    await app.startup();
    await app.shutdown();
    assert.deepEqual(viaRun.events, ['stopped']);
  });
});
