// Multipart uploads over real sockets (127.0.0.1, port 0): undici's fetch + FormData, limits
// answered before the upload ends, temp files removed after the response, clients that stall
// or vanish mid-upload (no temp file, no socket left behind), and the memory a 100 MiB upload
// costs a server process.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FormData, fetch } from 'undici';
import { CovetApp, json, Response, type UploadFile } from '../../src/index.js';
import { contentType, pseudoRandomBytes, randomBoundary, streamUpload } from '../fixtures/multipart/helpers.js';
import { memoryLogger, withServer } from '../helpers/server.js';
import { deferred, rawExchange, request, within } from './net-helpers.js';

const T = { timeout: 60_000 };
const MiB = 1024 * 1024;

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'covet-mp-int-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function connections(app: CovetApp): Promise<number> {
  const server = app.server;
  if (server === null) return Promise.resolve(0);
  return new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

/** Polls `check` until it holds or `ms` passes. */
async function eventually(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The seed's upload route, plus a hash of what was received. */
function uploadApp(options: ConstructorParameters<typeof CovetApp>[0] = {}): CovetApp {
  const app = new CovetApp(options);
  app.route('/upload', { methods: ['POST'] }, async (req) => {
    const form = await req.form();
    const file = form.get('file') as UploadFile;
    const hash = createHash('sha256');
    for await (const chunk of file.stream()) hash.update(chunk as Buffer);
    const content = await file.read();
    return { filename: file.filename, size: content.length, content_type: file.contentType, sha256: hash.digest('hex'), title: form.get('title') };
  });
  app.get('/ok', () => ({ ok: true }));
  return app;
}

describe('multipart over sockets: fetch and FormData', () => {
  it('accepts an upload from undici fetch with FormData', T, async () => {
    await withServer(uploadApp(), async ({ url }) => {
      const fd = new FormData();
      fd.append('title', 'Grüße');
      fd.append('file', new Blob(['Hello, World!'], { type: 'text/plain' }), 'test.txt');
      const res = await fetch(`${url}/upload`, { method: 'POST', body: fd });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        filename: 'test.txt',
        size: 13,
        content_type: 'text/plain',
        sha256: createHash('sha256').update('Hello, World!').digest('hex'),
        title: 'Grüße',
      });
    });
  });

  it("accepts a spooled 5 MiB upload from Node's global fetch, byte for byte", T, async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    const data = pseudoRandomBytes(5 * MiB, 11);
    await withServer(uploadApp({ multipart: { tmpDir } }), async ({ url }) => {
      const fd = new globalThis.FormData();
      fd.append('file', new Blob([data]), '../../x/data.bin');
      const res = await globalThis.fetch(`${url}/upload`, { method: 'POST', body: fd });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.filename, 'data.bin');
      assert.equal(body.size, data.length);
      assert.equal(body.sha256, createHash('sha256').update(data).digest('hex'));
      await eventually(() => readdirSync(tmpDir).length === 0, 5_000, 'the temp file to be removed');
    });
  });

  it('serves uploads back to back on one keep-alive connection', T, async () => {
    await withServer(uploadApp(), async ({ port }) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 3; i++) {
          const boundary = randomBoundary();
          const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="n${i}.txt"\r\n\r\nfile ${i}\r\n--${boundary}--\r\n`;
          const res = await request(port, { method: 'POST', path: '/upload', agent, headers: { 'content-type': contentType(boundary) }, body });
          assert.equal(res.status, 200);
          assert.equal(JSON.parse(res.text).filename, `n${i}.txt`);
          assert.equal(res.reusedSocket, i > 0);
        }
      } finally {
        agent.destroy();
      }
    });
  });
});

describe('multipart over sockets: limits and bad input', () => {
  it('answers a file past maxFileSize with 413 before the upload ends, closes, and keeps serving', T, async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    await withServer(uploadApp({ multipart: { maxFileSize: 1 * MiB, tmpDir } }), async ({ port }) => {
      const res = await streamUpload(port, '/upload', 64 * MiB);
      assert.equal(res.status, 413);
      assert.equal(res.headers.connection, 'close');
      assert.deepEqual(JSON.parse(res.text), { error: 'Payload Too Large: the file in field "file" exceeds maxFileSize (1048576 bytes)' });
      await eventually(() => readdirSync(tmpDir).length === 0, 5_000, 'the temp file to be removed');
      assert.equal((await request(port, { path: '/ok' })).status, 200);
    });
  });

  it('answers a Content-Length past maxTotalSize with 413 without reading the body', T, async () => {
    await withServer(uploadApp({ bodyLimit: 100, multipart: { maxTotalSize: 2 * MiB } }), async ({ port }) => {
      const res = await streamUpload(port, '/upload', 32 * MiB);
      assert.equal(res.status, 413);
      assert.equal(res.headers.connection, 'close');
      assert.deepEqual(JSON.parse(res.text), { error: 'Payload Too Large: the multipart body exceeds maxTotalSize (2097152 bytes)' });
      // bodyLimit (100 bytes) does not apply: a 1 MiB upload is fine.
      const ok = await streamUpload(port, '/upload', 1 * MiB);
      assert.equal(ok.status, 200, ok.text);
    });
  });

  it('answers a chunked body past maxTotalSize with 413', T, async () => {
    await withServer(uploadApp({ multipart: { maxTotalSize: 256 * 1024 } }), async ({ port }) => {
      const boundary = randomBoundary();
      const response = deferred<http.IncomingMessage>();
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false, headers: { 'content-type': contentType(boundary) } },
        (res) => response.resolve(res),
      );
      req.on('error', (err) => {
        if (!response.settled) response.reject(err);
      });
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`);
      const block = Buffer.alloc(16 * 1024, 120);
      let sent = 0;
      while (!response.settled && sent < 16 * MiB) {
        await new Promise<void>((resolve) => req.write(block, () => resolve()));
        sent += block.length;
      }
      const res = await within(response.promise, 10_000, 'the 413 response');
      assert.equal(res.statusCode, 413);
      assert.equal(res.headers.connection, 'close');
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { error: 'Payload Too Large: the multipart body exceeds maxTotalSize (262144 bytes)' });
      assert.ok(sent < 16 * MiB, `the server read ${sent} bytes before answering`);
      req.destroy();
    });
  });

  it('answers a truncated body with 400 and keeps the connection', T, async () => {
    await withServer(uploadApp(), async ({ port }) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const boundary = randomBoundary();
        const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\n\r\ncut here`;
        const bad = await request(port, { method: 'POST', path: '/upload', agent, headers: { 'content-type': contentType(boundary) }, body });
        assert.equal(bad.status, 400);
        assert.deepEqual(JSON.parse(bad.text), { error: 'Malformed multipart body: it ended before the closing boundary (truncated?)' });
        // The whole body was read, so the connection is still good.
        const ok = await request(port, { path: '/ok', agent });
        assert.equal(ok.status, 200);
        assert.equal(ok.reusedSocket, true);
      } finally {
        agent.destroy();
      }
    });
  });

  it('answers a missing boundary with 400', T, async () => {
    await withServer(uploadApp(), async ({ url }) => {
      const res = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { error: 'Missing boundary in the multipart/form-data Content-Type' });
    });
  });

  it('answers the boundary inside content (not followed by CRLF or "--") with 400', T, async () => {
    await withServer(uploadApp(), async ({ port }) => {
      const boundary = randomBoundary();
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--${boundary}oops\r\n--${boundary}--\r\n`;
      const res = await request(port, { method: 'POST', path: '/upload', headers: { 'content-type': contentType(boundary) }, body });
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.text), { error: 'Malformed multipart body: a boundary must be followed by CRLF or "--"' });
      assert.equal((await request(port, { path: '/ok' })).status, 200);
    });
  });

  it('keeps header injection in file names out of the response: names echoed into headers add none', T, async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.post('/names', async (req) => {
      const form = await req.form();
      const names = [...form.entries()].map(([field, value]) => [field, typeof value === 'string' ? value : value.filename]);
      const res = json({ names });
      // What an app might do with a file name: put it in headers.
      for (const [field, filename] of names) res.headers.set(`x-name-${field}`, filename as string);
      return res;
    });
    app.post('/download', async (req) => {
      const upload = (await req.form()).get('file') as UploadFile;
      return new Response(await upload.read(), { headers: { 'content-disposition': `attachment; filename="${upload.filename}"` } });
    });
    await withServer(app, async ({ port }) => {
      const boundary = randomBoundary();
      const body = [
        // A raw CRLF ends the header line; what follows is one more (ignored) header of the part.
        `--${boundary}\r\nContent-Disposition: form-data; name="a"; filename="evil.txt\r\nX-Injected: 1"\r\n\r\nx\r\n`,
        // Percent-encoded CRLF, as browsers send it, stays text.
        `--${boundary}\r\nContent-Disposition: form-data; name="b"; filename="b%0D%0AX-Injected: 1.txt"\r\n\r\nx\r\n`,
        // Decoded from filename*, CR, LF and NUL are removed.
        `--${boundary}\r\nContent-Disposition: form-data; name="c"; filename*=UTF-8''c%0D%0AX-Injected%3A%201%00.txt\r\n\r\nx\r\n`,
        `--${boundary}--\r\n`,
      ].join('');
      const res = await request(port, { method: 'POST', path: '/names', headers: { 'content-type': contentType(boundary) }, body });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text), {
        names: [
          ['a', 'evil.txt'],
          ['b', 'b%0D%0AX-Injected: 1.txt'],
          ['c', 'cX-Injected: 1.txt'],
        ],
      });
      assert.equal(res.headers['x-injected'], undefined);
      assert.equal(res.headers['x-name-a'], 'evil.txt');
      assert.equal(res.headers['x-name-c'], 'cX-Injected: 1.txt');

      const form = new FormData();
      form.append('file', new Blob(['data']), 'report\r\nX-Injected: 1.txt');
      const download = await fetch(`http://127.0.0.1:${port}/download`, { method: 'POST', body: form });
      assert.equal(download.status, 200);
      assert.equal(await download.text(), 'data');
      assert.equal(download.headers.get('x-injected'), null);
      assert.equal(download.headers.get('content-disposition'), 'attachment; filename="report%0D%0AX-Injected: 1.txt"');
    });
  });
});

