// `req.form()` on multipart bodies through the app, in-process with TestClient: the seed's
// "File Uploads" example, every bad input with its exact status and body, limits from the app
// and the route, and temp files gone once the response is out.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CovetApp, UploadFile } from '../../../src/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { buildBody, contentType, field, filePart } from '../../fixtures/multipart/helpers.js';

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'covet-mp-app-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The seed's "File Uploads" example, in TypeScript. */
function uploadApp(options: ConstructorParameters<typeof CovetApp>[0] = {}): CovetApp {
  const app = new CovetApp(options);
  app.route('/upload', { methods: ['POST'] }, async (req) => {
    const form = await req.form();
    const file = form.get('file') as UploadFile;
    const content = await file.read();
    return { filename: file.filename, size: content.length, content_type: file.contentType };
  });
  return app;
}

describe('multipart through the app', () => {
  it("runs the seed's File Uploads example with TestClient files", async () => {
    await using client = new TestClient(uploadApp());
    const res = await client.post('/upload', { files: { file: { filename: 'test.txt', content: 'Hello, World!', contentType: 'text/plain' } } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { filename: 'test.txt', size: 13, content_type: 'text/plain' });
  });

  it('reads fields and several files, with getAll, has and entries', async () => {
    const app = new CovetApp();
    app.post('/profile', async (req) => {
      const form = await req.form();
      const files = form.getAll('doc').map((f) => (f as UploadFile).filename);
      return {
        name: form.get('name'),
        tags: form.getAll('tag'),
        files,
        hasAvatar: form.has('avatar'),
        missing: form.get('missing'),
        keys: [...form.entries()].map(([k]) => k),
        json: form.toJSON(),
      };
    });
    await using client = new TestClient(app);
    const res = await client.post('/profile', {
      form: { name: 'Ada', tag: ['x', 'y'] },
      files: { doc: { filename: 'a.pdf', content: '%PDF', contentType: 'application/pdf' }, avatar: { filename: 'me.png', content: new Uint8Array([137, 80]) } },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), {
      name: 'Ada',
      tags: ['x', 'y'],
      files: ['a.pdf'],
      hasAvatar: true,
      missing: null,
      keys: ['name', 'tag', 'tag', 'doc', 'avatar'],
      json: {
        name: 'Ada',
        tag: 'x',
        doc: { filename: 'a.pdf', contentType: 'application/pdf', size: 4 },
        avatar: { filename: 'me.png', contentType: 'application/octet-stream', size: 2 },
      },
    });
  });

  it('still reads urlencoded forms through the same req.form()', async () => {
    const app = new CovetApp();
    app.post('/f', async (req) => (await req.form()).toObject());
    await using client = new TestClient(app);
    assert.deepEqual((await client.post('/f', { form: { a: '1' } })).json(), { a: '1' });
  });

  it('does not apply bodyLimit to multipart bodies (maxTotalSize does)', async () => {
    await using client = new TestClient(uploadApp({ bodyLimit: 1024, multipart: { maxTotalSize: 64 * 1024 } }));
    const ok = await client.post('/upload', { files: { file: { filename: 'big.bin', content: Buffer.alloc(32 * 1024, 1) } } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json<{ size: number }>().size, 32 * 1024);
    const big = await client.post('/upload', { files: { file: { filename: 'big.bin', content: Buffer.alloc(70 * 1024, 1) } } });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json(), { error: 'Payload Too Large: the multipart body exceeds maxTotalSize (65536 bytes)' });
  });

  it('takes limits from the route over the app', async () => {
    const app = new CovetApp({ multipart: { maxFiles: 5, maxFileSize: 100 } });
    app.post('/one', { multipart: { maxFiles: 1 } }, async (req) => ({ n: (await req.form()).size }));
    app.post('/any', async (req) => ({ n: (await req.form()).size }));
    await using client = new TestClient(app);
    const files = { a: { filename: 'a', content: 'x' }, b: { filename: 'b', content: 'y' } };
    const one = await client.post('/one', { files });
    assert.equal(one.status, 413);
    assert.deepEqual(one.json(), { error: 'Payload Too Large: more than maxFiles (1) files' });
    assert.deepEqual((await client.post('/any', { files })).json(), { n: 2 });
    // The app's maxFileSize still applies on /one.
    const big = await client.post('/one', { files: { a: { filename: 'a', content: 'x'.repeat(101) } } });
    assert.deepEqual(big.json(), { error: 'Payload Too Large: the file in field "a" exceeds maxFileSize (100 bytes)' });
  });

  it('removes temp files once the response has been sent', async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    const app = new CovetApp({ multipart: { memoryThreshold: 10, tmpDir } });
    let during = -1;
    app.post('/upload', async (req) => {
      const file = (await req.form()).get('file') as UploadFile;
      during = readdirSync(tmpDir).length;
      return { size: (await file.read()).length };
    });
    await using client = new TestClient(app);
    const res = await client.post('/upload', { files: { file: { filename: 'f.bin', content: Buffer.alloc(5000, 7) } } });
    assert.deepEqual(res.json(), { size: 5000 });
    assert.equal(during, 1);
    assert.deepEqual(readdirSync(tmpDir), []);
  });

  it('removes temp files after an error response too', async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    const app = new CovetApp({ multipart: { memoryThreshold: 10, tmpDir }, logger: { info() {}, error() {} } });
    app.post('/upload', async (req) => {
      await req.form();
      throw new Error('handler failed after parsing');
    });
    await using client = new TestClient(app);
    const res = await client.post('/upload', { files: { file: { filename: 'f.bin', content: Buffer.alloc(5000, 7) } } });
    assert.equal(res.status, 500);
    assert.deepEqual(readdirSync(tmpDir), []);
  });
});

