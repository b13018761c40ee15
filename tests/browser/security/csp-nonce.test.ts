// A CSP nonce in real Chromium: the inline script and style carrying this response's nonce run,
// the ones without it (or with an old nonce) are blocked by the browser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../../src/index.js';
import { CSP_NONCE, SecurityHeaders } from '../../../src/security/index.js';
import { browserSkipReason, withBrowser } from '../../helpers/browser.js';

describe('CSP nonces in a real browser', { skip: browserSkipReason() }, () => {
  it('runs the nonced inline script and style and blocks the others', async () => {
    const app = new CovetApp();
    app.addMiddleware(new SecurityHeaders({ contentSecurityPolicy: { 'default-src': ["'self'"], 'script-src': [CSP_NONCE], 'style-src': [CSP_NONCE] } }));
    let previous = 'AAAAAAAAAAAAAAAAAAAAAA==';
    app.get('/', (req) => {
      const nonce = req.state.cspNonce ?? '';
      const page = html(`<!doctype html><meta charset="utf-8"><title>nonce</title>
<style nonce="${nonce}">#a { color: rgb(1, 2, 3); }</style><style>#b { color: rgb(4, 5, 6); }</style>
<p id="a">a</p><p id="b">b</p>
<script nonce="${nonce}">window.ran = (window.ran || []).concat('nonced');</script>
<script>window.ran = (window.ran || []).concat('plain');</script>
<script nonce="${previous}">window.ran = (window.ran || []).concat('stale');</script>`);
      previous = nonce;
      return page;
    });
    const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        for (let i = 0; i < 2; i++) {
          const res = await page.goto(url);
          assert.match(res?.headers()['content-security-policy'] ?? '', /^default-src 'self'; script-src 'nonce-[A-Za-z0-9+/]{22}=='; style-src 'nonce-[A-Za-z0-9+/]{22}=='$/);
          assert.deepEqual(await page.evaluate('window.ran'), ['nonced']);
          assert.deepEqual(await page.evaluate("[getComputedStyle(document.getElementById('a')).color, getComputedStyle(document.getElementById('b')).color]"), ['rgb(1, 2, 3)', 'rgb(0, 0, 0)']);
        }
      });
    } finally {
      await app.close();
    }
  });
});
