// UploadFile and the spooling of large uploads to temp files: where they go, their names and
// modes, and that they are gone after the response — or at once when parsing fails.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HTTPException } from '../../../src/errors.js';
import { parseMultipart } from '../../../src/http/multipart.js';
import { sanitizeFilename, UploadFile } from '../../../src/http/upload-file.js';
import type { Request } from '../../../src/request.js';
import { buildBody, contentType, fakeRequest, field, filePart, pseudoRandomBytes, splitAt } from '../../fixtures/multipart/helpers.js';

const B = 'covet-test-boundary';
const TYPE = contentType(B);

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'covet-mp-unit-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh, empty tmpDir per test. */
function freshDir(): string {
  n++;
  return mkdtempSync(join(root, 'tmp-'));
}

async function parse(chunks: readonly Buffer[] | Request, options: Parameters<typeof parseMultipart>[2]) {
  const cleanups: (() => unknown)[] = [];
  const req = Array.isArray(chunks) ? fakeRequest(chunks) : (chunks as Request);
  const form = await parseMultipart(req, TYPE, options, (fn) => cleanups.push(fn));
  return {
    form,
    cleanup: async () => {
      for (const fn of cleanups.splice(0)) await fn();
    },
  };
}

function file(value: unknown): UploadFile {
  assert.ok(value instanceof UploadFile, `expected an UploadFile, got ${String(value)}`);
  return value;
}

describe('multipart temp files', () => {
  const big = pseudoRandomBytes(200_000, 42);

  it('keeps a file up to memoryThreshold in memory', async () => {
    const tmpDir = freshDir();
    const { form, cleanup } = await parse([buildBody(B, [filePart('f', 'a.bin', big)])], { memoryThreshold: big.length, tmpDir });
    assert.deepEqual(readdirSync(tmpDir), []);
    assert.deepEqual(await file(form.get('f')).read(), big);
    await cleanup();
  });

  it('spools a larger file to a 0600 temp file with a random name, removed by the cleanup', async () => {
    const tmpDir = freshDir();
    const body = buildBody(B, [filePart('f', '../../../etc/passwd', big), field('after', 'x')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 16_384) chunks.push(body.subarray(i, i + 16_384));
    const { form, cleanup } = await parse(chunks, { memoryThreshold: 1000, tmpDir });
    const names = readdirSync(tmpDir);
    assert.equal(names.length, 1);
    assert.match(names[0] as string, /^covet-upload-[0-9a-f]{32}$/);
    const path = join(tmpDir, names[0] as string);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(path), big);

    const upload = file(form.get('f'));
    assert.equal(upload.filename, 'passwd');
    assert.equal(upload.size, big.length);
    assert.deepEqual(await upload.read(), big);
    const streamed: Buffer[] = [];
    for await (const chunk of upload.stream()) streamed.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(streamed), big);
    const saved = join(root, `saved-${n}.bin`);
    await upload.saveTo(saved);
    assert.deepEqual(readFileSync(saved), big);
    assert.deepEqual(JSON.parse(JSON.stringify(upload)), { filename: 'passwd', contentType: 'application/octet-stream', size: big.length });
    assert.equal(form.get('after'), 'x');

    await cleanup();
    assert.deepEqual(readdirSync(tmpDir), []);
    // The copy is the caller's and stays.
    assert.deepEqual(readFileSync(saved), big);
    await assert.rejects(upload.read(), /stored in a temp file that is removed after the response; read it in the handler/);
  });

  it('spools several files to distinct temp files; memoryThreshold 0 spools all but empty ones', async () => {
    const tmpDir = freshDir();
    const body = buildBody(B, [filePart('a', 'same.txt', 'one'), filePart('b', 'same.txt', 'two'), filePart('c', 'empty.txt', '')]);
    const { form, cleanup } = await parse(splitAt(body, 70, 140), { memoryThreshold: 0, tmpDir });
    assert.equal(readdirSync(tmpDir).length, 2);
    assert.equal((await file(form.get('a')).read()).toString(), 'one');
    assert.equal((await file(form.get('b')).read()).toString(), 'two');
    assert.equal(file(form.get('c')).size, 0);
    await cleanup();
    assert.deepEqual(readdirSync(tmpDir), []);
  });

  const failures: readonly [string, Buffer, Record<string, number>][] = [
    ['a later file is too large', buildBody(B, [filePart('a', 'a', big), filePart('b', 'b', big)]), { maxFileSize: big.length - 1 }],
    ['the body is truncated', buildBody(B, [filePart('a', 'a', big), filePart('b', 'b', big)]).subarray(0, big.length + 500), {}],
    ['too many files', buildBody(B, [filePart('a', 'a', big), filePart('b', 'b', 'x')]), { maxFiles: 1 }],
    ['the body is malformed', Buffer.concat([buildBody(B, [filePart('a', 'a', big)]).subarray(0, -4), Buffer.from('XX\r\n')]), {}],
  ];
  for (const [what, body, limits] of failures) {
    it(`removes temp files at once when ${what}`, async () => {
      const tmpDir = freshDir();
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += 8192) chunks.push(body.subarray(i, i + 8192));
      let cleanups = 0;
      await assert.rejects(
        parseMultipart(fakeRequest(chunks), TYPE, { memoryThreshold: 1000, tmpDir, ...limits }, () => cleanups++),
        (err: unknown) => err instanceof HTTPException && (err.status === 400 || err.status === 413),
      );
      assert.deepEqual(readdirSync(tmpDir), []);
      assert.equal(cleanups, 1);
    });
  }

  it('removes temp files when reading the body fails midway (client gone)', async () => {
    const tmpDir = freshDir();
    const body = buildBody(B, [filePart('a', 'a', big)]);
    const req = {
      bodyLimit: Number.POSITIVE_INFINITY,
      async *stream(): AsyncGenerator<Buffer, void, undefined> {
        yield body.subarray(0, 100_000);
        throw new HTTPException(400, 'Request body could not be read', { code: 'ERR_BODY_READ' });
      },
    } as unknown as Request;
    await assert.rejects(parse(req, { memoryThreshold: 1000, tmpDir }), { status: 400, message: 'Request body could not be read' });
    assert.deepEqual(readdirSync(tmpDir), []);
  });

  it('refuses new temp files once the response is done, and removes them', async () => {
    const tmpDir = freshDir();
    const body = buildBody(B, [filePart('a', 'a', big), filePart('b', 'b', big)]);
    const cleanups: (() => unknown)[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const req = {
      bodyLimit: Number.POSITIVE_INFINITY,
      async *stream(): AsyncGenerator<Buffer, void, undefined> {
        yield body.subarray(0, 150_000);
        await gate;
        yield body.subarray(150_000);
      },
    } as unknown as Request;
    const parsing = parseMultipart(req, TYPE, { memoryThreshold: 1000, tmpDir }, (fn) => cleanups.push(fn));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(readdirSync(tmpDir).length, 1);
    // The handler answered without awaiting the form: the response's cleanup runs now.
    for (const fn of cleanups) await fn();
    assert.deepEqual(readdirSync(tmpDir), []);
    release();
    await assert.rejects(parsing, /The request has finished; no more temp files/);
    assert.deepEqual(readdirSync(tmpDir), []);
  });
});

