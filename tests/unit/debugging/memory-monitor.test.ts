import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CovetApp } from '../../../src/index.js';
import { MemoryMonitor } from '../../../src/debugging/index.js';
import { StructuredLogger } from '../../../src/logging/index.js';
import { TestClient } from '../../../src/testing/index.js';

const retained: unknown[] = [];

/**
 * A full collection, so a request's heap growth is not hidden by garbage that earlier code left
 * and a collection during the request happens to free.
 */
function collectGarbage(): void {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    setFlagsFromString('--expose-gc');
    (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
  }
  (globalThis as unknown as { gc: () => void }).gc();
}

describe('MemoryMonitor', () => {
  it('runs the seed memory middleware: warns when a request grows memory past 10 MiB', async () => {
    const lines: string[] = [];
    const logger = new StructuredLogger({ destination: { write: (s: string) => lines.push(s) > 0 } });
    const memoryMonitor = new MemoryMonitor();
    const app = new CovetApp();
    app.middleware('memory', async function memoryMiddleware(request, callNext) {
      const memoryBefore = memoryMonitor.getMemoryUsage();
      const response = await callNext(request);
      const memoryAfter = memoryMonitor.getMemoryUsage();
      const memoryDiff = memoryAfter - memoryBefore;
      if (memoryDiff > 10 * 1024 * 1024) {
        logger.warning('High memory usage detected', { extra: { endpoint: request.url.path, memory_increase: memoryDiff } });
      }
      return response;
    });
    app.get('/hog', () => {
      // 16 MiB of live doubles, made without intermediate garbage (not an ArrayBuffer, which is
      // counted outside the heap).
      retained.push(new Array(2 * 1024 * 1024).fill(0.5));
      return { ok: true };
    });
    app.get('/light', () => ({ ok: true }));
    await using client = new TestClient(app);
    await client.get('/light');
    collectGarbage();
    await client.get('/hog');
    await logger.flush();
    const warnings = lines.map((l) => JSON.parse(l) as { message: string; endpoint: string; memory_increase: number });
    assert.equal(warnings.length, 1, lines.join(''));
    assert.equal(warnings[0]?.endpoint, '/hog');
    assert.ok((warnings[0]?.memory_increase ?? 0) > 10 * 1024 * 1024);
    retained.length = 0;
  });

  it('offers a ready middleware with a threshold, a callback and req.state.memoryIncrease', async () => {
    const seen: { endpoint: string; route: string | null; memoryIncrease: number }[] = [];
    const warned: string[] = [];
    const monitor = new MemoryMonitor({ thresholdBytes: 4 * 1024 * 1024, logger: { warn: (m) => warned.push(m), error: (m) => warned.push(m) }, onThreshold: (i) => seen.push(i) });
    const app = new CovetApp();
    app.addMiddleware(monitor.middleware());
    app.get('/grow/{n:int}', (req) => {
      // 4 MB of doubles per n: /grow/8 keeps 32 MB, well past the 4 MB threshold even when a
      // collection during the request frees what the tests before it left behind.
      retained.push(new Array(req.params.n * 524288).fill(0.5));
      return { increase: req.state.memoryIncrease ?? null };
    });
    await using client = new TestClient(app);
    collectGarbage();
    await client.get('/grow/8');
    assert.deepEqual(warned, ['High memory usage detected']);
    assert.equal(seen[0]?.endpoint, '/grow/8');
    assert.equal(seen[0]?.route, '/grow/{n:int}');
    retained.length = 0;
  });

  it("takes onThreshold (and thresholdBytes) in middleware() options, over the monitor's own", async () => {
    const own: string[] = [];
    const given: string[] = [];
    const monitor = new MemoryMonitor({ thresholdBytes: 1024 ** 3, logger: { warn() {}, error() {} }, onThreshold: (i) => own.push(i.endpoint) });
    const app = new CovetApp();
    // Each reading 1 KB above the last: the growth the garbage collector would make flaky.
    let reading = 0;
    monitor.getMemoryUsage = () => (reading += 1024);
    app.addMiddleware(monitor.middleware({ thresholdBytes: 512, onThreshold: (i) => given.push(`${i.endpoint} +${i.memoryIncrease}`) }));
    app.get('/grow', () => ({ ok: true }));
    await using client = new TestClient(app);
    assert.equal((await client.get('/grow')).status, 200);
    assert.deepEqual(given, ['/grow +1024']);
    assert.deepEqual(own, []);
    assert.throws(() => monitor.middleware({ onThreshold: 'log' as never }), { name: 'TypeError', message: 'MemoryMonitor: onThreshold must be a function' });
  });

  it('answers the request even when the warning\'s callback throws', async () => {
    const errors: string[] = [];
    const monitor = new MemoryMonitor({
      thresholdBytes: 0,
      logger: { warn: () => {}, error: (m) => errors.push(m) },
      onThreshold: () => {
        throw new Error('alerting is down');
      },
    });
    // Each reading 1 KB above the last: this is about the callback, not the collector's timing.
    let reading = 0;
    monitor.getMemoryUsage = () => (reading += 1024);
    const app = new CovetApp();
    app.addMiddleware(monitor.middleware());
    app.get('/grow', () => ({ ok: true }));
    await using client = new TestClient(app);
    const res = await client.get('/grow');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { ok: true });
    assert.deepEqual(errors, ['MemoryMonitor warning failed']);
  });

  it('refuses bad options where they are given, not by never warning', async () => {
    assert.throws(() => new MemoryMonitor({ measure: 'bogus' as 'rss' }), { code: 'ERR_MEMORY_MONITOR_OPTIONS', message: 'MemoryMonitor measure must be "heapUsed" or "rss", got "bogus"' });
    assert.throws(() => new MemoryMonitor({ thresholdBytes: -1 }), { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
    const monitor = new MemoryMonitor();
    // '10MB' would compare as NaN: the middleware would never warn.
    assert.throws(() => monitor.middleware({ thresholdBytes: '10MB' as unknown as number }), { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
    // A negative interval would flip the sign of the growth rate.
    await assert.rejects(monitor.detectLeak({ intervalMs: -1 }), { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
    await assert.rejects(monitor.detectLeak({ samples: 0 }), { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
    await assert.rejects(monitor.detectLeak({ minGrowthBytes: Number.NaN }), { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
  });

  it('reports snapshots, heap growth trends and usage as numbers', async () => {
    const monitor = new MemoryMonitor();
    assert.equal(typeof monitor.getMemoryUsage(), 'number');
    const snap = monitor.snapshot();
    assert.ok(snap.heapUsed > 0 && snap.rss >= snap.heapUsed);
    assert.ok('old_space' in snap.heapSpaces);
    assert.ok(new MemoryMonitor({ measure: 'rss' }).getMemoryUsage() > 0);
    // detectLeak collects garbage before each sample when `gc` is exposed, as it is here: without
    // it, heapUsed also counts garbage and one collection between samples can hide the growth.
    const exposedHere = typeof (globalThis as { gc?: unknown }).gc !== 'function';
    if (exposedHere) {
      setFlagsFromString('--expose-gc');
      (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
    }
    const leak: unknown[] = [];
    // 1.6 MB kept every 5 ms, made without intermediate garbage.
    const timer = setInterval(() => leak.push(new Array(200_000).fill(0.5)), 5);
    try {
      const report = await monitor.detectLeak({ samples: 5, intervalMs: 40, minGrowthBytes: 1024 * 1024 });
      assert.equal(report.samples.length, 5);
      assert.ok(report.bytesPerSecond > 0, JSON.stringify(report));
      assert.equal(report.suspected, true, JSON.stringify(report));
    } finally {
      clearInterval(timer);
      leak.length = 0;
      if (exposedHere) delete (globalThis as { gc?: unknown }).gc;
    }
  });
});
