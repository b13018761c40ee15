// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';

const log: string[] = [];
let started!: () => void;
const handlerStarted = new Promise<void>((resolve) => { started = resolve; });
const app = new CovetApp();
app.get('/slow', async () => {
  started();
  await new Promise((resolve) => setTimeout(resolve, 100));
  log.push('handler done');
  return { slow: true };
});
app.onShutdown(() => { log.push('hook 1'); });
app.onShutdown(() => { log.push('hook 2'); });

const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
const inFlight = fetch(`${url}/slow`);
await handlerStarted;
await app.close(); // waits for /slow
const res = await inFlight;
assert.equal(res.headers.get('connection'), 'close');
assert.deepEqual(await res.json(), { slow: true });
assert.deepEqual(log, ['handler done', 'hook 2', 'hook 1']);
