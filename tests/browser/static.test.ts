// Static files in headless Chromium: revalidation with ETag/Last-Modified (304), the browser's
// cache honouring max-age, byte ranges for <audio> seeking, and nosniff refusing a text/plain script.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../src/index.js';
import { SecurityHeaders } from '../../src/security/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const T = { timeout: 60_000 };

/** Two seconds of a 440 Hz tone: 8 kHz, 16-bit mono PCM. */
function wav(): Buffer {
  const rate = 8000;
  const samples = Buffer.alloc(rate * 2 * 2);
  for (let i = 0; i < rate * 2; i++) samples.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]);
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>static</title>
<link rel="stylesheet" href="/static/site.css">
<script src="/static/app.js"></script>
<script src="/static/notes.txt"></script>
<audio id="tone" src="/static/tone.wav" preload="auto"></audio>`;

interface Seen {
  path: string;
  range: string | null;
  conditional: boolean;
  status: number;
}

function staticApp(dir: string, maxAge: number, seen: Seen[]): CovetApp {
  const app = new CovetApp();
  app.addMiddleware(new SecurityHeaders());
  app.addMiddleware(async (req, callNext) => {
    const res = await callNext(req);
    const conditional = req.headers.get('if-none-match') !== null || req.headers.get('if-modified-since') !== null;
    seen.push({ path: req.path, range: req.headers.get('range'), conditional, status: res.status });
    return res;
  });
  app.get('/', () => html(PAGE));
  app.static('/static', dir, { maxAge });
  return app;
}

function withFiles<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'covet-static-browser-'));
  writeFileSync(join(dir, 'app.js'), 'window.appRan = true;');
  writeFileSync(join(dir, 'notes.txt'), 'window.textRan = true;');
  writeFileSync(join(dir, 'site.css'), 'body { color: rgb(1, 2, 3); }');
  writeFileSync(join(dir, 'tone.wav'), wav());
  return fn(dir).finally(() => rmSync(dir, { recursive: true }));
}

describe('static files in a real browser', { skip: browserSkipReason() }, () => {
  it('serves typed files, refuses a text/plain script under nosniff and seeks audio with ranges', T, () =>
    withFiles(async (dir) => {
      const seen: Seen[] = [];
      await withServer(staticApp(dir, 0, seen), async ({ url }) =>
        withBrowser(async (browser) => {
          const page = await browser.newPage();
          const refused: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error' && m.text().includes('strict MIME type checking')) refused.push(m.text());
          });
          const types = new Map<string, string | undefined>();
          page.on('response', (r) => types.set(new URL(r.url()).pathname, r.headers()['content-type']));
          await page.goto(`${url}/`);
          assert.equal(await page.evaluate('window.appRan'), true);
          assert.equal(await page.evaluate('window.textRan'), undefined, 'nosniff: text/plain is not a script');
          assert.equal(refused.length, 1);
          assert.equal(await page.evaluate('getComputedStyle(document.body).color'), 'rgb(1, 2, 3)');
          assert.equal(types.get('/static/app.js'), 'text/javascript; charset=utf-8');
          assert.equal(types.get('/static/site.css'), 'text/css; charset=utf-8');
          assert.equal(types.get('/static/notes.txt'), 'text/plain; charset=utf-8');

          const audio = await page.evaluate(`(async () => {
            const a = document.getElementById('tone');
            if (a.readyState < 1) await new Promise((resolve, reject) => { a.onloadedmetadata = resolve; a.onerror = () => reject(new Error('audio error ' + a.error.code)); });
            a.currentTime = 1.5;
            await new Promise((resolve) => { a.onseeked = resolve; });
            return { duration: a.duration, time: a.currentTime, seekable: a.seekable.length };
          })()`);
          assert.deepEqual(audio, { duration: 2, time: 1.5, seekable: 1 });
          const wavRequests = seen.filter((s) => s.path === '/static/tone.wav');
          assert.ok(wavRequests.length > 0);
          for (const s of wavRequests) {
            assert.match(s.range ?? '', /^bytes=\d+-\d*$/);
            assert.equal(s.status, 206);
          }
          await page.close();
        }),
      );
    }),
  );

  it('revalidates with max-age=0 (304) and serves from the cache within max-age', T, () =>
    withFiles(async (dir) => {
      for (const maxAge of [0, 3600]) {
        const seen: Seen[] = [];
        await withServer(staticApp(dir, maxAge, seen), async ({ url }) =>
          withBrowser(async (browser) => {
            const page = await browser.newPage();
            await page.goto(`${url}/`);
            await page.waitForFunction('window.appRan === true');
            const first = seen.find((s) => s.path === '/static/app.js');
            assert.deepEqual(first, { path: '/static/app.js', range: null, conditional: false, status: 200 });
            seen.length = 0;
            // A navigation (not a reload, which revalidates everything) follows the cache rules.
            await page.goto(`${url}/?again`);
            await page.waitForFunction('window.appRan === true');
            const again = seen.filter((s) => s.path === '/static/app.js' || s.path === '/static/site.css');
            if (maxAge === 0) {
              assert.deepEqual(
                again.map((s) => [s.path, s.conditional, s.status]).sort(),
                [
                  ['/static/app.js', true, 304],
                  ['/static/site.css', true, 304],
                ],
              );
            } else {
              assert.deepEqual(again, [], 'max-age=3600: the browser does not ask again');
            }
            await page.close();
          }),
        );
      }
    }),
  );
});
