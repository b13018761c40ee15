import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CovetApp, html } from '../../src/index.js';
import { CORSMiddleware } from '../../src/security/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

// The built client (`npm run build`), exactly as a bundler or a browser would load it.
const DIST = new URL('../../dist/client/', import.meta.url).pathname;

function builtFiles(): string[] {
  assert.ok(existsSync(join(DIST, 'index.js')), 'dist/client/index.js is missing: run `npm run build` first');
  return readdirSync(DIST).filter((name) => name.endsWith('.js'));
}

describe('covet/client build', () => {
  it('imports no node: modules and nothing outside dist/client', () => {
    for (const name of builtFiles()) {
      const source = readFileSync(join(DIST, name), 'utf8');
      const specifiers = [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      for (const spec of specifiers) assert.match(spec, /^\.\/[\w-]+\.js$/, `${name} imports ${spec}`);
      assert.doesNotMatch(source, /node:/, `${name} mentions node:`);
    }
  });
});

const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title><p>client test</p>`;

describe('covet/client in a real browser', { skip: browserSkipReason() }, () => {
  it('calls a cross-origin app: params, query arrays, JSON body, headers, errors and text', async () => {
    builtFiles();
    const api = new CovetApp();
    const page = new CovetApp();
    page.get('/', () => html(PAGE));
    page.static('/client', DIST);
    await withServer(page, async ({ url: pageUrl }) => {
      api.addMiddleware(new CORSMiddleware({ allowOrigins: [pageUrl], allowHeaders: ['content-type', 'authorization', 'x-trace'] }));
      api.get('/users/{id:int}', (req) => ({ id: req.params.id, auth: req.headers.get('authorization') }));
      api.get('/files/{rest:path}', (req) => ({ rest: req.params.rest, tags: req.queryParams.getAll('tag') }));
      api.post('/users', { body: z.object({ name: z.string().min(1) }) }, async (req) => [{ created: (await req.json()).name }, 201]);
      api.get('/text', () => 'plain');
      await withServer(api, async ({ url: apiUrl }) =>
        withBrowser(async (browser) => {
          const tab = await browser.newPage();
          await tab.goto(`${pageUrl}/`);
          const results = await tab.evaluate(async (base) => {
            const { createClient, ClientError } = await import('/client/index.js' as string);
            const client = createClient(base, { headers: { authorization: 'Bearer t' } });
            const out: Record<string, unknown> = {};
            out.user = (await client.get('/users/{id:int}', { params: { id: 5 } })).data;
            out.file = (await client.get('/files/{rest:path}', { params: { rest: 'a b/c.txt' }, query: { tag: ['x', 'y'] } })).data;
            const created = await client.post('/users', { body: { name: 'Ada' } });
            out.created = [created.status, created.data];
            out.text = (await client.get('/text')).data;
            try {
              await client.post('/users', { body: { name: '' } });
            } catch (err) {
              out.invalid = [err instanceof ClientError, (err as { status: number }).status, Object.keys((err as { data: { errors: object } }).data.errors)];
            }
            try {
              await client.request('GET', '/missing');
            } catch (err) {
              out.missing = [err instanceof ClientError, (err as { status: number }).status];
            }
            return out;
          }, apiUrl);
          assert.deepEqual(results, {
            user: { id: 5, auth: 'Bearer t' },
            file: { rest: 'a b/c.txt', tags: ['x', 'y'] },
            created: [201, { created: 'Ada' }],
            text: 'plain',
            invalid: [true, 400, ['name']],
            missing: [true, 404],
          });
          await tab.close();
        }),
      );
    });
  });
});
