// Startup and shutdown hooks per run of the app: a test client per test, listen after close,
// and several users of one app at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';

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
});
