import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

function app(): CovetApp {
  const a = new CovetApp({ bodyLimit: 1024, logger: memoryLogger() });
  a.post('/count', async (req) => {
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of req.stream()) {
      bytes += chunk.length;
      chunks++;
    }
    return { bytes, chunks };
  });
  a.post('/twice', async (req) => {
    for await (const _ of req.stream()) {
      // drain
    }
    return req.text();
  });
  return a;
}

describe('req.stream()', () => {
  it('yields the body in chunks in-process and over a socket', async () => {
    await using client = new TestClient(app());
    assert.deepEqual((await client.post('/count', { content: 'x'.repeat(1000) })).json(), { bytes: 1000, chunks: 1 });
    assert.deepEqual((await client.post('/count')).json(), { bytes: 0, chunks: 0 });
    await withServer(app(), async ({ url }) => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${url}/count`, { method: 'POST' }, (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => {
            body += c;
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        // Chunked, in three writes: the handler sees them as they come.
        req.write('a'.repeat(100));
        setTimeout(() => {
          req.write('b'.repeat(100));
          setTimeout(() => req.end('c'.repeat(100)), 20);
        }, 20);
      });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body) as { bytes: number; chunks: number };
      assert.equal(body.bytes, 300);
      assert.ok(body.chunks >= 2, `chunks: ${body.chunks}`);
    });
  });

  it('answers 413 when the streamed body passes the limit, by Content-Length or midway', async () => {
    await using client = new TestClient(app());
    const res = await client.post('/count', { content: 'x'.repeat(2000) });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json(), { error: 'Payload Too Large: the body exceeds 1024 bytes' });
    await withServer(app(), async ({ url }) => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${url}/count`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
        req.write('y'.repeat(800));
        setTimeout(() => req.end('y'.repeat(800)), 20);
        req.on('timeout', () => reject(new Error('timeout')));
      });
      assert.equal(status, 413);
    });
  });

  it('refuses a second read of the body', async () => {
    await using client = new TestClient(app());
    assert.equal((await client.post('/twice', { content: 'abc' })).status, 500);
  });
});
