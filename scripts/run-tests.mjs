#!/usr/bin/env node
// Runs the test suite with Node's own runner. Node 20's `node --test` takes no globs and finds
// no .ts files by itself, so the files are listed here.
//   node scripts/run-tests.mjs                 # every tests/**/*.test.ts
//   node scripts/run-tests.mjs tests/unit      # only below a folder (or name single files)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'node_modules' || name === 'fixtures') continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith('.test.ts') || path.endsWith('.test.mjs')) {
    out.push(relative(root, path));
  }
  return out;
}
const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['tests']).flatMap((t) => collect(join(root, t), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.COVET_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
