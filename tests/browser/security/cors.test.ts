// CORS in real Chromium: an API on one port, pages on two others (127.0.0.1 with different
// ports = different origins). The browser enforces the verdict; the server only states it.
// WebSockets get no CORS from the browser: there the server refuses the handshake itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html, json } from '../../../src/index.js';
import { CORSMiddleware } from '../../../src/security/index.js';
import { browserSkipReason, openSocketScript, withBrowser } from '../../helpers/browser.js';

const PAGE = '<!doctype html><meta charset="utf-8"><title>cors</title><p>cross-origin page</p>';

interface FetchOutcome {
  readonly ok: boolean;
  readonly status?: number;
  readonly body?: unknown;
  readonly total?: string | null;
  readonly error?: string;
}

async function listen(app: CovetApp): Promise<string> {
  return (await app.listen({ host: '127.0.0.1', port: 0 })).url;
}

/** Two plain pages on two origins (127.0.0.1, two ports), listening; close both when done. */
async function twoPages(): Promise<{ allowedUrl: string; refusedUrl: string; close(): Promise<void> }> {
  const allowedPage = new CovetApp();
  allowedPage.get('/', () => html(PAGE));
  const refusedPage = new CovetApp();
  refusedPage.get('/', () => html(PAGE));
  const allowedUrl = await listen(allowedPage);
  const refusedUrl = await listen(refusedPage);
  return {
    allowedUrl,
    refusedUrl,
    async close() {
      await allowedPage.close();
      await refusedPage.close();
    },
  };
}

describe('CORS in a real browser', { skip: browserSkipReason() }, () => {
  it('lets an allowed origin read responses (simple and preflighted) and refuses another origin', async () => {
    const pages = await twoPages();
    const { allowedUrl, refusedUrl } = pages;

    const puts: string[] = [];
    const api = new CovetApp();
    api.addMiddleware(
      new CORSMiddleware({
        allowOrigins: [allowedUrl],
        allowMethods: ['GET', 'PUT'],
        allowHeaders: ['Content-Type', 'X-Client'],
        exposeHeaders: ['X-Total-Count'],
        allowCredentials: true,
        maxAge: 60,
      }),
    );
    api.get('/data', () => json({ items: [1, 2] }, 200, { 'x-total-count': '2' }));
    api.put('/data', (req) => {
      puts.push(req.headers.get('origin') ?? '');
      return { updated: true };
    });
    const apiUrl = await listen(api);

    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        // Plain JavaScript for the page (a TypeScript function would carry the loader's helpers).
        const script = `(async (base) => {
          const attempt = async (init) => {
            try {
              const res = await fetch(base + '/data', { credentials: 'include', ...init });
              return { ok: true, status: res.status, body: await res.json(), total: res.headers.get('x-total-count') };
            } catch (err) {
              return { ok: false, error: err.name };
            }
          };
          return [
            await attempt(),
            await attempt({ method: 'PUT', headers: { 'content-type': 'application/json', 'x-client': 'page' }, body: '{}' }),
          ];
        })`;
        const run = (target: string): Promise<FetchOutcome[]> => page.evaluate(`${script}(${JSON.stringify(target)})`);

        await page.goto(`${allowedUrl}/`);
        const [get, put] = await run(apiUrl);
        assert.deepEqual(get, { ok: true, status: 200, body: { items: [1, 2] }, total: '2' });
        assert.deepEqual(put, { ok: true, status: 200, body: { updated: true }, total: null });
        assert.deepEqual(puts, [allowedUrl], 'the preflighted PUT ran once, from the allowed origin');

        await page.goto(`${refusedUrl}/`);
        const [refusedGet, refusedPut] = await run(apiUrl);
        assert.deepEqual(refusedGet, { ok: false, error: 'TypeError' });
        assert.deepEqual(refusedPut, { ok: false, error: 'TypeError' });
        assert.deepEqual(puts, [allowedUrl], 'the refused preflight kept the PUT from being sent');
      });
    } finally {
      await api.close();
      await pages.close();
    }
  });

  it('lets a page on an allowed origin open a WebSocket and refuses the handshake from another origin', async () => {
    const pages = await twoPages();
    const { allowedUrl, refusedUrl } = pages;

    const handshakes: string[] = [];
    const opened: string[] = [];
    const api = new CovetApp();
    // Outside CORS: records every handshake the browser sent, refused or not.
    api.addMiddleware((req, callNext) => {
      handshakes.push(req.headers.get('origin') ?? '');
      return callNext();
    });
    api.addMiddleware(new CORSMiddleware({ allowOrigins: [allowedUrl], allowCredentials: true }));
    api.websocket('/ws', async (ws) => {
      opened.push(ws.request.headers.get('origin') ?? '');
      await ws.accept();
      for await (const message of ws) await ws.send(`echo ${String(message)}`);
    });
    const apiUrl = await listen(api);
    const apiWsUrl = `${apiUrl.replace(/^http/, 'ws')}/ws`;

    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        const run = (): Promise<string[]> => page.evaluate(openSocketScript(apiWsUrl));

        await page.goto(`${allowedUrl}/`);
        assert.deepEqual(await run(), ['open', 'message:echo hello', 'close:1000']);

        await page.goto(`${refusedUrl}/`);
        assert.deepEqual(await run(), ['error', 'close:1006'], 'never opened');
        assert.deepEqual(handshakes, [allowedUrl, refusedUrl], 'the browser sent both handshakes with their Origin');
        assert.deepEqual(opened, [allowedUrl], 'the handler never ran for the refused origin');
      });
    } finally {
      await api.close();
      await pages.close();
    }
  });
});
