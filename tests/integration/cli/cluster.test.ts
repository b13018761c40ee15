import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { covet, root, STARTED, stopped } from './helpers.js';

const APP = 'tests/fixtures/cli/app.ts';

async function pids(url: string, n: number): Promise<Set<number>> {
  const seen = new Set<number>();
  // New connections are spread round-robin over the workers.
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/`, { headers: { connection: 'close' } });
    seen.add(((await res.json()) as { pid: number }).pid);
  }
  return seen;
}

describe('covet run --workers', { timeout: 180_000 }, () => {
  it('serves from N workers, announces them in one listening line, restarts a crashed worker, and stops gracefully on SIGTERM', async () => {
    const cli = covet(['run', APP, '--port', '0', '--workers', '2']);
    const [, url = '', count, , primary] = await cli.waitFor(STARTED);
    assert.equal(count, '2');
    assert.equal(Number(primary), cli.child.pid);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const before = await pids(url, 20);
    assert.deepEqual([...before].sort(), cli.workers().sort());
    const [victim = 0] = [...before];
    process.kill(victim, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    // A replacement is forked after the backoff.
    let after = new Set<number>();
    for (let i = 0; i < 50 && !(after.size === 2 && !after.has(victim)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await pids(url, 10);
    }
    assert.equal(after.size, 2);
    assert.ok(!after.has(victim));
    assert.match(cli.stderr(), new RegExp(`worker ${victim} died \\(SIGKILL\\); restarting in \\d+ ms`));
    // The replacement may serve a moment before the primary reads its message.
    const replaced = new RegExp(`^covet: worker (\\d+) replaced worker ${victim}$`, 'm');
    for (let i = 0; i < 50 && !replaced.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(Number(cli.stderr().match(replaced)?.[1]), [...after].find((pid) => !before.has(pid)));
    const slow = fetch(`${url}/slow`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGTERM');
    assert.deepEqual(await slow, { slow: true });
    assert.equal(await cli.exited, 0);
    assert.equal(cli.stdout().match(/shutdown hook ran/g)?.length, 2);
    // Workers never print their own listening line, not even the replacement.
    assert.equal(cli.stdout().match(/listening on/g)?.length, 1, cli.stdout());
    assert.deepEqual(cli.workers().sort(), [...new Set([...before, ...after])].sort());
    assert.deepEqual(await stopped(cli.workers()), []);
  });

  it('answers aggregateCluster metrics from the primary: /metrics sums every worker, without waiting for clusterTimeout', async () => {
    const cli = covet(['run', 'tests/fixtures/cli/metrics-app.ts', '--port', '0', '--workers', '2']);
    try {
      const [, url = ''] = await cli.waitFor(STARTED);
      const seen = await pids(url, 6);
      assert.equal(seen.size, 2, 'both workers served');
      const started = Date.now();
      const res = await fetch(`${url}/metrics`, { headers: { connection: 'close' } });
      const took = Date.now() - started;
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^hits_total 6$/m);
      // Without an aggregator in the primary, the worker waited its 6 s clusterTimeout and answered alone.
      assert.ok(took < 4000, `/metrics took ${took} ms`);
    } finally {
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    }
  });

  it('a SIGTERM while the workers run their startup hooks waits for them, then runs every shutdown hook and exits 0', async () => {
    const cli = covet(['run', 'tests/fixtures/cli/slow-start.mjs', '--port', '0', '--workers', '2']);
    for (let i = 0; i < 200 && (cli.stdout().match(/startup began/g)?.length ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(cli.stdout().match(/startup began/g)?.length, 2, cli.stdout());
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
    assert.equal(cli.stdout().match(/startup finished/g)?.length, 2, cli.stdout());
    assert.equal(cli.stdout().match(/shutdown hook ran/g)?.length, 2, cli.stdout());
    assert.doesNotMatch(cli.stdout(), /listening on/);
  });

  it('announces the new URL when the only worker of --port 0 is replaced on another port', async () => {
    const cli = covet(['run', APP, '--port', '0', '--workers', '1']);
    try {
      const [, url = ''] = await cli.waitFor(STARTED);
      const [victim = 0] = [...(await pids(url, 1))];
      process.kill(victim, 'SIGKILL');
      const replaced = new RegExp(`^covet: worker (\\d+) replaced worker ${victim}$`, 'm');
      for (let i = 0; i < 100 && !replaced.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(cli.stderr(), replaced);
      const urls = [...cli.stdout().matchAll(/^Covet listening on (\S+)$/gm)].map((m) => m[1] as string);
      // The last announced URL is where the app is now.
      const now = urls.at(-1) ?? '';
      assert.equal(urls[0], url);
      assert.equal(urls.length, now === url ? 1 : 2, cli.stdout());
      const res = await fetch(`${now}/`, { headers: { connection: 'close' } });
      assert.equal(res.status, 200);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('drains every worker when SIGTERM reaches the whole process group (systemd, timeout, kill -- -PGID)', async () => {
    const cli = covet(['run', APP, '--port', '0', '--workers', '2'], { detached: true });
    try {
      const [, url = ''] = await cli.waitFor(STARTED);
      // New connections alternate between the workers: both have a request in flight.
      const slow = [1, 2, 3, 4].map(() => fetch(`${url}/slow`, { headers: { connection: 'close' } }).then((r) => r.json()));
      await new Promise((r) => setTimeout(r, 100));
      process.kill(-(cli.child.pid ?? 0), 'SIGTERM');
      assert.deepEqual(await Promise.all(slow), [1, 2, 3, 4].map(() => ({ slow: true })));
      assert.equal(await cli.exited, 0);
      assert.equal(cli.stdout().match(/shutdown hook ran/g)?.length, 2, cli.stdout());
      assert.deepEqual(await stopped(cli.workers()), []);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it("waits for a worker's drain as long as its app's shutdownTimeout allows, past the default 30 s", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-drain-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, 'app.ts'),
      `import { CovetApp } from '${root}src/index.js';
export const app = new CovetApp({ server: { shutdownTimeout: 45_000 } });
app.get('/long', async () => { await new Promise((r) => setTimeout(r, 31_000)); return { long: true }; });
app.onShutdown(() => { process.stdout.write('shutdown hook ran\\n'); });
`,
    );
    const cli = covet(['run', 'app.ts', '--port', '0', '--workers', '1'], { cwd: dir });
    try {
      const [, url = ''] = await cli.waitFor(STARTED);
      const long = fetch(`${url}/long`).then(
        (r) => r.json(),
        (err: Error) => err.message,
      );
      await new Promise((r) => setTimeout(r, 200));
      cli.child.kill('SIGTERM');
      assert.deepEqual(await long, { long: true });
      assert.equal(await cli.exited, 0);
      assert.match(cli.stdout(), /shutdown hook ran/);
      assert.deepEqual(await stopped(cli.workers()), []);
    } finally {
      cli.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a crash loop with a clear message and exit code 6', async () => {
    const cli = covet(['run', 'tests/fixtures/cli/crash.ts', '--port', '0', '--workers', '1'], { env: { COVET_MAX_RESTARTS: '3' } });
    assert.equal(await cli.exited, 6);
    assert.match(cli.stderr(), /worker crash loop: 4 crashes within 30s \(last: exit code 7\); giving up/);
  });

  it('--reload restarts the app when a file changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-reload-'));
    const file = join(dir, 'app.ts');
    const source = (msg: string) =>
      `import { CovetApp } from '${root}src/index.js';\nexport const app = new CovetApp();\napp.get('/', () => '${msg}');\n`;
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(file, source('one'));
    const cli = covet(['run', 'app.ts', '--port', '0', '--reload'], { cwd: dir });
    try {
      const [, url] = await cli.waitFor(STARTED);
      assert.equal(await (await fetch(`${url}/`)).text(), 'one');
      writeFileSync(file, source('two'));
      await cli.waitFor(/app\.ts changed: restarting\n(?:.*\n)*?Started 1 worker \(pid \d+/);
      // Port 0 is picked anew by the restarted worker: read its URL.
      const urls = [...cli.stdout().matchAll(/listening on (http:\/\/\S+)/g)].map((m) => m[1]);
      assert.equal(urls.length, 2, cli.stdout());
      assert.equal(await (await fetch(`${urls.at(-1)}/`)).text(), 'two');
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.deepEqual(await stopped(cli.workers()), []);
    } finally {
      cli.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--reload keeps watching files saved by rename, and waits through a file that fails to load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-reload-'));
    const file = join(dir, 'app.ts');
    const source = (msg: string) =>
      `import { CovetApp } from '${root}src/index.js';\nexport const app = new CovetApp();\napp.get('/', () => '${msg}');\n`;
    // How vim, `sed -i` and editors' "atomic save" write: a new file renamed over the old one.
    const saveByRename = (text: string): void => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    const restarts = (): number => cli.stdout().match(/app\.ts changed: restarting/g)?.length ?? 0;
    const servedText = async (): Promise<string> => {
      const urls = [...cli.stdout().matchAll(/listening on (http:\/\/\S+)/g)].map((m) => m[1]);
      return (await fetch(`${urls.at(-1)}/`)).text();
    };
    const started = (n: number): RegExp => new RegExp(`(?:Started 1 worker \\(pid \\d+; primary pid \\d+\\)[^]*?){${n}}`);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(file, source('one'));
    const cli = covet(['run', 'app.ts', '--port', '0', '--reload'], { cwd: dir });
    try {
      await cli.waitFor(STARTED);
      assert.equal(await servedText(), 'one');
      saveByRename(source('two'));
      await cli.waitFor(started(2));
      assert.equal(await servedText(), 'two');
      saveByRename(source('three'));
      await cli.waitFor(started(3));
      assert.equal(await servedText(), 'three', 'a second save by rename is seen too');
      writeFileSync(file, 'export const app = ;\n');
      for (let i = 0; i < 100 && !/waiting for a file change to restart/.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(cli.stderr(), /covet: cannot load .*app\.ts[^]*covet: waiting for a file change to restart/);
      assert.equal(cli.child.exitCode, null, 'the command is still running');
      writeFileSync(file, source('four'));
      await cli.waitFor(started(4));
      assert.equal(await servedText(), 'four');
      assert.equal(restarts(), 4);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.deepEqual(await stopped(cli.workers()), []);
    } finally {
      cli.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
