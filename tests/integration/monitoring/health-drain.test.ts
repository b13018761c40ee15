// Readiness over a real socket during a graceful shutdown: a load balancer polling
// /health/ready must see 503 as soon as the app starts draining, while in-flight requests finish.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CovetApp } from '../../../src/index.js';
import { HealthChecker } from '../../../src/monitoring/index.js';

/** Everything the server sends on `socket` until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('HealthChecker readiness while the server drains', () => {
  it('answers 503 (lifecycle: draining) with Connection: close on /health/ready, lets the in-flight request finish, refuses new connections', async () => {
    const app = new CovetApp();
    const health = new HealthChecker();
    health.check('ok', () => true);
    app.includeRouter(health.router, { prefix: '/health' });
    let release: () => void = () => {};
    let onStarted: () => void = () => {};
    const started = new Promise<void>((r) => {
      onStarted = r;
    });
    app.get('/slow', async () => {
      onStarted();
      await new Promise<void>((r) => {
        release = r;
      });
      return { done: true };
    });
    const { port, url } = await app.listen({ host: '127.0.0.1', port: 0 });
    let closing: Promise<void> | null = null;
    const before = await fetch(`${url}/health/ready`, { headers: { connection: 'close' } });
    assert.equal(before.status, 200);
    assert.equal(((await before.json()) as { status: string }).status, 'healthy');
    try {
      // An in-flight request keeps the server draining (not yet closed).
      const slow = await open(port);
      const slowResponse = readAll(slow);
      slow.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await started;

      // A probe whose request is on its way (its first bytes arrived) when the shutdown starts:
      // the connection is not idle, so the server reads the request to its end and answers it.
      const probe = await open(port);
      const probeResponse = readAll(probe);
      probe.write('GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await sleep(50);

      closing = app.close();
      assert.equal(health.state, 'draining');
      probe.write('\r\n');
      const text = await probeResponse;
      const [head = '', body = ''] = text.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 503 /);
      assert.match(head, /\r\nconnection: close\r\n/i);
      assert.match(head, /\r\ncache-control: no-store\r\n/i);
      assert.match(head, /\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
      const report = JSON.parse(body) as { status: string; checks: Record<string, { status: string; error?: string; latencyMs: number }> };
      assert.equal(report.status, 'unhealthy');
      assert.deepEqual(report.checks.lifecycle, { status: 'unhealthy', latencyMs: 0, error: 'draining' });
      assert.equal(report.checks.ok?.status, 'healthy');

      // New connections are refused while draining.
      await assert.rejects(open(port), { code: 'ECONNREFUSED' });

      // The in-flight request still completes, told to close its connection.
      release();
      const slowText = await slowResponse;
      assert.match(slowText, /^HTTP\/1\.1 200 /);
      assert.match(slowText, /\r\nconnection: close\r\n/i);
      assert.ok(slowText.endsWith('{"done":true}'), slowText);
    } finally {
      release();
      await (closing ?? app.close());
    }
  });

  it('follows the parent app when its router is in a mounted sub-app: starting, running, draining', async () => {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    const sub = new CovetApp();
    const health = new HealthChecker();
    health.check('ok', () => true);
    sub.includeRouter(health.router, { prefix: '/health' });
    app.mount('/sub', sub);
    const seen: string[] = [];
    sub.onStartup(() => {
      seen.push(`sub startup: ${health.state}`);
    });
    // The parent's own startup hooks run after the sub-app's: still starting there.
    app.onStartup(() => {
      seen.push(`parent startup: ${health.state}`);
    });
    let release: () => void = () => {};
    app.get('/slow', () => new Promise((r) => {
      release = () => r('done');
    }));
    const { port, url } = await app.listen({ host: '127.0.0.1', port: 0 });
    assert.deepEqual(seen, ['sub startup: starting', 'parent startup: starting']);
    assert.equal(health.state, 'running');
    assert.equal((await fetch(`${url}/sub/health/ready`, { headers: { connection: 'close' } })).status, 200);
    const slow = await open(port);
    const slowResponse = readAll(slow);
    slow.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await sleep(20);
    const probe = await open(port);
    const probeResponse = readAll(probe);
    probe.write('GET /sub/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(20);
    const closing = app.close();
    try {
      assert.equal(health.state, 'draining');
      probe.write('\r\n');
      const text = await probeResponse;
      assert.match(text, /^HTTP\/1\.1 503 /);
      assert.match(text, /"lifecycle":\{"status":"unhealthy","latencyMs":0,"error":"draining"\}/);
    } finally {
      release();
      await slowResponse;
      await closing;
    }
  });
});
