// WebSocket from a real page in headless Chromium: text and binary both ways, with and without
// permessage-deflate (Chromium always offers it), subprotocols, and a clean close.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../../src/index.js';
import { browserSkipReason, withBrowser } from '../../helpers/browser.js';
import { withServer } from '../../helpers/server.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>ws</title>
<script>
  window.run = (path, protocols) => new Promise((resolve, reject) => {
    const out = { messages: [] };
    const ws = new WebSocket('ws://' + location.host + path, protocols);
    ws.binaryType = 'arraybuffer';
    ws.onerror = () => reject(new Error('socket error'));
    ws.onopen = () => {
      out.extensions = ws.extensions;
      out.protocol = ws.protocol;
      ws.send('chromium');
      ws.send('x'.repeat(100000));
      ws.send(new Uint8Array([1, 2, 3, 250]));
      ws.send(JSON.stringify({ emoji: '🎉', n: 1 }));
    };
    ws.onmessage = (e) => {
      out.messages.push(typeof e.data === 'string' ? (e.data.length > 100 ? 'text:' + e.data.length : e.data) : 'bytes:' + Array.from(new Uint8Array(e.data)).join(','));
      if (out.messages.length === 5) ws.close(4000, 'page done');
    };
    ws.onclose = (e) => { out.close = [e.code, e.reason, e.wasClean]; resolve(out); };
  });
</script>`;

describe('WebSocket in a real browser', { skip: browserSkipReason() }, () => {
  it('exchanges messages with and without compression, then closes cleanly', { timeout: 60_000 }, async () => {
    const app = new CovetApp();
    const closes: unknown[] = [];
    app.get('/', () => html(PAGE));
    for (const [path, compression] of [
      ['/plain', false],
      ['/deflate', true],
    ] as const) {
      app.websocket(path, { compression, subprotocols: ['covet.v1'] }, async (ws) => {
        await ws.accept();
        await ws.sendText(`welcome to ${path}`);
        for await (const m of ws) {
          if (typeof m === 'string') await ws.sendText(m.length > 100 ? m : `echo ${m}`);
          else await ws.sendBytes(Buffer.from([...m].reverse()));
        }
        closes.push([path, await ws.closed]);
      });
    }
    await withServer(app, async ({ url }) =>
      withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/`);
        const run = (path: string) =>
          page.evaluate(([p]) => (globalThis as unknown as { run(p: string, protocols: string[]): Promise<unknown> }).run(p as string, ['covet.v1']), [path]);
        const plain = (await run('/plain')) as { extensions: string; protocol: string; messages: string[]; close: unknown[] };
        const deflate = (await run('/deflate')) as typeof plain;
        assert.equal(plain.extensions, '');
        assert.match(deflate.extensions, /^permessage-deflate/);
        for (const [result, path] of [
          [plain, '/plain'],
          [deflate, '/deflate'],
        ] as const) {
          assert.equal(result.protocol, 'covet.v1');
          assert.deepEqual(result.messages, [`welcome to ${path}`, 'echo chromium', 'text:100000', 'bytes:250,3,2,1', 'echo {"emoji":"🎉","n":1}']);
          assert.deepEqual(result.close, [4000, 'page done', true]);
        }
        for (let i = 0; i < 100 && closes.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(closes, [
          ['/plain', { code: 4000, reason: 'page done' }],
          ['/deflate', { code: 4000, reason: 'page done' }],
        ]);
      }),
    );
  });
});
