import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, stream } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { memoryLogger } from '../helpers/server.js';
import { addFailingStreams } from '../helpers/stream-failures.js';

describe('in-process streamed responses that fail before their first chunk', () => {
  function streamApp(events: string[]): CovetApp {
    const app = new CovetApp({ logger: memoryLogger() });
    addFailingStreams(app, events);
    app.get('/late', () =>
      stream(
        (async function* () {
          yield 'one';
          throw new Error('late');
        })(),
      ),
    );
    app.get('/ok', () =>
      stream(
        (function* () {
          yield 'a';
          yield '';
          yield 'b';
        })(),
        'text/plain',
      ),
    );
    return app;
  }

  it('answers through handle() with the error response, as over a socket', async () => {
    const events: string[] = [];
    const app = streamApp(events);
    const fails = await app.handle(new globalThis.Request('http://local/fails'));
    assert.equal(fails.status, 500);
    assert.deepEqual(await fails.json(), { error: 'Internal Server Error' });
    assert.deepEqual(events, ['rollback: no data']);
    const gone = await app.handle(new globalThis.Request('http://local/gone'));
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), { error: 'Nothing to stream' });
    const empty = await app.handle(new globalThis.Request('http://local/empty'));
    assert.equal(empty.status, 200);
    assert.equal(await empty.text(), '');
    const ok = await app.handle(new globalThis.Request('http://local/ok'));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'ab');
    // Past the first chunk the status is out: the body fails, as a socket connection is cut.
    const late = await app.handle(new globalThis.Request('http://local/late'));
    assert.equal(late.status, 200);
    await assert.rejects(late.text());
  });

  it('gives TestClient (inject) the error status instead of throwing', async () => {
    const events: string[] = [];
    await using client = new TestClient(streamApp(events));
    const fails = await client.get('/fails');
    assert.equal(fails.status, 500);
    assert.deepEqual(fails.json(), { error: 'Internal Server Error' });
    assert.deepEqual(events, ['rollback: no data']);
    const gone = await client.get('/gone');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json(), { error: 'Nothing to stream' });
    assert.equal((await client.get('/ok')).text, 'ab');
    await assert.rejects(client.get('/late'), /late/);
  });
});
