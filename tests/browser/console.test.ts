import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DatabaseManager } from '../../src/database/index.js';
import { CovetApp } from '../../src/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const TOKEN = 'browser-console-token-0123456789';

/** The page globals the test reads (the project's type-check has no DOM library). */
interface BrowserGlobals {
  readonly document: {
    readonly cookie: string;
    getElementById(id: string): { getAttribute(name: string): string | null; querySelector(s: string): { getAttribute(name: string): string | null } | null } | null;
  };
}

describe('Covet Console in a real browser', { skip: browserSkipReason() }, () => {
  it('loads with the token cookie, shows a request made a moment before, flags N+1 and updates its charts', async () => {
    const db = new DatabaseManager('sqlite:///:memory:');
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    app.addDatabase(db);
    app.console('/_covet', { token: TOKEN });
    app.onStartup(async () => {
      await db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER, name TEXT)');
      for (let i = 1; i <= 6; i++) await db.execute('INSERT INTO items (order_id, name) VALUES (%s, %s)', 42, `item ${i}`);
    });
    app.get('/orders/{id:int}', async (req) => {
      const ids = await db.fetchAll<{ id: number }>('SELECT id FROM items WHERE order_id = %s', req.params.id);
      const items = [];
      for (const { id } of ids) items.push(await db.fetchOne('SELECT * FROM items WHERE id = %s', id));
      return { id: req.params.id, items };
    });
    app.get('/ping', () => ({ pong: true }));

    await withServer(app, async ({ url }) => {
      assert.equal((await fetch(`${url}/orders/42`)).status, 200);
      await withBrowser(async (browser) => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(e.message));

        const response = await page.goto(`${url}/_covet?token=${TOKEN}`);
        assert.equal(response?.status(), 200);
        assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
        const cookies = await page.context().cookies();
        const cookie = cookies.find((c) => c.name === 'covet_console');
        assert.ok(cookie?.httpOnly);
        assert.equal(cookie?.sameSite, 'Strict');
        assert.ok(!(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.cookie)).includes('covet_console'), 'scripts cannot read it');

        // The request made before the page opened is in the table, flagged N+1.
        const row = page.locator('#requests-body tr', { hasText: '/orders/42' });
        await row.first().waitFor({ timeout: 15_000 });
        assert.match(await row.first().innerText(), /\/orders\/\{id:int\}[\s\S]*200[\s\S]*7[\s\S]*N\+1/);
        await row.first().click();
        await page.locator('#detail', { hasText: 'N+1 queries' }).waitFor({ timeout: 5_000 });
        assert.match(await page.locator('#detail').innerText(), /6×\s+select \* from items where id = \?/);
        assert.equal(await page.locator('#routes-body tr', { hasText: '/orders/{id:int}' }).count(), 1);

        // More traffic: the requests chart takes it in on the next polls.
        const chart = page.locator('#chart-rps');
        const before = Number(await chart.getAttribute('data-total'));
        const dBefore = await chart.locator('path').getAttribute('d');
        for (let i = 0; i < 25; i++) await fetch(`${url}/ping`);
        await page.waitForFunction(
          ([total, d]) => {
            const svg = (globalThis as unknown as BrowserGlobals).document.getElementById('chart-rps');
            return Number(svg?.getAttribute('data-total')) >= (total as number) + 25 && svg?.querySelector('path')?.getAttribute('d') !== d;
          },
          [before, dBefore] as const,
          { timeout: 15_000 },
        );
        await page.locator('#requests-body tr', { hasText: '/ping' }).first().waitFor();
        assert.equal(await page.locator('#live.on').count(), 1);

        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
        assert.deepEqual(problems, [], 'no script errors or CSP violations');
      });
    });
  });
});
