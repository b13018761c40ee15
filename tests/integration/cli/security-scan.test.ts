import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatBytes, judgeLimits, readRouteLimits } from '../../../src/cli/scan-limits.js';
import { scanApp, weakSecretReason } from '../../../src/cli/security-scan.js';
import { type CallNext, CovetApp, type Request } from '../../../src/index.js';
import { app as insecure } from '../../fixtures/cli/insecure.js';
import { covetDone, root } from './helpers.js';

describe('covet security-scan', { timeout: 180_000 }, () => {
  it('finds every misconfiguration of the insecure fixture with severities', async () => {
    const findings = await scanApp(insecure, { audit: false });
    const by = (rule: string) => findings.filter((f) => f.rule === rule);
    assert.equal(by('COVET001')[0]?.severity, 'high'); // debug
    assert.deepEqual(
      by('COVET002').map((f) => [f.severity, f.message]),
      [
        ['critical', 'config SECRET_KEY is a known default value.'],
        ['high', 'config JWT_SECRET is only 5 characters (use at least 32).'],
      ],
    );
    assert.equal(by('COVET003')[0]?.severity, 'high'); // CORS * + credentials
    assert.equal(by('COVET004')[0]?.severity, 'high'); // CSRF off with cookie sessions
    assert.match(by('COVET005')[0]?.message ?? '', /x-content-type-options, content-security-policy, referrer-policy, x-frame-options/);
    assert.match(by('COVET006')[0]?.message ?? '', /POST \/auth\/login has no rate-limiting middleware/);
    assert.match(by('COVET009')[0]?.message ?? '', /GET \/metrics answers 200/);
    assert.equal(findings[0]?.severity, 'critical'); // most severe first
    // The secret itself is never printed.
    assert.ok(findings.every((f) => !f.message.includes('changeme')));
  });

  it('probes the app\'s own routes below /debug and /admin, not only those paths', async () => {
    const app = new CovetApp();
    app.get('/', () => 'home');
    app.get('/debug/performance', () => ({ performanceReport: {} })); // the seed's troubleshooting route
    app.get('/admin/users/{id:int}', (req) => ({ id: req.params.id })); // needs a value: not probed
    app.get('/administrators', () => 'not below /admin');
    const exposed = (await scanApp(app, { audit: false })).filter((f) => f.rule === 'COVET009');
    assert.deepEqual(
      exposed.map((f) => [f.severity, f.message]),
      [['high', 'GET /debug/performance answers 200 without authentication.']],
    );
  });

  it('judges secrets', () => {
    assert.equal(weakSecretReason('your-secret-key'), 'a known default value');
    assert.equal(weakSecretReason('abc'), 'only 3 characters (use at least 32)');
    assert.equal(weakSecretReason('a'.repeat(40)), 'too few distinct characters');
    assert.equal(weakSecretReason('k9Q2vX7mL4pR8sT1wY6zB3nC5dF0gH2jK7eA9uI4oP'), null);
    assert.deepEqual(
      (() => {
        const app = new CovetApp();
        app.get('/', () => 'x');
        return app;
      })().debug,
      false,
    );
  });

  it('prints text, exits 1 at --fail-on and 0 below it; the secure fixture passes', async () => {
    const text = await covetDone(['security-scan', 'tests/fixtures/cli/insecure.ts', '--no-audit']);
    assert.equal(text.code, 1);
    // From the command line the app's source is read too: the config's secrets are literals there,
    // reported once, with file and line, instead of as config values.
    assert.match(text.stdout, /^CRITICAL COVET002 {2}Weak or default secret: literal SECRET_KEY at tests\/fixtures\/cli\/insecure\.ts:15 is a known default value\.$/m);
    assert.match(text.stdout, /^HIGH {5}COVET002 {2}Weak or default secret: literal JWT_SECRET at tests\/fixtures\/cli\/insecure\.ts:15 is only 5 characters \(use at least 32\)\.$/m);
    assert.doesNotMatch(text.stdout, /config (SECRET_KEY|JWT_SECRET)/);
    assert.match(text.stdout, /9 findings: 1 critical, 4 high, 3 medium, 1 low/);
    const secure = await covetDone(['security-scan', 'tests/fixtures/cli/secure.ts', '--no-audit', '--fail-on', 'low']);
    assert.equal(secure.code, 0, secure.stdout + secure.stderr);
    assert.equal(secure.stdout, 'No findings.\n');
    const bad = await covetDone(['security-scan', 'tests/fixtures/cli/secure.ts', '--fail-on', 'severe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--fail-on must be one of info, low, medium, high, critical/);
  });

  it('reports weak secrets written as literals in the app and the modules it imports, with file and line', async () => {
    const dir = 'tests/fixtures/cli/literal-secrets';
    const text = await covetDone(['security-scan', `${dir}/app.ts`, '--no-audit']);
    assert.equal(text.code, 1, text.stderr);
    const line = (severity: string, message: string) => `${severity.padEnd(8)} COVET002  Weak or default secret: ${message}`;
    assert.equal(
      text.stdout,
      [
        line('CRITICAL', `literal JWTAuth secret at ${dir}/app.ts:8 is a known default value.`),
        line('CRITICAL', `literal secretKey at ${dir}/app.ts:9 is a known default value.`),
        line('CRITICAL', `literal SECRET_KEY at ${dir}/auth.ts:6 is a known default value.`),
        line('CRITICAL', `literal secretKey at ${dir}/auth.ts:10 is a known default value.`),
        line('CRITICAL', `literal secret at ${dir}/auth.ts:12, used wherever $SESSION_SECRET is unset, is a known default value.`),
        line('HIGH', `literal secretKey at ${dir}/app.ts:12 is only 5 characters (use at least 32).`),
        line('HIGH', `literal jwtSecret at ${dir}/auth.ts:7 is only 13 characters (use at least 32).`),
        line('HIGH', `literal JWTAuth secret at ${dir}/auth.ts:13, used wherever $SIGNING_KEY is unset, is only 15 characters (use at least 32).`),
        '',
        '8 findings: 5 critical, 3 high',
        '',
      ].join('\n'),
    );
    // Secrets from process.env, strong literals, comments and unimported modules are not reported;
    // the values themselves never appear.
    assert.doesNotMatch(text.stdout, /unused\.ts|app\.ts:1[5-9]|app\.ts:2\d|auth\.ts:1[56]|changeme|secret-key\.|keyboard|\$PORT|\$KEY\b/);
    assert.equal((await covetDone(['security-scan', `${dir}/app.ts`, '--no-audit', '--fail-on', 'critical'])).code, 1);

    const sarif = await covetDone(['security-scan', `${dir}/app.ts`, '--no-audit', '--format', 'sarif']);
    assert.equal(sarif.code, 1);
    const results = (
      JSON.parse(sarif.stdout) as {
        runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[] }[] }[];
      }
    ).runs[0]?.results;
    assert.deepEqual(
      results?.map((r) => [r.ruleId, r.level, r.locations[0]?.physicalLocation.artifactLocation.uri, r.locations[0]?.physicalLocation.region?.startLine]),
      [
        ['COVET002', 'error', `${dir}/app.ts`, 8],
        ['COVET002', 'error', `${dir}/app.ts`, 9],
        ['COVET002', 'error', `${dir}/auth.ts`, 6],
        ['COVET002', 'error', `${dir}/auth.ts`, 10],
        ['COVET002', 'error', `${dir}/auth.ts`, 12],
        ['COVET002', 'error', `${dir}/app.ts`, 12],
        ['COVET002', 'error', `${dir}/auth.ts`, 7],
        ['COVET002', 'error', `${dir}/auth.ts`, 13],
      ],
    );
  });

  it('reads the source only when given the entry module, and reports a config value once', async () => {
    const findings = await scanApp(insecure, { audit: false, entry: 'tests/fixtures/cli/insecure.ts', cwd: root });
    assert.deepEqual(
      findings.filter((f) => f.rule === 'COVET002').map((f) => [f.severity, f.message, f.location]),
      [
        ['critical', 'literal SECRET_KEY at tests/fixtures/cli/insecure.ts:15 is a known default value.', { file: 'tests/fixtures/cli/insecure.ts', line: 15 }],
        ['high', 'literal JWT_SECRET at tests/fixtures/cli/insecure.ts:15 is only 5 characters (use at least 32).', { file: 'tests/fixtures/cli/insecure.ts', line: 15 }],
      ],
    );
  });

  it('writes SARIF 2.1.0 for code scanning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-sarif-'));
    try {
      const out = join(dir, 'scan.sarif');
      const r = await covetDone(['security-scan', 'tests/fixtures/cli/insecure.ts', '--no-audit', '--format', 'sarif', '--output', out, '--fail-on', 'critical']);
      assert.equal(r.code, 1);
      const sarif = JSON.parse(readFileSync(out, 'utf8')) as {
        version: string;
        runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string } }[] }[];
      };
      assert.equal(sarif.version, '2.1.0');
      const run = sarif.runs[0];
      assert.ok(run);
      assert.equal(run.tool.driver.name, 'covet security-scan');
      assert.equal(run.results.length, 9);
      for (const result of run.results) {
        assert.equal(run.tool.driver.rules[result.ruleIndex]?.id, result.ruleId);
        assert.ok(['error', 'warning', 'note'].includes(result.level));
      }
      assert.deepEqual(run.results.filter((x) => x.ruleId === 'COVET002').map((x) => x.level), ['error', 'error']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every body route\'s limits without running its middleware or handler', async () => {
    const calls: string[] = [];
    const app = new CovetApp({ bodyLimit: 2 * 1024 * 1024, multipart: { maxTotalSize: 5 * 1024 * 1024 } });
    app.middleware('audit', (req: Request, callNext: CallNext) => {
      calls.push(`middleware ${req.method} ${req.path}`);
      return callNext(req);
    });
    app.get('/', () => 'home');
    app.post('/a', () => calls.push('handler /a'));
    app.put('/b/{id:int}/{ref:uuid}', { bodyLimit: 0, multipart: { maxTotalSize: 1024 } }, () => calls.push('handler /b'));
    app.delete('/files/{rest:path}', () => calls.push('handler /files'));
    const sub = new CovetApp();
    sub.post('/hook', () => calls.push('handler mounted'));
    app.mount('/sub', sub);

    assert.deepEqual(await readRouteLimits(app), [
      { method: 'POST', path: '/a', bodyLimit: 2 * 1024 * 1024, uploadLimit: 5 * 1024 * 1024 },
      { method: 'PUT', path: '/b/{id:int}/{ref:uuid}', bodyLimit: 0, uploadLimit: 1024 },
      { method: 'DELETE', path: '/files/{rest:path}', bodyLimit: 2 * 1024 * 1024, uploadLimit: 5 * 1024 * 1024 },
      // A mounted app keeps its own limits (the defaults here).
      { method: 'POST', path: '/sub/hook', bodyLimit: 1024 * 1024, uploadLimit: 100 * 1024 * 1024 },
    ]);
    assert.deepEqual(calls, []);
    // The probe is gone afterwards: the app answers and lists its routes as before.
    assert.ok(app.routeTable().every((r) => !r.middleware.includes('covet-security-scan-probe')));
    assert.equal((await app.inject({ method: 'POST', url: '/a' })).status, 200);
    assert.deepEqual(calls, ['middleware POST /a', 'handler /a']);
  });

  it('reports raised, unlimited and unbounded multipart limits, grouped by value', () => {
    const MiB = 1024 * 1024;
    const r = (path: string, bodyLimit: number, uploadLimit = 100 * MiB) => ({ method: 'POST', path, bodyLimit, uploadLimit });
    assert.deepEqual(judgeLimits([r('/ok', MiB), r('/ten', 10 * MiB)]), []);
    assert.deepEqual(judgeLimits([r('/a', 64 * MiB), r('/b', 64 * MiB), r('/c', Number.POSITIVE_INFINITY), r('/d', MiB, 2048 * MiB)]), [
      { severity: 'high', message: 'bodyLimit is unlimited on POST /c (above 10 MiB): JSON, text and form bodies are held in memory.' },
      { severity: 'medium', message: 'bodyLimit is 64 MiB on POST /a, POST /b (above 10 MiB): JSON, text and form bodies are held in memory.' },
      { severity: 'medium', message: 'multipart maxTotalSize is 2 GiB on POST /d (above 1 GiB): uploads can fill memory or disk.' },
    ]);
    assert.deepEqual(
      judgeLimits([r('/a', 2 * MiB), r('/b', 2 * MiB), r('/c', 2 * MiB), r('/d', 2 * MiB), r('/e', MiB, 300 * MiB)], { bodyLimit: MiB, uploadLimit: 200 * MiB }).map((p) => p.message),
      [
        'bodyLimit is 2 MiB on POST /a, POST /b, POST /c and 1 more (above 1 MiB): JSON, text and form bodies are held in memory.',
        'multipart maxTotalSize is 300 MiB on POST /e (above 200 MiB): uploads can fill memory or disk.',
      ],
    );
    assert.deepEqual([formatBytes(512), formatBytes(4096), formatBytes(1.5 * MiB), formatBytes(3 * 1024 * MiB), formatBytes(Number.POSITIVE_INFINITY)], [
      '512 bytes',
      '4 KiB',
      '1.5 MiB',
      '3 GiB',
      'unlimited',
    ]);
  });

  it('prints missing body/upload limits as text and SARIF with exit codes', async () => {
    const text = await covetDone(['security-scan', 'tests/fixtures/cli/unbounded.ts', '--no-audit']);
    assert.equal(text.code, 1, text.stderr);
    assert.equal(
      text.stdout,
      [
        'HIGH     COVET008  Missing body/upload limit: bodyLimit is unlimited on POST /import (above 10 MiB): JSON, text and form bodies are held in memory.',
        'HIGH     COVET008  Missing body/upload limit: multipart maxTotalSize is unlimited on POST /upload (above 1 GiB): uploads can fill memory or disk.',
        'MEDIUM   COVET008  Missing body/upload limit: bodyLimit is 64 MiB on POST /items, PUT /items/{id:int} (above 10 MiB): JSON, text and form bodies are held in memory.',
        '',
        '3 findings: 2 high, 1 medium',
        '',
      ].join('\n'),
    );
    assert.equal((await covetDone(['security-scan', 'tests/fixtures/cli/unbounded.ts', '--no-audit', '--fail-on', 'critical'])).code, 0);
    const sarif = await covetDone(['security-scan', 'tests/fixtures/cli/unbounded.ts', '--no-audit', '--format', 'sarif']);
    assert.equal(sarif.code, 1);
    const run = (JSON.parse(sarif.stdout) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string }[] }[] })
      .runs[0];
    assert.deepEqual(
      run?.results.map((x) => [x.ruleId, x.level, run.tool.driver.rules[x.ruleIndex]?.id]),
      [
        ['COVET008', 'error', 'COVET008'],
        ['COVET008', 'error', 'COVET008'],
        ['COVET008', 'warning', 'COVET008'],
      ],
    );
  });

  it('runs npm audit when it can and never fails the scan when it cannot (offline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-audit-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "name": "audit-me", "version": "1.0.0", "type": "module" }\n');
      writeFileSync(join(dir, 'package-lock.json'), '{ "name": "audit-me", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": { "": { "name": "audit-me", "version": "1.0.0" } } }\n');
      const r = await covetDone(['security-scan', join(root, 'tests/fixtures/cli/secure.ts'), '--fail-on', 'low'], { cwd: dir, env: { npm_config_registry: 'http://127.0.0.1:9/' , npm_config_fetch_retries: '0' } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /No findings\.|INFO {5}COVET000 {2}Check not run: npm audit not available/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