describe('multipart over sockets: stalled and vanished clients', () => {
  /** Sends headers and `sent` bytes of a 4 MiB upload, then returns the socket, still open. */
  function partialUpload(port: number, sent: number): { socket: net.Socket; done: Promise<void> } {
    const boundary = randomBoundary();
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`;
    const total = head.length + 4 * MiB + boundary.length + 8;
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const done = once(socket, 'connect').then(() => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType(boundary)}\r\nContent-Length: ${total}\r\n\r\n${head}`,
      );
      socket.write(Buffer.alloc(sent, 97));
    });
    return { socket, done };
  }

  it('ends an upload that stalls mid-body at requestTimeout, leaving no temp file and no socket', T, async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    const app = uploadApp({ server: { headersTimeout: 500, requestTimeout: 2000 }, multipart: { tmpDir, memoryThreshold: 64 * 1024 }, logger: memoryLogger() });
    await withServer(app, async ({ port }) => {
      let spooled = false;
      const res = await rawExchange(
        port,
        (socket) => {
          const boundary = randomBoundary();
          const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`;
          socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType(boundary)}\r\nContent-Length: ${4 * MiB}\r\n\r\n${head}`);
          socket.write(Buffer.alloc(512 * 1024, 97));
          // Then nothing: the client stalls with most of the body unsent.
          void eventually(() => readdirSync(tmpDir).length === 1, 1900, 'the spooled file').then(
            () => {
              spooled = true;
            },
            () => {},
          );
        },
        10_000,
      );
      assert.ok(spooled, 'the upload had reached a temp file before the timeout');
      assert.equal(res.status, 408, res.text.slice(0, 200));
      assert.deepEqual(JSON.parse(res.body), { error: 'Request Timeout' });
      await eventually(() => readdirSync(tmpDir).length === 0, 5_000, 'the temp file to be removed');
      await eventually(async () => (await connections(app)) === 0, 5_000, 'the connection to close');
    });
  });

  it('cleans up when the client vanishes mid-upload', T, async () => {
    const tmpDir = mkdtempSync(join(root, 'tmp-'));
    const logger = memoryLogger();
    const app = uploadApp({ multipart: { tmpDir, memoryThreshold: 64 * 1024 }, logger });
    await withServer(app, async ({ port }) => {
      const { socket, done } = partialUpload(port, 1 * MiB);
      await done;
      await eventually(() => readdirSync(tmpDir).length === 1, 5_000, 'the spooled file');
      socket.destroy();
      await eventually(() => readdirSync(tmpDir).length === 0, 5_000, 'the temp file to be removed');
      await eventually(async () => (await connections(app)) === 0, 5_000, 'the connection to close');
      assert.equal((await request(port, { path: '/ok' })).status, 200);
    });
  });
});

