// runnable
import assert from 'node:assert/strict';
import http from 'node:http';
import { CovetApp } from '/work/main/src/index.ts';

const app = new CovetApp({ server: { maxHeaderSize: 8192 } });
app.get('/', () => ({ ok: true }));
const { port } = await app.listen({ host: '127.0.0.1', port: 0 });
try {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-big': 'a'.repeat(10_000) } }, resolve).on('error', reject);
  });
  let body = '';
  for await (const chunk of res) body += chunk;
  assert.equal(res.statusCode, 431);
  assert.deepEqual(JSON.parse(body), { error: 'Request Header Fields Too Large' });
} finally {
  await app.close();
}
