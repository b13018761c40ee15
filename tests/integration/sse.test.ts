import assert from 'node:assert/strict';
import { EventEmitter, on } from 'node:events';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { CovetApp, formatEvent, sse } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { withServer } from '../helpers/server.js';

/** Opens an SSE stream over a socket and collects text until `until(text)` or the timeout. */
function readStream(url: string, until: (text: string) => boolean, headers: Record<string, string> = {}): Promise<{ text: string; headers: Record<string, unknown>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(text)}`)), 10_000);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (until(text)) {
          clearTimeout(timer);
          resolve({ text, headers: res.headers, close: () => req.destroy() });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sse', () => {
  it('formats strings, multi-line data, objects, ids, event names and retry', () => {
    assert.equal(formatEvent('hi'), 'data: hi\n\n');
    assert.equal(formatEvent('a\nb'), 'data: a\ndata: b\n\n');
    assert.equal(formatEvent({ event: 'tick', id: 7, retry: 1500, data: { n: 1 } }), 'event: tick\nid: 7\nretry: 1500\ndata: {"n":1}\n\n');
    assert.throws(() => formatEvent({ event: 'a\nb', data: 1 }), /must not contain line breaks/);
    assert.throws(() => formatEvent({ id: 'x\ry', data: 1 }), /must not contain line breaks/);
  });

  it('streams events with the right headers and a first comment', async () => {
    const app = new CovetApp();
    app.get('/events', () => sse(['one', { event: 'two', data: [2] }], { retry: 3000 }));
    await using client = new TestClient(app);
    const res = await client.get('/events');
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.text, 'retry: 3000\n\ndata: one\n\nevent: two\ndata: [2]\n\n');
  });

  it('sends heartbeats while the source is idle', async () => {
    const app = new CovetApp();
    app.get('/idle', () =>
      sse(
        (async function* () {
          await new Promise((r) => setTimeout(r, 250));
          yield 'late';
        })(),
        { heartbeat: 50 },
      ),
    );
    await withServer(app, async ({ url }) => {
      const { text, close } = await readStream(`${url}/idle`, (t) => t.includes('data: late'));
      close();
      assert.ok((text.match(/: ping\n\n/g) ?? []).length >= 2, text);
      assert.ok(text.startsWith(': connected\n\n'));
    });
  });

  it('passes Last-Event-ID to the handler so a client can resume', async () => {
    const app = new CovetApp();
    const log = ['a', 'b', 'c', 'd'];
    app.get('/feed', (req) => {
      const from = req.lastEventId === null ? 0 : Number(req.lastEventId) + 1;
      return sse(log.slice(from).map((data, i) => ({ id: from + i, data })));
    });
    await using client = new TestClient(app);
    const res = await client.get('/feed', { headers: { 'Last-Event-ID': '1' } });
    assert.equal(res.text, ': connected\n\nid: 2\ndata: c\n\nid: 3\ndata: d\n\n');
  });

  it('runs the source cleanup as soon as the client goes away, even while idle', async () => {
    let cleaned!: () => void;
    const cleanedUp = new Promise<void>((resolve) => {
      cleaned = resolve;
    });
    let produced = 0;
    const app = new CovetApp();
    app.get('/forever', (req) =>
      sse(
        (async function* () {
          try {
            for (;;) {
              produced++;
              yield { data: produced };
              // Idle until the client leaves: only req.signal ends this wait.
              await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, 200);
                req.signal.addEventListener('abort', () => {
                  clearTimeout(t);
                  resolve();
                });
              });
            }
          } finally {
            cleaned();
          }
        })(),
        { heartbeat: 0 },
      ),
    );
    await withServer(app, async ({ url }) => {
      const { close } = await readStream(`${url}/forever`, (t) => t.includes('data: 1'));
      close();
      await Promise.race([cleanedUp, new Promise((_, reject) => setTimeout(() => reject(new Error('no cleanup')), 5_000))]);
      const after = produced;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(produced, after, 'the source stops producing once the client is gone');
    });
  });

  it('ends an idle subscription source (events.on) at once when the client leaves, heartbeat or not', async () => {
    for (const heartbeat of [undefined, 0, 60_000]) {
      const feed = new EventEmitter();
      const app = new CovetApp();
      // A pub/sub feed that stays quiet: its subscription must still be dropped.
      app.get('/sub', () => sse(on(feed, 'message') as AsyncIterable<[string]> as unknown as AsyncIterable<string>, heartbeat === undefined ? {} : { heartbeat }));
      await withServer(app, async ({ url }) => {
        const { close } = await readStream(`${url}/sub`, (t) => t.includes(': connected'));
        for (let i = 0; i < 50 && feed.listenerCount('message') === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(feed.listenerCount('message'), 1, 'subscribed');
        const left = Date.now();
        close();
        for (let i = 0; i < 100 && feed.listenerCount('message') > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(feed.listenerCount('message'), 0, `unsubscribed (heartbeat ${heartbeat})`);
        assert.ok(Date.now() - left < 1000, `within a second, not at the next heartbeat (${Date.now() - left} ms)`);
      });
    }
  });
});