describe('UploadFile', () => {
  it('wraps in-memory content from a string, bytes or chunks', async () => {
    const a = new UploadFile({ filename: 'a.txt', contentType: 'text/plain', content: 'héllo' });
    assert.equal(a.size, 6);
    assert.equal((await a.read()).toString(), 'héllo');
    const b = new UploadFile({ filename: 'b', content: new Uint8Array([1, 2, 3]) });
    assert.equal(b.contentType, 'application/octet-stream');
    assert.deepEqual(await b.read(), Buffer.from([1, 2, 3]));
    const c = new UploadFile({ filename: 'c', content: [Buffer.from('ab'), new Uint8Array([99])] });
    assert.equal(c.size, 3);
    assert.equal((await c.read()).toString(), 'abc');
    assert.equal(await c.read(), await c.read(), 'joined once, then the same buffer');
    const parts: Buffer[] = [];
    for await (const chunk of c.stream()) parts.push(chunk as Buffer);
    assert.equal(Buffer.concat(parts).toString(), 'abc');
  });

  it('saves in-memory content to a path', async () => {
    const path = join(root, 'mem-save.txt');
    await new UploadFile({ filename: 'x', content: ['a', 'b'].map((s) => Buffer.from(s)) }).saveTo(path);
    assert.equal(readFileSync(path, 'utf8'), 'ab');
  });
});

describe('sanitizeFilename', () => {
  const cases: readonly [string, string][] = [
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['/etc/passwd', 'passwd'],
    ['C:\\Users\\me\\cv.pdf', 'cv.pdf'],
    ['dir/', ''],
    ['..', ''],
    ['.', ''],
    ['a\r\nb.txt', 'ab.txt'],
    ['nul\u0000.txt', 'nul.txt'],
    ['del\u007f\u0085.txt', 'del.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['  spaced.txt  ', 'spaced.txt'],
    ['résumé 履歴書 👋.pdf', 'résumé 履歴書 👋.pdf'],
    ['family 👨‍👩‍👧.png', 'family 👨‍👩‍👧.png'],
    ['.hidden', '.hidden'],
    ['..\u0000', ''],
  ];
  for (const [raw, clean] of cases) {
    it(`turns ${JSON.stringify(raw)} into ${JSON.stringify(clean)}`, () => {
      assert.equal(sanitizeFilename(raw), clean);
    });
  }
});
