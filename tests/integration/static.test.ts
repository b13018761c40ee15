// Static files over real sockets (127.0.0.1, port 0): traversal attempts sent as raw bytes
// (fetch would normalise `..` away before sending), conditional and range requests as a
// browser sends them, a 50 MiB download read slowly (the server must read the file only as
// fast as the client takes it), and file descriptors that never outlive their request.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs, { closeSync, existsSync, openSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CovetApp, Response } from '../../src/index.js';
import { MTIME, makeSite, SECRET, type Site } from '../fixtures/static/site.js';
import { withServer } from '../helpers/server.js';
import { rawExchange, request, waitUntilStable, within } from './net-helpers.js';

const T = { timeout: 60_000 };
const HUGE_BYTES = 50 * 1024 * 1024;

let site: Site;
let hugeSha256 = '';
before(() => {
  site = makeSite();
  // 50 MiB from a repeated 1 MiB block: cheap to write, and still checked byte for byte by hash.
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 10)) & 0xff;
  const hash = createHash('sha256');
  const fd = openSync(join(site.root, 'huge.bin'), 'w');
  for (let written = 0; written < HUGE_BYTES; written += block.length) {
    writeSync(fd, block);
    hash.update(block);
  }
  closeSync(fd);
  hugeSha256 = hash.digest('hex');
});
after(() => site.remove());

function staticApp(): CovetApp {
  return new CovetApp().static('/static', site.root);
}

/** Sends one raw request (exactly these bytes) and reads until the server closes. */
function rawGet(port: number, target: string, extra = ''): ReturnType<typeof rawExchange> {
  return rawExchange(port, (socket) => {
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
  });
}

/** File descriptors of this process that point into the site folder. */
function siteFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(site.base)) out.push(target);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

describe('static over a socket: traversal', () => {
  it('answers raw traversal targets with 404 and never sends the secret', T, async () => {
    const targets = [
      '/static/../secret.txt',
      '/static/../../../../../../etc/passwd',
      '/static/docs/../../secret.txt',
      '/static/%2e%2e/secret.txt',
      '/static/%2E%2E/%2E%2E/secret.txt',
      '/static/..%2fsecret.txt',
      '/static/..%2Fsecret.txt',
      '/static/%2e%2e%2fsecret.txt',
      '/static/%2e%2e%5csecret.txt',
      '/static/..%5csecret.txt',
      '/static/..\\secret.txt',
      '/static//etc/passwd',
      '/static//../secret.txt',
      '/static/%2fetc%2fpasswd',
      `/static/${site.secretPath}`,
      `/static/${encodeURIComponent(site.secretPath)}`,
      '/static/%00',
      '/static/secret.txt%00.png',
      '/static/link-out.txt',
      '/static/link-out-relative.txt',
      '/static/dir-out/passwd',
      '/static/.env',
      '/static/.git/config',
      '/static/%2eenv',
      '/static/./../secret.txt',
      'http://127.0.0.1/static/../secret.txt',
    ];
    await withServer(staticApp(), async ({ port }) => {
      for (const target of targets) {
        const res = await rawGet(port, target);
        assert.ok(!res.text.includes(SECRET), `${target} leaked the secret:\n${res.text}`);
        assert.equal(res.status, 404, `${target}: ${res.text.slice(0, 200)}`);
        assert.equal(res.body, '{"error":"Not Found"}', target);
      }
      // The same server still serves what it should.
      const ok = await rawGet(port, '/static/digits.txt');
      assert.equal(ok.status, 200);
      assert.equal(ok.body, '0123456789');
    });
  });
});

