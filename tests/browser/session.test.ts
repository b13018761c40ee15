// Sessions in headless Chromium: a form login (with id regeneration), an HttpOnly cookie the
// page cannot read, a tampered cookie treated as no session, and logout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html, MemorySessionStore, redirect, SessionMiddleware, type SessionOptions } from '../../src/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const SECRET = 'browser-session-secret-0123456789';
const T = { timeout: 60_000 };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginApp(options: Partial<SessionOptions>): CovetApp {
  const app = new CovetApp();
  app.addMiddleware(new SessionMiddleware({ secretKey: SECRET, ...options }));
  app.get('/', (req) => {
    const user = req.session.get('user');
    return html(
      typeof user === 'string'
        ? `<!doctype html><p id="who">Hello ${escapeHtml(user)}</p><form method="post" action="/logout"><button id="logout">Log out</button></form>`
        : `<!doctype html><p id="who">anonymous</p><form method="post" action="/login"><input name="username" value="ann"><button id="login">Log in</button></form>`,
    );
  });
  app.post('/login', async (req) => {
    const form = await req.form();
    await req.session.regenerate();
    req.session.set('user', String(form.get('username')));
    return redirect('/', 303);
  });
  app.post('/logout', async (req) => {
    await req.session.destroy();
    return redirect('/', 303);
  });
  return app;
}

const variants: [string, () => Partial<SessionOptions>][] = [
  ['signed cookie', () => ({})],
  ['encrypted cookie', () => ({ encrypt: true })],
  ['memory store', () => ({ store: new MemorySessionStore() })],
];

describe('sessions in a real browser', { skip: browserSkipReason() }, () => {
  for (const [name, options] of variants) {
    it(`logs in, hides the cookie from scripts, refuses a tampered cookie and logs out (${name})`, T, async () => {
      await withServer(loginApp(options()), async ({ url }) =>
        withBrowser(async (browser) => {
          const context = await browser.newContext();
          const page = await context.newPage();
          await page.goto(`${url}/`);
          assert.equal(await page.textContent('#who'), 'anonymous');
          assert.deepEqual(await context.cookies(), []);

          await Promise.all([page.waitForURL(`${url}/`), page.click('#login')]);
          assert.equal(await page.textContent('#who'), 'Hello ann');
          const [cookie, ...others] = await context.cookies();
          assert.equal(others.length, 0);
          assert.equal(cookie?.name, 'session');
          assert.equal(cookie?.httpOnly, true);
          assert.equal(cookie?.sameSite, 'Lax');
          assert.equal(cookie?.path, '/');
          assert.ok((cookie?.expires ?? 0) > Date.now() / 1000 + 1_209_000, 'Max-Age of 14 days');
          assert.equal(await page.evaluate('document.cookie'), '', 'HttpOnly: scripts cannot read the session');

          // Another reload keeps the session (the browser sends the cookie back).
          await page.reload();
          assert.equal(await page.textContent('#who'), 'Hello ann');

          // A tampered cookie is no session at all — not an error page.
          const value = cookie?.value ?? '';
          const forged = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
          await context.addCookies([{ name: 'session', value: forged, url }]);
          const tampered = await page.reload();
          assert.equal(tampered?.status(), 200);
          assert.equal(await page.textContent('#who'), 'anonymous');
          assert.deepEqual(await context.cookies(), [], 'the bad cookie was deleted');

          await Promise.all([page.waitForURL(`${url}/`), page.click('#login')]);
          assert.equal(await page.textContent('#who'), 'Hello ann');
          const second = (await context.cookies())[0]?.value;
          assert.ok(second !== undefined && second !== value, 'a new login gets a new cookie');
          await Promise.all([page.waitForURL(`${url}/`), page.click('#logout')]);
          assert.equal(await page.textContent('#who'), 'anonymous');
          assert.deepEqual(await context.cookies(), []);
          await context.close();
        }),
      );
    });
  }

  it('sends the session with fetch() from the page (same origin), and SameSite=Lax keeps it', T, async () => {
    const app = loginApp({});
    app.get('/api/me', (req) => ({ user: req.session.get('user') ?? null }));
    await withServer(app, async ({ url }) =>
      withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/`);
        await Promise.all([page.waitForURL(`${url}/`), page.click('#login')]);
        const me = await page.evaluate("fetch('/api/me').then((r) => r.json())");
        assert.deepEqual(me, { user: 'ann' });
      }),
    );
  });
});
