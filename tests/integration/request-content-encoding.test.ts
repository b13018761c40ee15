// A request body sent with a Content-Encoding: Covet does not decompress request bodies, so the
// parsing readers refuse it (415) instead of handing the handler the compressed bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CovetApp } from '../../src/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

const T = { timeout: 30_000 };

describe('request bodies with a Content-Encoding', () => {
  function app(): CovetApp {
    const a = new CovetApp({ logger: memoryLogger() });
    a.post('/json', async (req) => ({ got: await req.json() }));
    a.post('/text', async (req) => ({ got: await req.text() }));
    a.post('/form', async (req) => ({ got: Object.fromEntries((await req.form()).entries()) }));
    a.post('/raw', async (req) => ({ bytes: (await req.body()).length }));
    return a;
  }

  it('are 415 for json(), text() and form(), with Accept-Encoding: identity', T, async () => {
    await withServer(app(), async ({ url }) => {
      const cases = [
        ['/json', 'application/json', '{"a":1}'],
        ['/text', 'text/plain', 'hello'],
        ['/form', 'application/x-www-form-urlencoded', 'a=1'],
        ['/form', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
      ] as const;
      for (const [path, type, body] of cases) {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': type, 'content-encoding': 'gzip' },
          body: gzipSync(body),
        });
        assert.equal(res.status, 415, `${path} ${type}`);
        assert.equal(res.headers.get('accept-encoding'), 'identity');
        assert.deepEqual(await res.json(), { error: 'Unsupported Content-Encoding: gzip' });
      }
    });
  });

  it('still reach body() as the bytes sent; identity is no coding', T, async () => {
    await withServer(app(), async ({ url }) => {
      const zipped = gzipSync('{"a":1}');
      const raw = await fetch(`${url}/raw`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: zipped });
      assert.equal(raw.status, 200);
      assert.deepEqual(await raw.json(), { bytes: zipped.length });
      const plain = await fetch(`${url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
        body: '{"a":1}',
      });
      assert.equal(plain.status, 200);
      assert.deepEqual(await plain.json(), { got: { a: 1 } });
    });
  });
});
