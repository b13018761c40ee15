// CSRF in real Chromium: a form posted from the app's own page is accepted; the same form
// auto-submitted from another origin (another port on 127.0.0.1: same site, so the browser
// even sends the csrftoken cookie along) is refused. The same goes for a WebSocket opened by a
// page on another origin: the browser sends the cookie with the handshake, the Origin check
// refuses it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../../src/index.js';
import { type CSRFOptions, CSRFProtection, SecurityConfig } from '../../../src/security/index.js';
import { browserSkipReason, openSocketScript, withBrowser } from '../../helpers/browser.js';

const PAGE = '<!doctype html><meta charset="utf-8"><title>page</title><p>a page</p>';

function bank(csrf: Partial<CSRFOptions>): { app: CovetApp; transfers: string[] } {
  const securityConfig = new SecurityConfig({ secretKey: 'browser-csrf-secret-0123456789', csrf });
  const app = securityConfig.apply(new CovetApp({ securityConfig }));
  const transfers: string[] = [];
  app.get('/form', (req) =>
    html(`<!doctype html><meta charset="utf-8"><title>bank</title>
<form method="post" action="/transfer">
  <input type="hidden" name="csrf_token" value="${String(req.state.csrfToken)}">
  <input name="to" value="friend">
  <button id="send" type="submit">Send</button>
</form>`),
  );
  app.post('/transfer', async (req) => {
    transfers.push(String((await req.form()).get('to')));
    return html('<!doctype html><title>done</title><p id="result">transferred</p>');
  });
  return { app, transfers };
}

function attacker(target: string, token?: string): CovetApp {
  const app = new CovetApp();
  const field = token === undefined ? '' : `<input type="hidden" name="csrf_token" value="${token}">`;
  app.get('/evil', () =>
    html(`<!doctype html><meta charset="utf-8"><title>evil</title>
<form id="f" method="post" action="${target}/transfer">${field}<input name="to" value="mallory"></form>
<script>document.getElementById('f').submit()</script>`),
  );
  return app;
}

describe('CSRF in a real browser', { skip: browserSkipReason() }, () => {
  it('accepts the form from the app and refuses it from another origin (origin check, then token)', async () => {
    const strict = bank({});
    const tokenOnly = bank({ checkOrigin: false });
    const strictUrl = (await strict.app.listen({ host: '127.0.0.1', port: 0 })).url;
    const tokenOnlyUrl = (await tokenOnly.app.listen({ host: '127.0.0.1', port: 0 })).url;
    const evil = [attacker(strictUrl), attacker(tokenOnlyUrl), attacker(tokenOnlyUrl, 'guessed.token')];
    const evilUrls: string[] = [];
    for (const app of evil) evilUrls.push((await app.listen({ host: '127.0.0.1', port: 0 })).url);
    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        // From the app's own page: accepted.
        await page.goto(`${strictUrl}/form`);
        await Promise.all([page.waitForURL(`${strictUrl}/transfer`), page.click('#send')]);
        assert.equal(await page.textContent('#result'), 'transferred');
        assert.deepEqual(strict.transfers, ['friend']);

        // The same post from another origin: refused by the Origin check.
        const refused = page.waitForResponse(`${strictUrl}/transfer`);
        await page.goto(`${evilUrls[0]}/evil`);
        const res = await refused;
        assert.equal(res.status(), 403);
        assert.deepEqual(await res.json(), { error: 'CSRF origin check failed' });
        assert.deepEqual(strict.transfers, ['friend']);

        // Without the Origin check the token still refuses it: the cookie is sent, the token is not.
        await page.goto(`${tokenOnlyUrl}/form`);
        const cookies = await page.context().cookies(tokenOnlyUrl);
        assert.ok(cookies.some((c) => c.name === 'csrftoken' && c.sameSite === 'Lax'));
        for (const [url, error] of [
          [evilUrls[1], 'CSRF token missing'],
          [evilUrls[2], 'CSRF token invalid'],
        ] as const) {
          const answer = page.waitForResponse(`${tokenOnlyUrl}/transfer`);
          await page.goto(`${url}/evil`);
          const r = await answer;
          assert.equal(r.status(), 403);
          assert.deepEqual(await r.json(), { error });
        }
        assert.deepEqual(tokenOnly.transfers, []);
        await page.goto(`${tokenOnlyUrl}/form`);
        await Promise.all([page.waitForURL(`${tokenOnlyUrl}/transfer`), page.click('#send')]);
        assert.deepEqual(tokenOnly.transfers, ['friend']);
      });
    } finally {
      for (const app of [...evil, strict.app, tokenOnly.app]) await app.close();
    }
  });

  it('refuses a WebSocket handshake from another origin, though the browser sends the cookie along', async () => {
    const handshakes: { origin: string | null; cookie: boolean }[] = [];
    const app = new CovetApp();
    // Outside CSRFProtection: records every handshake the browser sent, refused or not.
    app.addMiddleware((req, callNext) => {
      if (req.headers.has('upgrade')) handshakes.push({ origin: req.headers.get('origin'), cookie: req.cookies.csrftoken !== undefined });
      return callNext();
    });
    app.addMiddleware(new CSRFProtection({ secretKey: 'browser-csrf-secret-0123456789' }));
    app.get('/', () => html(PAGE));
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      for await (const message of ws) await ws.send(`echo ${String(message)}`);
    });
    const other = new CovetApp();
    other.get('/', () => html(PAGE));
    const url = (await app.listen({ host: '127.0.0.1', port: 0 })).url;
    const otherUrl = (await other.listen({ host: '127.0.0.1', port: 0 })).url;
    const wsUrl = `${url.replace(/^http/, 'ws')}/ws`;
    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        const run = (): Promise<string[]> => page.evaluate(openSocketScript(wsUrl));
        await page.goto(`${url}/`); // the app's own page: sets the csrftoken cookie
        assert.deepEqual(await run(), ['open', 'message:echo hello', 'close:1000']);
        await page.goto(`${otherUrl}/`); // same site (127.0.0.1), another origin
        assert.deepEqual(await run(), ['error', 'close:1006'], 'never opened');
        assert.deepEqual(handshakes, [
          { origin: url, cookie: true },
          { origin: otherUrl, cookie: true },
        ]);
      });
    } finally {
      await app.close();
      await other.close();
    }
  });
});
