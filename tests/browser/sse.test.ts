import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CovetApp, html, sse } from '../../src/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>sse</title>
<script>
  window.received = [];
  const source = new EventSource('/events');
  source.addEventListener('tick', (e) => window.received.push({ id: e.lastEventId, data: JSON.parse(e.data) }));
</script>`;

describe('sse in a real browser', { skip: browserSkipReason() }, () => {
  it('delivers events to EventSource, resumes with Last-Event-ID and cleans up when the page closes', async () => {
    const seenIds: (string | null)[] = [];
    let connections = 0;
    let closedStreams = 0;
    const app = new CovetApp();
    app.get('/', () => html(PAGE));
    app.get('/events', (req) => {
      seenIds.push(req.lastEventId);
      const first = ++connections === 1;
      return sse(
        (async function* () {
          try {
            if (first) {
              // Two events, then the stream ends: the browser reconnects after `retry` ms.
              yield { event: 'tick', id: 1, data: { n: 1 } };
              yield { event: 'tick', id: 2, data: { n: 2 } };
              return;
            }
            yield { event: 'tick', id: 3, data: { n: 3 } };
            await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
          } finally {
            if (!first) closedStreams++;
          }
        })(),
        { retry: 100, heartbeat: 200 },
      );
    });
    await withServer(app, async ({ url }) =>
      withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/`);
        await page.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length >= 3, undefined, { timeout: 15_000 });
        const received = await page.evaluate(() => (globalThis as unknown as { received: unknown[] }).received);
        assert.deepEqual(received, [
          { id: '1', data: { n: 1 } },
          { id: '2', data: { n: 2 } },
          { id: '3', data: { n: 3 } },
        ]);
        assert.deepEqual(seenIds.slice(0, 2), [null, '2']);
        await page.close();
        const deadline = Date.now() + 10_000;
        while (closedStreams === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(closedStreams, 1, 'the open stream ended when the page went away');
      }),
    );
  });

  it('notices over HTTP/2 that the page went away: req.signal aborts and the stream ends', async () => {
    const key = readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url));
    const cert = readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url));
    const events: string[] = [];
    const app = new CovetApp();
    app.get('/', () => html(PAGE));
    app.get('/events', (req) => {
      req.signal.addEventListener('abort', () => events.push('abort'));
      return sse(
        (async function* () {
          try {
            yield { event: 'tick', id: 1, data: { n: 1 } };
            await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
          } finally {
            events.push('finally');
          }
        })(),
      );
    });
    const { url } = await app.listen({ host: '127.0.0.1', port: 0, http2: true, key, cert });
    try {
      await withBrowser(async (browser) => {
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        const res = await page.goto(`${url}/`);
        assert.equal(await res?.request().headerValue(':method'), 'GET', 'the page came over HTTP/2');
        await page.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length >= 1, undefined, { timeout: 15_000 });
        await page.close();
        const deadline = Date.now() + 10_000;
        while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(events, ['abort', 'finally']);
        await context.close();
      });
    } finally {
      await app.close();
    }
  });

  it('ends open streams when the app closes: close() does not wait for shutdownTimeout, the page sees the end', async () => {
    const events: string[] = [];
    const app = new CovetApp();
    app.get('/', () =>
      html(`<!doctype html><meta charset="utf-8"><title>sse</title>
<script>
  window.log = [];
  const source = new EventSource('/events');
  source.addEventListener('tick', (e) => window.log.push('tick ' + e.data));
  source.onerror = () => window.log.push('error ' + source.readyState);
</script>`),
    );
    app.get('/events', (req) =>
      sse(
        (async function* () {
          try {
            yield { event: 'tick', data: 1 };
            await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
          } finally {
            events.push('finally');
          }
        })(),
        { retry: 60_000 },
      ),
    );
    const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
    let closed = false;
    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/`);
        await page.waitForFunction(() => (globalThis as unknown as { log: string[] }).log.length >= 1, undefined, { timeout: 15_000 });
        const started = Date.now();
        await app.close();
        closed = true;
        assert.ok(Date.now() - started < 5_000, `close() took ${Date.now() - started} ms`);
        assert.deepEqual(events, ['finally']);
        // The stream ended: EventSource reports it and waits `retry` ms to reconnect (CONNECTING).
        await page.waitForFunction(() => (globalThis as unknown as { log: string[] }).log.length >= 2, undefined, { timeout: 5_000 });
        assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { log: string[] }).log), ['tick 1', 'error 0']);
      });
    } finally {
      if (!closed) await app.close();
    }
  });
});
