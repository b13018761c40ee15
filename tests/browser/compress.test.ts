// Compression in headless Chromium: the browser negotiates with its own Accept-Encoding,
// decodes brotli, gzip and deflate (whole and streamed bodies), and renders a compressed page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionMiddleware, CovetApp, type Encoding, html, stream } from '../../src/index.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const T = { timeout: 60_000 };
const TEXT = 'Decoded by Chromium. '.repeat(400);
const LINES = Array.from({ length: 300 }, (_, i) => `line ${i} ${'z'.repeat(40)}`).join('\n');

function app(encodings?: readonly Encoding[]): CovetApp {
  const a = new CovetApp();
  a.addMiddleware(new CompressionMiddleware(encodings === undefined ? {} : { encodings }));
  a.get('/', () => html(`<!doctype html><meta charset="utf-8"><p id="p">${'Rendered after decoding. '.repeat(200)}</p>`));
  a.get('/text', () => TEXT);
  a.get(
    '/stream',
    () =>
      stream(
        (async function* () {
          for (const line of LINES.split('\n')) yield `${line}\n`;
        })(),
        'text/plain; charset=utf-8',
      ),
  );
  return a;
}

interface Fetched {
  readonly text: string;
  readonly encoding: string | null;
  readonly encodedSize: number;
  readonly decodedSize: number;
}

// Runs in the page: fetch, read the decoded text, and ask Resource Timing what crossed the wire.
const FETCH = `async (path) => {
  const res = await fetch(path, { cache: 'no-store' });
  const text = await res.text();
  const entry = performance.getEntriesByName(new URL(path, location.href).href).at(-1);
  return { text, encoding: res.headers.get('content-encoding'), encodedSize: entry.encodedBodySize, decodedSize: entry.decodedBodySize };
}`;

describe('compression in a real browser', { skip: browserSkipReason() }, () => {
  it("picks brotli from Chromium's Accept-Encoding and renders the decoded page", T, async () => {
    const seen: (string | null)[] = [];
    const a = app();
    a.addMiddleware(async (req, callNext) => {
      seen.push(req.headers.get('accept-encoding'));
      return callNext(req);
    });
    await withServer(a, async ({ url }) =>
      withBrowser(async (browser) => {
        const page = await browser.newPage();
        const nav = await page.goto(`${url}/`);
        assert.equal(nav?.status(), 200);
        assert.equal((await nav?.allHeaders())?.['content-encoding'], 'br');
        assert.match((await page.textContent('#p')) ?? '', /^Rendered after decoding\. /);
        assert.match(seen[0] ?? '', /\bbr\b/);
        const res = (await page.evaluate(`(${FETCH})('/text')`)) as Fetched;
        assert.equal(res.encoding, 'br');
        assert.equal(res.text, TEXT);
        assert.ok(res.encodedSize < res.decodedSize / 10, `${res.encodedSize} of ${res.decodedSize} bytes on the wire`);
      }),
    );
  });

  for (const encoding of ['br', 'gzip', 'deflate'] as const) {
    it(`fetch() in the page decodes ${encoding}, whole and streamed`, T, async () => {
      await withServer(app([encoding]), async ({ url }) =>
        withBrowser(async (browser) => {
          const page = await browser.newPage();
          await page.goto(`${url}/`);
          const whole = (await page.evaluate(`(${FETCH})('/text')`)) as Fetched;
          assert.equal(whole.encoding, encoding);
          assert.equal(whole.text, TEXT);
          assert.equal(whole.decodedSize, TEXT.length);
          assert.ok(whole.encodedSize < whole.decodedSize / 10, `${whole.encodedSize} bytes on the wire`);
          const streamed = (await page.evaluate(`(${FETCH})('/stream')`)) as Fetched;
          assert.equal(streamed.encoding, encoding);
          assert.equal(streamed.text, `${LINES}\n`);
          assert.ok(streamed.encodedSize < streamed.decodedSize / 5, `${streamed.encodedSize} bytes on the wire`);
        }),
      );
    });
  }

  for (const encoding of ['br', 'gzip', 'deflate'] as const) {
    it(`delivers each chunk of a slow stream as it is produced, ${encoding}-encoded (not held until the end)`, T, async () => {
      let release!: () => void;
      const finish = new Promise<void>((resolve) => {
        release = resolve;
      });
      const a = new CovetApp();
      a.addMiddleware(new CompressionMiddleware({ encodings: [encoding] }));
      a.get('/', () => html('<!doctype html><title>progress</title>'));
      a.get('/progress', () =>
        stream(
          (async function* () {
            yield 'step 1 done\n';
            yield 'step 2 done\n';
            await finish; // the rest comes only once the page has shown the first steps
            yield 'all done\n';
          })(),
          'text/plain; charset=utf-8',
        ),
      );
      await withServer(a, async ({ url }) =>
        withBrowser(async (browser) => {
          const page = await browser.newPage();
          await page.goto(`${url}/`);
          await page.evaluate(`void (async () => {
            window.progress = { encoding: null, text: '', done: false };
            const res = await fetch('/progress', { cache: 'no-store' });
            window.progress.encoding = res.headers.get('content-encoding');
            const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              window.progress.text += value;
            }
            window.progress.done = true;
          })()`);
          await page.waitForFunction("window.progress.text === 'step 1 done\\nstep 2 done\\n'", undefined, { timeout: 5_000 });
          assert.equal(await page.evaluate('window.progress.encoding'), encoding);
          release();
          await page.waitForFunction('window.progress.done', undefined, { timeout: 5_000 });
          assert.equal(await page.evaluate('window.progress.text'), 'step 1 done\nstep 2 done\nall done\n');
        }),
      );
    });
  }
});
