// runnable
import assert from 'node:assert/strict';
import { CovetApp, HTTPException } from '/work/main/src/index.ts';

let reason: unknown;
const app = new CovetApp();
app.get('/report', { timeout: 50 }, async (req) => {
  await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
  reason = req.signal.reason;
  return { never: 'sent' };
});

const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
try {
  const res = await fetch(`${url}/report`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { error: 'Request timed out' });
  assert.ok(reason instanceof HTTPException && reason.status === 503);
} finally {
  await app.close();
}
