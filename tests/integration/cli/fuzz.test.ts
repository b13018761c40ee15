import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { covetDone, root } from './helpers.js';

const target = 'examples/fuzz-target/app.ts';

describe('covet fuzz', { timeout: 180_000 }, () => {
  it('exits 1 with the planted bugs, each with a curl line; 0 on the fixed app', async () => {
    const buggy = await covetDone(['fuzz', target, '--seed', '1', '--runs', '100']);
    assert.equal(buggy.code, 1, buggy.stderr);
    assert.match(buggy.stdout, /^ERROR server-error POST \/items: answered 500/m);
    assert.match(buggy.stdout, /^ERROR server-error GET \/items\/\{id\}\/label: answered 500/m);
    assert.match(buggy.stdout, /^ERROR schema-violation GET \/items\/\{id\}: 404 response breaks its declared schema/m);
    assert.match(buggy.stdout, /^ {2}curl -X POST 'http:\/\/127\.0\.0\.1:8000\/items' -H 'content-type: application\/json' --data-raw '/m);
    assert.match(buggy.stdout, /^400 requests to 4 operations \(\d+ valid, \d+ boundary, \d+ invalid\), seed 1: 3 errors, 0 warnings in \d+ ms$/m);
    const fixed = await covetDone(['fuzz', `${target}:fixed`, '--seed', '1', '--runs', '100']);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /^400 requests to 4 operations .*seed 1: no findings in \d+ ms$/m);
  });

  it('prints the report as JSON; the same seed gives the same report; --fail-on and --max-failures', async () => {
    const args = ['fuzz', target, '--seed', 'abc', '--runs', '40', '--json'];
    const [a, b] = await Promise.all([covetDone(args), covetDone(args)]);
    assert.equal(a.code, 1, a.stderr);
    const report = JSON.parse(a.stdout) as Record<string, unknown> & { findings: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(report), ['seed', 'runs', 'operations', 'requests', 'byKind', 'findings', 'notes', 'passed', 'stoppedEarly', 'durationMs']);
    assert.equal(report.seed, 'abc');
    assert.equal(report.requests, 160);
    assert.equal(report.passed, false);
    assert.deepEqual(Object.keys(report.findings[0] ?? {}), [
      'kind',
      'severity',
      'operation',
      'status',
      'message',
      'input',
      'caseKind',
      'caseIndex',
      'details',
      'request',
      'seed',
      'curl',
      'occurrences',
    ]);
    const strip = (text: string) => ({ ...(JSON.parse(text) as object), durationMs: 0 });
    assert.deepEqual(strip(a.stdout), strip(b.stdout));

    // Schema violations alone do not fail at --fail-on 5xx.
    const only5xx = await covetDone(['fuzz', target, '--seed', 'abc', '--runs', '40', '--json', '--fail-on', '5xx', '--max-failures', '1']);
    const first = JSON.parse(only5xx.stdout) as { findings: { kind: string }[]; stoppedEarly: boolean };
    assert.equal(first.findings.length, 1);
    assert.equal(first.stoppedEarly, true);
    assert.equal(only5xx.code, first.findings[0]?.kind === 'server-error' ? 1 : 0);
  });

  it('reports an error no one awaits as a crash instead of dying, and runs the lifecycle hooks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-fuzz-'));
    try {
      const file = join(dir, 'app.ts');
      writeFileSync(
        file,
        `import { CovetApp } from '${root}src/index.ts';
export const app = new CovetApp();
app.onStartup(() => { process.stderr.write('started\\n'); });
app.onShutdown(() => { process.stderr.write('stopped\\n'); });
app.get('/fire', () => {
  void Promise.reject(new Error('late failure')); // fire and forget
  return { ok: true };
});
`,
      );
      const res = await covetDone(['fuzz', file, '--seed', '1', '--runs', '3', '--json']);
      assert.equal(res.code, 1, res.stderr);
      const report = JSON.parse(res.stdout) as { findings: { kind: string; message: string; occurrences: number }[] };
      assert.deepEqual(
        report.findings.map((f) => [f.kind, f.message, f.occurrences]),
        [['crash', 'uncaught Error: late failure (it would stop a server)', 3]],
      );
      assert.equal(res.stderr, 'started\nstopped\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends --header with every request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-fuzz-'));
    try {
      const file = join(dir, 'app.ts');
      writeFileSync(
        file,
        `import { CovetApp } from '${root}src/index.ts';
export const app = new CovetApp({ logger: { info() {}, error() {} } });
app.get('/me', (req) => {
  if (req.headers.get('authorization') !== 'Bearer t0k') throw new Error('no user'); // a 500, not a 401
  return { id: 1 };
});
`,
      );
      const without = await covetDone(['fuzz', file, '--seed', '1', '--runs', '2']);
      assert.equal(without.code, 1, without.stderr);
      assert.match(without.stdout, /^ERROR server-error GET \/me: answered 500 \(2 requests\)$/m);
      const withToken = await covetDone(['fuzz', file, '--seed', '1', '--runs', '2', '--header', 'Authorization: Bearer t0k', '--header', 'x-extra:1']);
      assert.equal(withToken.code, 0, withToken.stdout + withToken.stderr);
      assert.match(withToken.stdout, /^2 requests to 1 operations \(2 valid, 0 boundary, 0 invalid\), seed 1: no findings in \d+ ms$/m);
      const bad = await covetDone(['fuzz', file, '--header', 'no colon']);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr, 'covet: --header must look like "Name: value", got no colon\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains bad usage with exit 2 and a missing module with exit 3', async () => {
    const help = await covetDone(['fuzz', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: covet fuzz \[module\[:export\]\] \[options\]$/m);
    const general = await covetDone(['--help']);
    assert.match(general.stdout, /covet fuzz \[module\[:export\]\] \[--runs N\] \[--seed S\] \[--json\] \[--max-failures N\] \[--fail-on 5xx\|schema\|any\]/);
    const cases: [string[], RegExp][] = [
      [['fuzz', target, '--runs', '0'], /^covet: --runs must be a positive integer, got 0$/m],
      [['fuzz', target, '--runs', 'many'], /^covet: --runs must be a positive integer, got many$/m],
      [['fuzz', target, '--max-failures=-1'], /^covet: --max-failures must be a positive integer, got -1$/m],
      [['fuzz', target, '--fail-on', 'high'], /^covet: --fail-on must be one of 5xx, schema, any, got high$/m],
      [['fuzz', target, '--seed', ''], /^covet: --seed must not be empty$/m],
      [['fuzz', target, '--colour'], /^covet: unknown option --colour\nRun "covet fuzz --help" for usage\.\n$/],
      [['fuzz', target, 'extra.ts'], /^covet: unexpected argument "extra.ts"$/m],
    ];
    for (const [args, message] of cases) {
      const res = await covetDone(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
    }
    const missing = await covetDone(['fuzz', 'does/not/exist.ts']);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, 'covet: app module not found: does/not/exist.ts\n');
    const noApp = await covetDone(['fuzz', 'tests/fixtures/cli/no-export.ts']);
    assert.equal(noApp.code, 4);
    assert.match(noApp.stderr, /has no CovetApp export/);
  });
});
