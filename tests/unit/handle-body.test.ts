import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { memoryLogger } from '../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TOO_LARGE = { error: 'Payload Too Large: the body exceeds 1048576 bytes' };

/** A 4 MiB request body of 64 KiB chunks that counts what was pulled and whether it was cancelled. */
function endless(): { body: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } {
  let pulled = 0;
  let cancelled = false;
  const chunk = new Uint8Array(64 * KiB).fill(120);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === 4 * MiB) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, pulled: () => pulled, cancelled: () => cancelled };
}

function post(path: string, body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}): globalThis.Request {
  return new globalThis.Request(`http://local${path}`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

function bodyApp(): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.post('/bytes', async (req) => ({ size: (await req.body()).length }));
  app.post('/json', async (req) => ({ got: await req.json() }));
  app.post('/stream', async (req) => {
    let size = 0;
    for await (const chunk of req.stream()) size += chunk.length;
    return { size };
  });
  app.post('/first', async (req) => {
    for await (const chunk of req.stream()) return { first: chunk.length };
    return { first: 0 };
  });
  app.post('/upload', async (req) => {
    const file = (await req.form()).get('f');
    return { size: typeof file === 'string' ? -1 : file?.size };
  });
  return app;
}

describe('app.handle() request bodies', () => {
  it('refuses a body whose Content-Length is over the limit at once, with the socket path’s 413, without reading it', async () => {
    const app = bodyApp();
    for (const path of ['/bytes', '/stream']) {
      const source = endless();
      const res = await app.handle(post(path, source.body, { 'content-length': String(2 * MiB) }));
      assert.equal(res.status, 413);
      assert.deepEqual(await res.json(), TOO_LARGE);
      // At most what the stream queues by itself before anyone reads (its high-water mark).
      assert.ok(source.pulled() <= 64 * KiB, `pulled ${source.pulled()}`);
      assert.equal(source.cancelled(), true);
    }
  });

  it('reads a body without Content-Length incrementally, and stops and cancels it once past the limit', async () => {
    const app = bodyApp();
    for (const path of ['/bytes', '/stream']) {
      const source = endless();
      const res = await app.handle(post(path, source.body));
      assert.equal(res.status, 413);
      assert.deepEqual(await res.json(), TOO_LARGE);
      assert.ok(source.pulled() <= MiB + 2 * 64 * KiB, `pulled ${source.pulled()}`);
      assert.equal(source.cancelled(), true);
    }
    // A Content-Length that understates the body does not get past the limit either.
    const liar = endless();
    const res = await app.handle(post('/bytes', liar.body, { 'content-length': '10' }));
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), TOO_LARGE);
    assert.equal(liar.cancelled(), true);
  });

  it('cancels the body when the handler stops streaming it early', async () => {
    const source = endless();
    const res = await bodyApp().handle(post('/first', source.body));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { first: 64 * KiB });
    assert.equal(source.cancelled(), true);
  });

  it('still reads small and empty bodies, and multipart uploads past bodyLimit (their limit is maxTotalSize)', async () => {
    const app = bodyApp();
    const json = await app.handle(post('/json', '{"x":1}', { 'content-type': 'application/json' }));
    assert.equal(json.status, 200);
    assert.deepEqual(await json.json(), { got: { x: 1 } });
    const exact = await app.handle(post('/bytes', 'y'.repeat(MiB)));
    assert.deepEqual(await exact.json(), { size: MiB });
    assert.deepEqual(await (await app.handle(post('/stream', ''))).json(), { size: 0 });
    assert.deepEqual(await (await app.handle(new globalThis.Request('http://local/bytes', { method: 'POST' }))).json(), { size: 0 });
    const form = new FormData();
    form.append('f', new Blob([new Uint8Array(2 * MiB)]), 'big.bin');
    const upload = await app.handle(new globalThis.Request('http://local/upload', { method: 'POST', body: form }));
    assert.equal(upload.status, 200);
    assert.deepEqual(await upload.json(), { size: 2 * MiB });
  });

  it('answers 400 when the body stream fails', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('reset'));
      },
    });
    const res = await bodyApp().handle(post('/bytes', body));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'Request body could not be read' });
  });
});
