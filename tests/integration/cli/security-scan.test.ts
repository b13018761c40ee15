import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanApp, weakSecretReason } from '../../../src/cli/security-scan.js';
import { CovetApp } from '../../../src/index.js';
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
    assert.match(text.stdout, /^CRITICAL COVET002 {2}Weak or default secret: config SECRET_KEY is a known default value\.$/m);
    assert.match(text.stdout, /9 findings: 1 critical, 4 high, 3 medium, 1 low/);
    const secure = await covetDone(['security-scan', 'tests/fixtures/cli/secure.ts', '--no-audit', '--fail-on', 'low']);
    assert.equal(secure.code, 0, secure.stdout + secure.stderr);
    assert.equal(secure.stdout, 'No findings.\n');
    const bad = await covetDone(['security-scan', 'tests/fixtures/cli/secure.ts', '--fail-on', 'severe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--fail-on must be one of info, low, medium, high, critical/);
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