describe('multipart over sockets: memory', () => {
  let child: ChildProcess | null = null;
  after(() => {
    child?.kill('SIGKILL');
  });

  /** Resident set size and its peak, in bytes, from /proc (Linux). */
  function memory(pid: number): { rss: number; hwm: number } {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  }

  it(
    'uploads 100 MiB with a peak RSS well under 64 MiB above idle',
    { ...T, skip: process.platform !== 'linux' ? 'needs /proc' : false },
    async () => {
      const tmpDir = mkdtempSync(join(root, 'tmp-'));
      const fixture = fileURLToPath(new URL('../fixtures/multipart/server.ts', import.meta.url));
      const proc = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, UPLOAD_TMP: tmpDir }, stdio: ['ignore', 'pipe', 'inherit'] });
      child = proc;
      const [line] = (await within(once(proc.stdout as NodeJS.ReadableStream, 'data'), 30_000, 'the server to start')) as [Buffer];
      const { port, pid } = JSON.parse(line.toString()) as { port: number; pid: number };
      // Warm up the code paths (and spool once), then take the idle footprint.
      for (let i = 0; i < 3; i++) assert.equal((await streamUpload(port, '/upload', 4 * MiB)).status, 200);
      (globalThis.gc as (() => void) | undefined)?.();
      await new Promise((r) => setTimeout(r, 200));
      let idle = memory(pid).rss;
      // Linux resets VmHWM to the current RSS on "5" (clear_refs); else sample while uploading.
      let sampled = 0;
      let sampler: NodeJS.Timeout | undefined;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        idle = memory(pid).rss;
      } catch {
        sampler = setInterval(() => {
          sampled = Math.max(sampled, memory(pid).rss);
        }, 10);
      }
      const res = await streamUpload(port, '/upload', 100 * MiB);
      clearInterval(sampler);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text), { filename: 'big.bin', size: 100 * MiB, streamed: 100 * MiB });
      const peak = sampler === undefined ? memory(pid).hwm : sampled;
      const above = peak - idle;
      assert.ok(above < 64 * MiB, `peak RSS ${(above / MiB).toFixed(1)} MiB above idle (${(idle / MiB).toFixed(1)} MiB)`);
      proc.kill('SIGTERM');
      await once(proc, 'exit');
      child = null;
      assert.deepEqual(readdirSync(tmpDir), []);
    },
  );
});
