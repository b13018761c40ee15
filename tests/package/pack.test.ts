// The published shape: `npm pack` the project, install the tarball into a fresh app with no
// other packages, and serve a request from it. Needs `dist/` (`npm test` builds first).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const CHECK_SCRIPT = `
import { CovetApp } from 'covet';
import { TestClient } from 'covet/testing';

const app = new CovetApp();
app.get('/', () => ({ message: 'Hello from the tarball' }));
app.get('/users/{id:int}', (req) => ({ id: req.params.id, type: typeof req.params.id }));

const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
try {
  const res = await fetch(url + '/');
  const user = await fetch(url + '/users/7');
  console.log(JSON.stringify({ status: res.status, body: await res.json(), user: await user.json() }));
} finally {
  await app.close();
}
const client = new TestClient(app);
const res = await client.get('/');
console.log(JSON.stringify({ inProcess: res.status, body: res.json() }));
await client.close();
`;

describe('npm package', { timeout: 120_000 }, () => {
  let tmp = '';
  let appDir = '';

  before(async () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` first (`npm test` does)');
    tmp = await mkdtemp(join(tmpdir(), 'covet-pack-'));
    const packed = await run(NPM, ['pack', '--pack-destination', tmp, '--json', '--no-fund', '--no-audit'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    assert.ok(info, 'npm pack reported no file');
    const tarball = join(tmp, info.filename);
    appDir = join(tmp, 'app');
    await mkdir(appDir);
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'covet-pack-check', private: true, type: 'module' }));
    // Zero runtime dependencies, so the install needs no registry at all.
    await run(NPM, ['install', tarball, '--no-audit', '--no-fund', '--offline', '--no-package-lock'], { cwd: appDir, maxBuffer: 16 * 1024 * 1024 });
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('installs without pulling in any other package', async () => {
    const installed = (await readdir(join(appDir, 'node_modules'))).filter((name) => !name.startsWith('.'));
    assert.deepEqual(installed, ['covet']);
    const pkg = JSON.parse(await readFile(join(appDir, 'node_modules', 'covet', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg.dependencies, undefined);
    // The build ships; sources, tests and tooling do not.
    const shipped = await readdir(join(appDir, 'node_modules', 'covet'));
    assert.ok(shipped.includes('dist') && shipped.includes('package.json'), shipped.join(', '));
    for (const name of ['src', 'tests', 'bench', 'scripts', 'node_modules', 'tsconfig.json']) {
      assert.ok(!shipped.includes(name), `${name} should not be in the package`);
    }
    assert.ok(existsSync(join(appDir, 'node_modules', 'covet', 'dist', 'index.d.ts')), 'the type declarations ship');
    for (const name of ['README.md', 'LICENSE']) assert.ok(shipped.includes(name), `${name} should be in the package`);
  });

  // A source map (`.js.map`, `.d.ts.map`) names its sources by path; the sources (src/) do not
  // ship, so a map would send debuggers and "go to definition" to files that are not there.
  it('ships no source map that points to a file missing from the package', async () => {
    const pkgDir = join(appDir, 'node_modules', 'covet');
    const broken: string[] = [];
    for (const file of (await readdir(pkgDir, { recursive: true })).map(String)) {
      if (!file.endsWith('.map')) continue;
      const map = JSON.parse(await readFile(join(pkgDir, file), 'utf8')) as { sources?: string[]; sourcesContent?: unknown[] };
      for (const [i, source] of (map.sources ?? []).entries()) {
        if (typeof map.sourcesContent?.[i] === 'string') continue;
        if (!existsSync(join(pkgDir, dirname(file), source))) broken.push(`${file} -> ${source}`);
      }
    }
    assert.deepEqual(broken.slice(0, 5), []);
  });

  it('serves a request from the installed package, over a socket and in-process', async () => {
    await writeFile(join(appDir, 'check.mjs'), CHECK_SCRIPT);
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: appDir, timeout: 30_000 });
    const [overSocket, inProcess] = stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(overSocket, { status: 200, body: { message: 'Hello from the tarball' }, user: { id: 7, type: 'number' } });
    assert.deepEqual(inProcess, { inProcess: 200, body: { message: 'Hello from the tarball' } });
  });

  // The project `npm init` makes: no `"type": "module"`, so a `.ts` file is CommonJS to Node
  // and tsx; the app file still uses `import`. tsx is the project's dev dependency.
  it('loads a TypeScript app in a project without "type": "module"', async () => {
    const project = join(tmp, 'cjs-app');
    await mkdir(join(project, 'node_modules'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'covet-cjs-check', private: true }));
    await symlink(join(appDir, 'node_modules', 'covet'), join(project, 'node_modules', 'covet'), 'dir');
    await symlink(join(ROOT, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'), 'dir');
    await writeFile(
      join(project, 'app.ts'),
      "import { CovetApp } from 'covet';\nexport default { name: 'not an app' };\nexport const app = new CovetApp();\napp.get('/hello', (): { message: string } => ({ message: 'Hello, World!' }));\n",
    );
    const cli = join(project, 'node_modules', 'covet', 'dist', 'cli', 'main.js');
    const routes = await run(process.execPath, [cli, 'routes', 'app.ts'], { cwd: project, timeout: 30_000 });
    assert.match(routes.stdout, /GET\s+\/hello/);
    const named = await run(process.execPath, [cli, 'routes', 'app.ts:app'], { cwd: project, timeout: 30_000 });
    assert.match(named.stdout, /GET\s+\/hello/);
  });

  // Every subpath export, as a TypeScript user and a CommonJS user reach it: the types resolve
  // under `nodenext` and `bundler` from the installed package alone (no types of the optional
  // peers leak into the declarations), and `require()` loads each entry point (Node's
  // require(esm): no top-level await anywhere in the build).
  it('resolves every subpath export: types (nodenext, bundler) and require()', async () => {
    const pkg = JSON.parse(await readFile(join(appDir, 'node_modules', 'covet', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const specifiers = Object.keys(pkg.exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? 'covet' : `covet/${key.slice(2)}`));
    assert.ok(specifiers.length > 10, specifiers.join(', '));
    const project = join(tmp, 'types-app');
    await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'covet-types-check', private: true, type: 'module' }));
    await symlink(join(appDir, 'node_modules', 'covet'), join(project, 'node_modules', 'covet'), 'dir');
    await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    await symlink(join(ROOT, 'node_modules', 'undici-types'), join(project, 'node_modules', 'undici-types'), 'dir');
    const lines = specifiers.map((s, i) => `import * as m${i} from '${s}';\nexport const k${i}: string[] = Object.keys(m${i});`);
    await writeFile(
      join(project, 'main.ts'),
      `${lines.join('\n')}\nimport { CovetApp } from 'covet';\nconst app = new CovetApp();\napp.get('/users/{id:int}', (req) => ({ next: req.params.id + 1 }));\n`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution] of [
      ['nodenext', 'nodenext'],
      ['esnext', 'bundler'],
    ]) {
      const options = {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        noEmit: true,
        target: 'es2022',
        lib: ['es2023'],
        types: ['node'],
        module,
        moduleResolution,
      };
      await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['main.ts'] }));
      const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 60_000 }).catch((err: { stdout?: string }) => err);
      assert.equal('code' in checked ? checked.code : 0, 0, `${moduleResolution}: ${checked.stdout ?? ''}`);
    }
    await writeFile(
      join(project, 'check.cjs'),
      `for (const s of ${JSON.stringify(specifiers)}) console.log(s, Object.keys(require(s)).length > 0);\n`,
    );
    const { stdout } = await run(process.execPath, ['check.cjs'], { cwd: project, timeout: 30_000 });
    assert.deepEqual(stdout.trim().split('\n'), specifiers.map((s) => `${s} true`));
  });

  // No tsx anywhere in this project. Node 22.18+ and 24 strip types themselves (`node app.ts`
  // runs), so the command loads the module as Node would; Node 20 cannot, and says to install tsx.
  it('loads a TypeScript app without tsx where Node strips types, else asks for tsx', async () => {
    await writeFile(
      join(appDir, 'app.ts'),
      "import { CovetApp } from 'covet';\nconst app = new CovetApp();\napp.get('/items/{id:int}', (req): { id: number } => ({ id: req.params.id }));\nawait app.listen({ port: 8000 });\n",
    );
    await writeFile(join(appDir, 'enum.ts'), "import { CovetApp } from 'covet';\nenum Color { Red }\nexport const app = new CovetApp();\napp.get('/', () => ({ c: Color.Red }));\n");
    const cli = join(appDir, 'node_modules', 'covet', 'dist', 'cli', 'main.js');
    const routes = await run(process.execPath, [cli, 'routes', 'app.ts'], { cwd: appDir, timeout: 30_000 }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    const withEnum = await run(process.execPath, [cli, 'routes', 'enum.ts'], { cwd: appDir, timeout: 30_000 }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    if ((process.features as { typescript?: string | false }).typescript) {
      assert.equal('code' in routes ? routes.code : 0, 0, routes.stderr);
      assert.match(routes.stdout, /GET\s+\/items\/\{id:int\}/);
      assert.equal('code' in withEnum ? withEnum.code : 0, 4);
      assert.match(withEnum.stderr, /cannot load enum\.ts: .*does not transform this syntax: npm install -D tsx/);
    } else {
      assert.equal('code' in routes ? routes.code : 0, 4);
      assert.match(routes.stderr, /app\.ts is TypeScript and tsx is not installed: npm install -D tsx/);
    }
  });

  // Through the node_modules/.bin symlink, as users run it.
  it('installs a working `covet` bin', async () => {
    const bin = join(appDir, 'node_modules', '.bin', 'covet');
    const { stdout } = await run(bin, ['--help'], { cwd: appDir, timeout: 30_000 });
    assert.match(stdout, /Usage:/);
    assert.match(stdout, /covet run/);
    const version = await run(bin, ['--version'], { cwd: appDir, timeout: 30_000 });
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });
});
