#!/usr/bin/env node
// Runs the test suite with Node's own runner. Node 20's `node --test` takes no globs and finds
// no .ts files by itself, so the files are listed here.
//   node scripts/run-tests.mjs                 # every tests/**/*.test.ts
//   node scripts/run-tests.mjs tests/unit      # only below a folder (or name single files)
// The tests run on the Node that runs this script, so another release line is one command:
//   npx -y -p node@22 node scripts/run-tests.mjs tests/unit
// better-sqlite3 is a native addon built for the Node that installed it; on a Node with another
// ABI (22 and 24 against an install made with 20) the tests that need it are skipped, by name,
// with the reason printed (see `sqliteSkips` below); any other test that fails only because the
// addon cannot load is listed and not counted. Every other failure is listed again at the end
// of the output, with the start of its error (scripts/failure-reporter.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

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

/** Why better-sqlite3 cannot be used on this Node, or `null` when it can (or is not installed). */
function sqliteUnavailable() {
  try {
    const Database = createRequire(join(root, 'package.json'))('better-sqlite3');
    new Database(':memory:').close();
    return null;
  } catch (err) {
    if (err?.code === 'MODULE_NOT_FOUND') return null;
    return `better-sqlite3 does not load on Node ${process.version} (ABI ${process.versions.modules}): ${String(err?.message ?? err).split('\n')[0]}`;
  }
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Names of the tests that need better-sqlite3: tests and suites that say SQLite in their name
 * (the convention for new ones), the seed examples that use it, and every runnable docs example
 * that mentions SQLite (named the way tests/unit/docs.test.ts names them).
 */
function sqliteSkips() {
  const names = [
    'cache_result memoizes get_user_preferences and cache_page caches the dashboard',
    'runs the seed example: database and redis checks under /health',
    'offers database and Redis checks over structural interfaces',
  ].map(escapeRegExp);
  names.unshift('/sqlite/i');
  const docs = join(root, 'docs');
  for (const page of readdirSync(docs).filter((n) => n.endsWith('.md'))) {
    const text = readFileSync(join(docs, page), 'utf8');
    const fence = /^```ts[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
    let index = 0;
    for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
      const code = m[1] ?? '';
      if (code.split('\n', 1)[0]?.trim() !== '// runnable') continue;
      index++;
      const line = text.slice(0, m.index).split('\n').length;
      if (/sqlite/i.test(code)) names.push(escapeRegExp(`runs docs/${page} example ${index} (line ${line})`));
    }
  }
  return names;
}

const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['tests']).flatMap((t) => collect(join(root, t), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.COVET_TEST_CONCURRENCY ?? '2';
const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`];
const noSqlite = sqliteUnavailable();
if (noSqlite !== null && process.allowedNodeEnvironmentFlags.has('--test-skip-pattern')) {
  const skips = sqliteSkips();
  console.log(`# ${noSqlite}\n# skipping the ${skips.length} test name patterns that need it (rebuild it for this Node to run them)`);
  for (const pattern of skips) args.push(`--test-skip-pattern=${pattern}`);
} else if (noSqlite !== null) {
  // Node 20 has no --test-skip-pattern: the tests that need better-sqlite3 will fail.
  console.log(`# ${noSqlite}\n# the tests that need it will fail: npm rebuild better-sqlite3`);
}
// The usual reporter on stdout (spec on a terminal, TAP otherwise), and one that collects the
// failures for the summary below.
const verdicts = join(mkdtempSync(join(tmpdir(), 'covet-tests-')), 'failures.json');
args.push(`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout');
args.push(`--test-reporter=${join(root, 'scripts/failure-reporter.mjs')}`, `--test-reporter-destination=${verdicts}`);
const r = spawnSync(process.execPath, [...args, ...files], {
  cwd: root,
  stdio: 'inherit',
});
let status = r.status ?? 1;
try {
  const { native, other } = JSON.parse(readFileSync(verdicts, 'utf8'));
  if (native.length > 0) {
    console.log(`\n# ${native.length} more test(s) failed only because better-sqlite3 cannot load on this Node (not counted):`);
    for (const name of native) console.log(`#   ${name}`);
    console.log('# name them with "SQLite" to have them skipped');
  }
  // Tests that fail only because the addon cannot load do not fail the run on another Node.
  if (status !== 0 && other.length === 0 && native.length > 0 && noSqlite !== null) status = 0;
  if (other.length > 0) {
    console.log(`\n# ${other.length} test(s) failed:`);
    for (const { where, error } of other) console.log(`\n# ${where}\n${error.replace(/^/gm, '#   ')}`);
  }
} catch {
  // No verdicts (the runner itself failed): keep its status.
} finally {
  rmSync(dirname(verdicts), { recursive: true, force: true });
}
process.exit(status);
