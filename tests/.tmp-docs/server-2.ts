// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';

const lines: string[] = [];
const app = new CovetApp({ logger: { info: (m) => lines.push(m), error: (m) => lines.push(m) } });
app.get('/', () => 'up');
const stopped = new Promise<void>((resolve) => app.onShutdown(() => resolve()));

// exitOnSignal: false only so that this example can check what happened after the signal.
const { url } = await app.run({ host: '127.0.0.1', port: 0, exitOnSignal: false });
assert.equal(await (await fetch(url)).text(), 'up');
process.kill(process.pid, 'SIGTERM');
await stopped;
assert.deepEqual(lines, [`Covet listening on ${url}`, 'SIGTERM received: shutting down']);
