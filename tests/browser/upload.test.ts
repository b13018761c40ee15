// File uploads from a real browser: headless Chromium loads a page with a
// <form enctype="multipart/form-data">, files are set on its <input type="file">s with
// playwright's setInputFiles, the form is submitted, and the app's JSON answer is checked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CovetApp, html, type UploadFile } from '../../src/index.js';
import { pseudoRandomBytes } from '../fixtures/multipart/helpers.js';
import { browserSkipReason, withBrowser } from '../helpers/browser.js';
import { withServer } from '../helpers/server.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>upload</title>
<form action="/upload" method="post" enctype="multipart/form-data">
  <input type="text" name="title">
  <input type="file" name="file">
  <input type="file" name="photos" multiple>
  <input type="file" name="nothing">
  <button type="submit">Upload</button>
</form>`;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function describeFile(value: unknown): unknown {
  const file = value as UploadFile;
  return { filename: file.filename, contentType: file.contentType, size: file.size };
}

describe('uploads from a real browser', { skip: browserSkipReason(), timeout: 60_000 }, () => {
  it('receives a form with text, files, several files in one input and an empty input', async () => {
    const tmpDir = mkdtempSync(join(tmpdir(), 'covet-mp-browser-'));
    try {
      const app = new CovetApp({ multipart: { memoryThreshold: 64 * 1024, tmpDir } });
      app.get('/', () => html(PAGE));
      app.post('/upload', async (req) => {
        const form = await req.form();
        const file = form.get('file') as UploadFile;
        const content = await file.read();
        return {
          contentType: req.headers.get('content-type'),
          title: form.get('title'),
          file: { filename: file.filename, size: content.length, content_type: file.contentType, sha256: sha256(content) },
          photos: form.getAll('photos').map(describeFile),
          nothing: describeFile(form.get('nothing')),
          spooled: readdirSync(tmpDir).length,
        };
      });
      const data = pseudoRandomBytes(300 * 1024, 5);
      await withServer(app, async ({ url }) =>
        withBrowser(async (browser) => {
          const page = await browser.newPage();
          await page.goto(`${url}/`);
          await page.fill('input[name=title]', 'Grüße from Chromium');
          await page.setInputFiles('input[name=file]', { name: 'résumé.bin', mimeType: 'application/octet-stream', buffer: data });
          await page.setInputFiles('input[name=photos]', [
            { name: 'a.png', mimeType: 'image/png', buffer: Buffer.from([137, 80, 78, 71]) },
            { name: 'quote"d.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
          ]);
          const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/upload')), page.click('button[type=submit]')]);
          assert.equal(response.status(), 200, await response.text());
          const body = (await response.json()) as Record<string, unknown>;
          assert.match(body.contentType as string, /^multipart\/form-data; boundary=----WebKitFormBoundary/);
          delete body.contentType;
          assert.deepEqual(body, {
            title: 'Grüße from Chromium',
            file: { filename: 'résumé.bin', size: data.length, content_type: 'application/octet-stream', sha256: sha256(data) },
            photos: [
              { filename: 'a.png', contentType: 'image/png', size: 4 },
              // Browsers send a quote in a file name as %22 (HTML's multipart encoding).
              { filename: 'quote%22d.txt', contentType: 'text/plain', size: 5 },
            ],
            // An input left empty arrives as a file with no name and no content.
            nothing: { filename: '', contentType: 'application/octet-stream', size: 0 },
            spooled: 1,
          });
          await page.close();
        }),
      );
      assert.deepEqual(readdirSync(tmpDir), [], 'the temp file was removed after the response');
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  });
});
