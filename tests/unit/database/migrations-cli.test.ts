import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMigrateCommand } from '../../../src/database/migrations/cli.js';

const MIGRATION_MODULE = join(process.cwd(), 'src', 'database', 'migrations', 'migration.ts');

function migrationSource(sql: string): string {
  return `import { Migration } from ${JSON.stringify(MIGRATION_MODULE)};\nexport default class M extends Migration {\n  up() { return ${JSON.stringify(sql)}; }\n  down() { return 'DROP TABLE t'; }\n}\n`;
}

describe('covet migrate (runMigrateCommand)', () => {
  it('applies past an edited migration only with --allow-changed (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-migrate-cli-'));
    const out: string[] = [];
    const write = (s: string) => {
      out.push(s);
    };
    try {
      const directory = join(dir, 'migrations');
      const database = `sqlite:///${join(dir, 'app.db')}`;
      const common = ['--database', database, '--directory', directory];
      mkdirSync(directory);
      writeFileSync(join(directory, '0001_t.ts'), migrationSource('CREATE TABLE t (id INTEGER)'));
      assert.equal(await runMigrateCommand(['up', ...common], write), 0);
      writeFileSync(join(directory, '0001_t.ts'), migrationSource('CREATE TABLE t (id INTEGER, x TEXT)'));
      writeFileSync(join(directory, '0002_u.ts'), migrationSource('CREATE TABLE u (id INTEGER)'));
      await assert.rejects(runMigrateCommand(['up', ...common], write), /checksum mismatch.*covet migrate up --allow-changed/);
      out.length = 0;
      assert.equal(await runMigrateCommand(['up', '--allow-changed', ...common], write), 0);
      assert.deepEqual(out, ['applied 0002_u\n']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --allow-changed on other commands with exit code 2', async () => {
    assert.equal(await runMigrateCommand(['down', '--allow-changed', '--database', 'sqlite:///:memory:'], () => {}), 2);
  });
});
