// Type-checks the documentation's examples: every ```ts block in docs/*.md whose first line is
// `// runnable` (the ones tests/unit/docs.test.ts and tests/integration/cli/docs.test.ts run) is
// written to a temp folder, its `covet` imports pointed at src/, and compiled with the project's
// strict settings (`strict`, `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`), so an
// example a user copies compiles as well as runs. The folder is tests/.tmp-docs-types-<pid>/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(ROOT, 'docs');
const TMP = join(ROOT, 'tests', `.tmp-docs-types-${process.pid}`);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** `covet` → src/index.ts, `covet/<sub>` → src/<sub>/index.ts, as a relative `.js` specifier. */
function rewriteImports(code: string): string {
  return code.replace(/(\bfrom\s+|\bmodule\s+)(['"])(covet(?:\/[a-z]+)*)\2/g, (whole, keyword: string, quote: string, name: string) => {
    const file = name === 'covet' ? join(ROOT, 'src', 'index.ts') : join(ROOT, 'src', name.slice('covet/'.length), 'index.ts');
    if (!existsSync(file)) return whole;
    return `${keyword}${quote}${relative(TMP, file).replace(/\.ts$/, '.js')}${quote}`;
  });
}

describe('docs examples type-check', { timeout: 120_000 }, () => {
  after(() => {
    rmSync(TMP, { recursive: true, force: true });
  });

  it('compiles every runnable example under the strict settings', () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    let count = 0;
    for (const page of readdirSync(DOCS).filter((name) => name.endsWith('.md')).sort()) {
      const text = readFileSync(join(DOCS, page), 'utf8');
      const fence = /^```ts[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
      let index = 0;
      for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
        const code = m[1] ?? '';
        if (code.split('\n', 1)[0]?.trim() !== '// runnable') continue;
        const line = text.slice(0, m.index).split('\n').length;
        index++;
        count++;
        // `export {}` keeps each file a module (top-level await, no shared names).
        writeFileSync(join(TMP, `${page.replace(/\.md$/, '')}-${index}-line${line}.ts`), `${rewriteImports(code)}\nexport {};\n`);
      }
    }
    assert.ok(count > 100, `found only ${count} runnable examples`);
    // better-sqlite3 ships no types (the project reads it through its own structural types); a
    // user has @types/better-sqlite3, whose statements return `unknown` rows: the same shapes here.
    writeFileSync(
      join(TMP, 'shims.d.ts'),
      `declare module 'better-sqlite3' {
  interface RunResult { changes: number; lastInsertRowid: number | bigint }
  interface Statement { run(...params: unknown[]): RunResult; get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] }
  class Database { constructor(filename?: string); prepare(source: string): Statement; exec(source: string): this; close(): this }
  export default Database;
}
`,
    );
    writeFileSync(join(TMP, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { rootDir: '../..' }, include: ['*.ts'] }));
    const r = spawnSync(process.execPath, [TSC, '-p', join(TMP, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
