import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { covetDone, root } from './helpers.js';

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Not as a subtest of this run: the scaffolded project runs its own test runner.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('covet new', { timeout: 180_000 }, () => {
  let tmp = '';
  let pkg = '';
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'covet-new-'));
    // The package as npm would install it: package.json and a fresh build of src/ (dist/ of
    // the checkout is left alone).
    pkg = join(tmp, 'covet-pkg');
    mkdirSync(pkg);
    copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
    const build = await sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], root);
    assert.equal(build.code, 0, build.out);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('scaffolds a project that installs offline and passes its own tests', async () => {
    const made = await covetDone(['new', 'my-app', '--covet-spec', `file:${pkg}`], { cwd: tmp });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Created .*my-app[\s\S]*npm install/);
    const app = join(tmp, 'my-app');
    for (const f of ['package.json', 'app.ts', 'tests/app.test.ts', 'tsconfig.json', 'Dockerfile', 'README.md', '.gitignore', '.dockerignore']) {
      assert.ok(existsSync(join(app, f)), f);
    }
    assert.equal((JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: { covet: string } }).dependencies.covet, `file:${pkg}`);
    const install = await sh('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);
    assert.equal(install.code, 0, install.out);
    const test = await sh('npm', ['test'], app);
    assert.equal(test.code, 0, test.out);
    assert.match(test.out, /# pass 3/);
    // The installed `covet` command works in the project, TypeScript included.
    const routes = await sh(join(app, 'node_modules/.bin/covet'), ['routes', 'app.ts'], app);
    assert.equal(routes.code, 0, routes.out);
    assert.match(routes.out, /GET\s+\/items\/\{id:int\}\s+get_item/);
  });

  it('refuses bad names and non-empty folders', async () => {
    const bad = await covetDone(['new', 'My App'], { cwd: tmp });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /project name must be lowercase/);
    const missing = await covetDone(['new'], { cwd: tmp });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /covet new needs a project name/);
    mkdirSync(join(tmp, 'taken'));
    copyFileSync(join(root, 'package.json'), join(tmp, 'taken', 'x.json'));
    const taken = await covetDone(['new', 'taken'], { cwd: tmp });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /taken exists and is not empty/);
    // `covet new .` scaffolds into the current folder, named after it, when it is empty.
    mkdirSync(join(tmp, 'here-app'));
    const here = await covetDone(['new', '.', '--covet-spec', `file:${pkg}`], { cwd: join(tmp, 'here-app') });
    assert.equal(here.code, 0, here.stderr);
    assert.equal((JSON.parse(readFileSync(join(tmp, 'here-app', 'package.json'), 'utf8')) as { name: string }).name, 'here-app');
    const again = await covetDone(['new', '.'], { cwd: join(tmp, 'here-app') });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /here-app exists and is not empty/);
    mkdirSync(join(tmp, 'Upper'));
    const upper = await covetDone(['new', '.'], { cwd: join(tmp, 'Upper') });
    assert.equal(upper.code, 2);
    assert.match(upper.stderr, /project name must be lowercase letters, digits, "\.", "_" or "-", got "Upper" \(from "\."\)/);
  });
});
