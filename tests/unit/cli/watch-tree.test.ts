import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { watchTree } from '../../../src/cli/watch-tree.js';

/** Resolves when `seen` holds `path`, or rejects after `ms`. */
async function until(seen: Set<string>, path: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (seen.has(path)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no change seen for ${path}; seen: ${[...seen].join(', ')}`);
}

describe('watchTree', () => {
  it('reports every save of a file, also when it is saved by renaming a new file over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-watch-'));
    const seen = new Set<string>();
    writeFileSync(join(dir, 'app.ts'), 'one');
    const watcher = watchTree(dir, (path) => seen.add(path), () => false);
    try {
      for (const text of ['two', 'three', 'four']) {
        seen.clear();
        writeFileSync(join(dir, 'app.ts.tmp'), text);
        renameSync(join(dir, 'app.ts.tmp'), join(dir, 'app.ts'));
        await until(seen, 'app.ts');
      }
    } finally {
      watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('watches folders created later, and skips ignored ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-watch-'));
    mkdirSync(join(dir, 'node_modules'));
    const seen = new Set<string>();
    const watcher = watchTree(dir, (path) => seen.add(path), (path) => path.startsWith('node_modules'));
    try {
      mkdirSync(join(dir, 'src', 'routes'), { recursive: true });
      await until(seen, 'src');
      // The new folders are watched once seen; give the watcher a moment to be set up.
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(join(dir, 'src', 'routes', 'users.ts'), 'x');
      await until(seen, join('src', 'routes', 'users.ts'));
      writeFileSync(join(dir, 'node_modules', 'dep.js'), 'x');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(![...seen].some((p) => p.startsWith('node_modules')), [...seen].join(', '));
    } finally {
      watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
