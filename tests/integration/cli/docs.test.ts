// Runs the `// runnable` examples of docs/cli.md, docs/config.md and docs/deployment.md the way
// tests/unit/docs.test.ts runs the other pages: `covet` imports pointed at src/, run with tsx.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root } from './helpers.js';

function rewrite(code: string): string {
  return code.replace(/(\bfrom\s+)(['"])(covet(?:\/[a-z]+)*)\2/g, (whole, from: string, q: string, name: string) => {
    const file = name === 'covet' ? join(root, 'src/index.ts') : join(root, 'src', name.slice(6), 'index.ts');
    return existsSync(file) ? `${from}${q}${file}${q}` : whole;
  });
}

describe('docs: cli, config, deployment', { timeout: 180_000 }, () => {
  for (const page of ['cli.md', 'config.md', 'deployment.md']) {
    const text = readFileSync(join(root, 'docs', page), 'utf8');
    const fence = /^```ts[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
    let n = 0;
    for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
      const code = m[1] ?? '';
      if (code.split('\n', 1)[0]?.trim() !== '// runnable') continue;
      const index = ++n;
      it(`${page} example ${index} runs`, () => {
        const dir = mkdtempSync(join(root, 'tests', '.tmp-cli-docs-'));
        try {
          const file = join(dir, 'example.ts');
          writeFileSync(file, rewrite(code));
          const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
          assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