describe('static over a socket: HTTP semantics', () => {
  it('revalidates with ETag and Last-Modified (304, no body)', T, async () => {
    await withServer(staticApp(), async ({ url, port }) => {
      // No Accept-Encoding here: fetch would ask for br and get the .br sibling's own ETag.
      const first = await request(port, { path: '/static/app.js' });
      assert.equal(first.status, 200);
      const etag = first.headers.etag as string;
      assert.equal(first.headers['last-modified'], MTIME.toUTCString());
      const br = await fetch(`${url}/static/app.js`, { headers: { 'if-none-match': etag } });
      assert.equal(br.status, 200, 'the br variant has another tag');
      await br.arrayBuffer();
      const inm = await request(port, { path: '/static/app.js', headers: { 'if-none-match': etag } });
      assert.equal(inm.status, 304);
      assert.equal(inm.body.length, 0);
      assert.equal(inm.headers.etag, etag);
      const ims = await request(port, { path: '/static/app.js', headers: { 'if-modified-since': MTIME.toUTCString() } });
      assert.equal(ims.status, 304);
    });
  });

  it('sends exact bytes for ranges, and 416 with Content-Range for unsatisfiable ones', T, async () => {
    await withServer(staticApp(), async ({ port }) => {
      const part = await request(port, { path: '/static/big.bin', headers: { range: 'bytes=100000-100099' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 100000-100099/${site.big.length}`);
      assert.ok(part.body.equals(site.big.subarray(100000, 100100)));
      const tail = await request(port, { path: '/static/big.bin', headers: { range: 'bytes=-10' } });
      assert.ok(tail.body.equals(site.big.subarray(site.big.length - 10)));
      const open = await request(port, { path: '/static/big.bin', headers: { range: 'bytes=204700-' } });
      assert.ok(open.body.equals(site.big.subarray(204700)));
      const bad = await rawGet(port, '/static/big.bin', 'Range: bytes=999999-\r\n');
      assert.equal(bad.status, 416);
      assert.equal(bad.headers['content-range'], `bytes */${site.big.length}`);
      assert.equal(bad.body, '{"error":"Range Not Satisfiable"}');
    });
  });

  it('answers HEAD with the headers and not one byte of body', T, async () => {
    await withServer(staticApp(), async ({ port }) => {
      const res = await rawExchange(port, (socket) => {
        socket.write('HEAD /static/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], String(site.big.length));
      assert.equal(res.body, '');
    });
  });

  it('serves a precompressed sibling that fetch decodes', T, async () => {
    await withServer(staticApp(), async ({ url }) => {
      const res = await fetch(`${url}/static/app.js`, { headers: { 'accept-encoding': 'br' } });
      assert.equal(res.headers.get('content-encoding'), 'br');
      assert.match(await res.text(), /export const answer = 42;/);
    });
  });
});

describe('static over a socket: large files', () => {
  it('reads a 50 MiB file only as fast as a slow client takes it', T, async () => {
    // Counts the bytes the file streams read: fs.createReadStream calls fs.read.
    const originalRead = fs.read;
    let bytesRead = 0;
    const counting = function (this: unknown, ...args: unknown[]): void {
      const callback = args[args.length - 1] as (err: unknown, n: number, buf: unknown) => void;
      args[args.length - 1] = (err: unknown, n: number, buf: unknown) => {
        if (!err) bytesRead += n;
        callback(err, n, buf);
      };
      (originalRead as (...a: unknown[]) => void).apply(this, args);
    };
    fs.read = counting as typeof fs.read;
    try {
      await withServer(staticApp(), async ({ port }) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        const hash = createHash('sha256');
        let head = Buffer.alloc(0);
        let body = 0;
        let paused = false;
        const done = new Promise<void>((resolve, reject) => {
          socket.on('error', reject);
          socket.on('data', (chunk: Buffer) => {
            if (head !== null && body === 0 && !head.includes('\r\n\r\n')) {
              head = Buffer.concat([head, chunk]);
              const end = head.indexOf('\r\n\r\n');
              if (end === -1) return;
              chunk = head.subarray(end + 4);
              head = head.subarray(0, end);
            }
            body += chunk.length;
            hash.update(chunk);
            if (!paused) {
              paused = true;
              socket.pause();
            }
            if (body === HUGE_BYTES) resolve();
          });
        });
        socket.write('GET /static/huge.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        await within(
          new Promise<void>((r) => {
            const poll = setInterval(() => {
              if (paused) {
                clearInterval(poll);
                r();
              }
            }, 5);
          }),
          10_000,
          'the first bytes',
        );
        // The client stopped reading: the server may fill the socket buffers, no more.
        const stalled = await waitUntilStable(() => bytesRead, 300, 10_000);
        assert.ok(stalled < 16 * 1024 * 1024, `read ${(stalled / 1048576).toFixed(1)} MiB of 50 MiB while the client was not reading`);
        assert.match(head.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(head.toString('latin1'), new RegExp(`content-length: ${HUGE_BYTES}`, 'i'));
        socket.resume();
        await within(done, 30_000, 'the whole body');
        socket.destroy();
        assert.equal(hash.digest('hex'), hugeSha256);
        // Every byte read once (plus what other tests' small reads add: nothing here).
        assert.ok(bytesRead >= HUGE_BYTES && bytesRead < HUGE_BYTES + 1024 * 1024, `read ${bytesRead} bytes`);
      });
    } finally {
      fs.read = originalRead;
    }
  });
});

describe('static over a socket: file descriptors', { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' }, () => {
  it('closes every file it opens: whole, partial, aborted, HEAD, 304, 416, 404 and replaced responses', T, async () => {
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      // A middleware that throws the file response away: its body must never be opened.
      return req.headers.get('x-replace') === '1' ? new Response('replaced') : res;
    });
    app.static('/static', site.root);
    await withServer(app, async ({ port }) => {
      // Earlier tests' streams close their files asynchronously, just after their last byte.
      assert.equal(await waitUntilStable(() => siteFds().length, 200, 5_000), 0, `open before: ${siteFds().join(', ')}`);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const jobs: Promise<unknown>[] = [];
      const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => request(port, { path, headers, method, agent });
      for (let i = 0; i < 100; i++) jobs.push(get('/static/app.js'));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/big.bin'));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/big.bin', { range: 'bytes=1000-150000' }));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/huge.bin', {}, 'HEAD'));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/big.bin', { 'if-modified-since': MTIME.toUTCString() }));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/big.bin', { range: 'bytes=999999999-' }));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/missing.bin'));
      for (let i = 0; i < 40; i++) jobs.push(get('/static/huge.bin', { 'x-replace': '1' }));
      const results = (await Promise.all(jobs)) as { status: number }[];
      assert.ok(results.every((r) => [200, 206, 304, 404, 416].includes(r.status)));
      agent.destroy();
      // Downloads the client abandons after the first bytes.
      await Promise.all(
        Array.from(
          { length: 20 },
          () =>
            new Promise<void>((resolve, reject) => {
              const req = http.get({ host: '127.0.0.1', port, path: '/static/huge.bin', agent: false }, (res) => {
                res.once('data', () => {
                  req.destroy();
                  resolve();
                });
              });
              req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
            }),
        ),
      );
      const left = await waitUntilStable(() => siteFds().length, 300, 10_000);
      assert.equal(left, 0, `still open: ${siteFds().join(', ')}`);
    });
  });
});
