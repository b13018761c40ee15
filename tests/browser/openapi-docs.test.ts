import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CovetApp, json, UploadFile } from '../../src/index.js';
import { JWTAuth } from '../../src/security/index.js';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** A new page on the docs at `url`, once the page says it is ready; the page's script errors collect in `errors`. */
async function openDocs(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
  return { page, errors };
}

function docsApp(): CovetApp {
  const app = new CovetApp();
  const jwt = new JWTAuth({ secretKey: 'k'.repeat(32) });
  const User = z.object({ id: z.number().int(), name: z.string() });
  const users = app.routeGroup('/users', { tags: ['users'] });
  users.get('/{user_id:int}', { summary: 'Read one user', response: User }, (req) => ({ id: req.params.user_id, name: 'Ann', passwordHash: 'x' }));
  users.post('/', { summary: 'Create a user', body: z.object({ name: z.string() }), response: { 201: User } }, async (req) => [{ id: 7, ...(await req.json()) }, 201]);
  app.get('/me', { tags: ['auth'], summary: '<img src=x onerror="window.__xss=1">' }, jwt.requireToken(() => ({ ok: true })));
  app.docs('/docs', { title: 'Shop API', version: '3.1.4' });
  return app;
}

describe('app.docs() in a real browser', { skip: browserSkipReason() }, () => {
  it('serves a self-contained page that lists the operations by tag and runs "try it"', async () => {
    const app = docsApp();
    await withServer(app, async ({ url }) => {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        const external: string[] = [];
        const errors: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(url)) external.push(r.url());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        const res = await page.goto(`${url}/docs`);
        assert.equal(res?.status(), 200);
        assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'sha256-/);
        await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
        assert.equal(await page.locator('header h1').textContent(), 'Shop API');
        assert.deepEqual(await page.locator('section.tag h2').allTextContents(), ['users', 'auth']);
        const paths = await page.locator('details.op summary .path').allTextContents();
        assert.deepEqual(paths, ['/users/{user_id}', '/users', '/me']);
        // Text from the document is text, never markup.
        assert.equal(await page.locator('details.op summary .summary').nth(2).textContent(), '<img src=x onerror="window.__xss=1">');
        assert.equal(await page.evaluate('window.__xss'), undefined);

        const first = page.locator('details.op').first();
        await first.locator('summary').click();
        assert.match((await first.locator('pre.schema').first().textContent()) ?? '', /"name"/);
        await first.locator('input[name="user_id"]').fill('42');
        await first.locator('button[type="submit"]').click();
        // Waiting through locators: a string predicate would be eval'd in the page, which its CSP forbids.
        await page.locator('details.op pre.result').first().filter({ hasText: /^200/ }).waitFor();
        const result = (await first.locator('pre.result').textContent()) ?? '';
        assert.match(result, /"id":42/);
        assert.equal(result.includes('passwordHash'), false);

        const create = page.locator('details.op').nth(1);
        await create.locator('summary').click();
        await create.locator('textarea.body').fill('{"name":"Bo"}');
        await create.locator('button[type="submit"]').click();
        await page.locator('details.op pre.result').nth(1).filter({ hasText: /^201/ }).waitFor();

        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'openapi-docs.png'), fullPage: true });
        assert.deepEqual(external, [], 'no request leaves the app');
        assert.deepEqual(errors, []);
        await page.close();
      });
    });
  });

  it('marks deprecated operations', async () => {
    const app = new CovetApp();
    app.get('/old', { deprecated: true }, () => 1);
    app.get('/new', () => 1);
    app.docs('/docs');
    await withServer(app, async ({ url }) => {
      await withBrowser(async (browser) => {
        const { page, errors } = await openDocs(browser, `${url}/docs`);
        assert.deepEqual(await page.locator('details.op.deprecated summary .path').allTextContents(), ['/old']);
        assert.deepEqual(await page.locator('details.op summary .badge').allTextContents(), ['deprecated']);
        assert.deepEqual(errors, []);
      });
    });
  });

  it('offers a file input, not a JSON body, for a multipart route and uploads the chosen files', async () => {
    const app = new CovetApp();
    app.post('/upload', { multipart: { maxFiles: 2 } }, async (req) => {
      const form = await req.form();
      return form.getAll('doc').map((f) => (f instanceof UploadFile ? [f.filename, f.size] : f));
    });
    app.docs('/docs');
    await withServer(app, async ({ url }) => {
      await withBrowser(async (browser) => {
        const { page, errors } = await openDocs(browser, `${url}/docs`);
        const op = page.locator('details.op').first();
        await op.locator('summary').click();
        assert.equal(await op.locator('textarea.body').count(), 0);
        assert.equal(await op.locator('input.file-field').inputValue(), 'file');
        await op.locator('input.file-field').fill('doc');
        await op.locator('input.files').setInputFiles([
          { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
          { name: 'b.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3]) },
        ]);
        await op.locator('button[type="submit"]').click();
        await op.locator('pre.result').filter({ hasText: /^200/ }).waitFor();
        assert.match((await op.locator('pre.result').textContent()) ?? '', /\[\["a\.txt",5\],\["b\.bin",3\]\]/);
        assert.deepEqual(errors, []);
      });
    });
  });

  it('sends the CSRF token with "try it" when the app is behind CSRFProtection', async () => {
    const { CSRFProtection } = await import('../../src/security/index.js');
    const app = new CovetApp();
    app.addMiddleware(new CSRFProtection({ secretKey: 'csrf-secret-key' }));
    app.post('/notes', { summary: 'Add a note', body: z.object({ text: z.string() }) }, async (req) => [{ saved: (await req.json()).text }, 201]);
    app.docs('/docs');
    await withServer(app, async ({ url }) => {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/docs`);
        await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
        const op = page.locator('details.op').first();
        await op.locator('summary').click();
        await op.locator('textarea.body').fill('{"text":"hi"}');
        await op.locator('button[type="submit"]').click();
        await page.locator('details.op pre.result').first().filter({ hasText: /^\d{3}/ }).waitFor();
        const result = (await op.locator('pre.result').textContent()) ?? '';
        assert.match(result, /^201/);
        assert.match(result, /"saved":"hi"/);
        await page.close();
      });
    });
  });

  it('finds its document from a page under a prefix and shows an error when it cannot', async () => {
    const app = new CovetApp();
    app.get('/ping', () => 'pong');
    app.docs('/api/docs', { openapiPath: '/api/spec.json' });
    const broken = new CovetApp();
    broken.addMiddleware(async (req, callNext) => (req.path.endsWith('.json') ? json({ error: 'gone' }, 500) : callNext(req)));
    broken.docs('/docs');
    await withServer(app, async ({ url }) => {
      const spec = await fetch(`${url}/api/spec.json`);
      assert.equal(spec.status, 200);
      assert.deepEqual(Object.keys(((await spec.json()) as { paths: object }).paths), ['/ping']);
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/api/docs`);
        await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
        assert.deepEqual(await page.locator('details.op summary .path').allTextContents(), ['/ping']);
        await page.close();
      });
    });
    await withServer(broken, async ({ url }) => {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/docs`);
        await page.waitForSelector('#app[data-ready="error"]', { timeout: 10_000 });
        assert.match((await page.locator('#app').textContent()) ?? '', /Could not load the OpenAPI document: HTTP 500/);
        await page.close();
      });
    });
  });

  it('lists the API only: no static-file or developer-console routes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-docs-static-'));
    writeFileSync(join(dir, 'app.js'), 'window.loaded = true;');
    const app = new CovetApp();
    app.get('/ping', () => 'pong');
    app.static('/static', dir);
    app.console('/_covet', { token: 'c'.repeat(32) });
    app.docs('/docs');
    try {
      await withServer(app, async ({ url }) => {
        const spec = await fetch(`${url}/openapi.json`);
        assert.deepEqual(Object.keys(((await spec.json()) as { paths: object }).paths), ['/ping']);
        assert.equal((await fetch(`${url}/static/app.js`)).status, 200, 'the files are still served');
        await withBrowser(async (browser) => {
          const page = await browser.newPage();
          await page.goto(`${url}/docs`);
          await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
          assert.deepEqual(await page.locator('details.op summary .path').allTextContents(), ['/ping']);
          assert.deepEqual(await page.locator('section.tag h2').allTextContents(), ['default']);
          await page.close();
        });
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('runs "try it" against a sub-app mounted under a prefix (the document names the prefix in servers)', async () => {
    const sub = new CovetApp();
    sub.get('/items/{id:int}', (req) => ({ id: req.params.id }));
    sub.docs('/docs');
    const app = new CovetApp();
    app.mount('/api', sub);
    await withServer(app, async ({ url }) => {
      const spec = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: object; servers?: unknown };
      assert.deepEqual(Object.keys(spec.paths), ['/items/{id}']);
      assert.deepEqual(spec.servers, [{ url: '/api' }]);
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${url}/api/docs`);
        await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
        const op = page.locator('details.op').first();
        await op.locator('summary').click();
        await op.locator('input[name="id"]').fill('42');
        await op.locator('button[type="submit"]').click();
        await page.locator('details.op pre.result').first().filter({ hasText: /^200/ }).waitFor();
        assert.match((await op.locator('pre.result').textContent()) ?? '', /\{"id":42\}/);
        await page.close();
      });
    });
  });
});