describe('multipart bad input through the app', () => {
  const B = 'b0undary';
  const good = buildBody(B, [field('a', '1'), filePart('file', 'f.txt', 'data')]);
  const cases: readonly { name: string; type: string; body: Buffer | string; options?: object; status: number; error: string }[] = [
    {
      name: 'a missing boundary',
      type: 'multipart/form-data',
      body: good,
      status: 400,
      error: 'Missing boundary in the multipart/form-data Content-Type',
    },
    {
      name: 'an invalid boundary',
      type: 'multipart/form-data; boundary="bad\\"quote"',
      body: good,
      status: 400,
      error: "Invalid multipart boundary: 1 to 70 characters from RFC 2046 (letters, digits, '()+_,-./:=? and inner spaces)",
    },
    {
      name: 'a truncated body',
      type: contentType(B),
      body: good.subarray(0, good.length - 10),
      status: 400,
      error: 'Malformed multipart body: it ended before the closing boundary (truncated?)',
    },
    {
      name: 'an empty body',
      type: contentType(B),
      body: '',
      status: 400,
      error: 'Malformed multipart body: it ended before the closing boundary (truncated?)',
    },
    {
      name: 'the boundary inside content',
      type: contentType(B),
      body: `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}oops\r\n--${B}--\r\n`,
      status: 400,
      error: 'Malformed multipart body: a boundary must be followed by CRLF or "--"',
    },
    {
      name: 'a part without Content-Disposition',
      type: contentType(B),
      body: `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--\r\n`,
      status: 400,
      error: 'Malformed multipart body: every part needs a "Content-Disposition: form-data" header with a name',
    },
    {
      name: 'a file past maxFileSize',
      type: contentType(B),
      body: good,
      options: { maxFileSize: 3 },
      status: 413,
      error: 'Payload Too Large: the file in field "file" exceeds maxFileSize (3 bytes)',
    },
    {
      name: 'more files than maxFiles',
      type: contentType(B),
      body: good,
      options: { maxFiles: 0 },
      status: 413,
      error: 'Payload Too Large: more than maxFiles (0) files',
    },
    {
      name: 'more fields than maxFields',
      type: contentType(B),
      body: good,
      options: { maxFields: 0 },
      status: 413,
      error: 'Payload Too Large: more than maxFields (0) fields',
    },
    {
      name: 'a field past maxFieldSize',
      type: contentType(B),
      body: buildBody(B, [field('bio', 'x'.repeat(11))]),
      options: { maxFieldSize: 10 },
      status: 413,
      error: 'Payload Too Large: field "bio" exceeds maxFieldSize (10 bytes)',
    },
    {
      name: 'a body past maxTotalSize',
      type: contentType(B),
      body: good,
      options: { maxTotalSize: 50 },
      status: 413,
      error: 'Payload Too Large: the multipart body exceeds maxTotalSize (50 bytes)',
    },
  ];
  for (const c of cases) {
    it(`answers ${c.name} with ${c.status} and a JSON error`, async () => {
      const app = new CovetApp({ multipart: c.options ?? {} });
      app.post('/upload', async (req) => ({ n: (await req.form()).size }));
      await using client = new TestClient(app);
      const res = await client.post('/upload', { content: c.body, headers: { 'content-type': c.type } });
      assert.equal(res.status, c.status, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(res.json(), { error: c.error });
    });
  }
});
