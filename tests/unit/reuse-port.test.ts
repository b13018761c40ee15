// `listen({ reusePort })` and `covet run --workers N --reuse-port`: each process listens on the
// port itself (SO_REUSEPORT) and the kernel spreads connections. Node 22.12+ has the option;
// .ci/run runs this file on Node 22 and 24 as well as 20, where the refusals are checked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { supportsReusePort } from '../../src/http/server.js';
import { freePort } from '../helpers/server.js';
import { covet, covetDone, STARTED, stopped } from '../integration/cli/helpers.js';

const supported = supportsReusePort();
const unsupportedReason = supported ? false : `reusePort needs Node 22.12+ (this is ${process.versions.node})`;

/** Listening TCP sockets on `port` (from /proc/net/tcp: state 0A). */
function listeners(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(hex) && f[3] === '0A').length;
}

describe('reusePort', { timeout: 120_000 }, () => {
  it('knows which Node versions have it', () => {
    assert.equal(supportsReusePort('20.20.2'), false);
    assert.equal(supportsReusePort('22.11.0'), false);
    assert.equal(supportsReusePort('22.12.0'), true);
    assert.equal(supportsReusePort('23.0.0'), false);
    assert.equal(supportsReusePort('23.1.0'), true);
    assert.equal(supportsReusePort('24.0.0'), true);
  });

  it('refuses on a Node without it, before starting anything', { skip: supported ? 'this Node has reusePort' : false }, async () => {
    const app = new CovetApp();
    let started = false;
    app.onStartup(() => {
      started = true;
    });
    await assert.rejects(app.listen({ port: 0, reusePort: true }), { name: 'RangeError', message: /reusePort needs Node 22\.12 or later/ });
    assert.equal(started, false);
    const { code, stderr } = await covetDone(['run', 'tests/fixtures/cli/app.ts', '--port', '8123', '--workers', '2', '--reuse-port']);
    assert.equal(code, 2);
    assert.match(stderr, /--reuse-port needs Node 22\.12 or later/);
  });

  it('needs a fixed port with --reuse-port', { skip: unsupportedReason }, async () => {
    const { code, stderr } = await covetDone(['run', 'tests/fixtures/cli/app.ts', '--port', '0', '--workers', '2', '--reuse-port']);
    assert.equal(code, 2);
    assert.match(stderr, /--reuse-port needs a fixed --port \(not 0\)/);
  });

  it('lets two apps listen on one port', { skip: unsupportedReason }, async () => {
    const port = await freePort();
    const a = new CovetApp();
    const b = new CovetApp();
    a.get('/', () => 'a');
    b.get('/', () => 'b');
    await a.listen({ port, reusePort: true });
    try {
      await b.listen({ port, reusePort: true });
      try {
        assert.equal(listeners(port), 2);
        const seen = new Set<string>();
        for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text());
        assert.deepEqual([...seen].sort(), ['a', 'b']);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
    // Without it, the port is taken.
    const c = new CovetApp();
    await c.listen({ port });
    try {
      await assert.rejects(new CovetApp().listen({ port }), { code: 'EADDRINUSE' });
    } finally {
      await c.close();
    }
  });

  it('covet run --workers 2 --reuse-port: each worker listens and serves', { skip: unsupportedReason }, async () => {
    const port = await freePort();
    const cli = covet(['run', 'tests/fixtures/cli/app.ts', '--port', String(port), '--workers', '2', '--reuse-port']);
    try {
      const [, url] = await cli.waitFor(STARTED);
      assert.equal(url, `http://127.0.0.1:${port}`);
      assert.equal(listeners(port), 2);
      const pids = new Set<number>();
      for (let i = 0; i < 40 && pids.size < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
        pids.add(((await res.json()) as { pid: number }).pid);
      }
      assert.deepEqual([...pids].sort(), cli.workers().sort());
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.equal(cli.stdout().match(/listening on/g)?.length, 1, cli.stdout());
      assert.deepEqual(await stopped(pids), []);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});
