import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { covet, covetDone, root } from './helpers.js';

const APP = 'tests/fixtures/cli/app.ts';

describe('covet CLI: help, flags and bad input', { timeout: 180_000 }, () => {
  it('prints help for the CLI and every command, and the version', async () => {
    const top = await covetDone(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /covet run/);
    for (const cmd of ['run', 'routes', 'performance-test']) {
      const r = await covetDone([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Usage: covet ${cmd}`));
    }
    const v = await covetDone(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    assert.equal((await covetDone([])).code, 2);
  });

  it('rejects bad flags and values with exit code 2', async () => {
    const unknownFlag = await covetDone(['run', APP, '--bogus']);
    assert.equal(unknownFlag.code, 2);
    assert.equal(unknownFlag.stderr, 'covet: unknown option --bogus\nRun "covet --help" for usage.\n');
    const port = await covetDone(['run', APP, '--port', 'eighty']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be an integer 0-65535, got eighty/);
    const workers = await covetDone(['run', APP, '--workers', '-3']);
    assert.equal(workers.code, 2);
    assert.match(workers.stderr, /--workers/);
    const cmd = await covetDone(['deploy']);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command "deploy"/);
    // A flag of another command is bad usage too, not silently ignored.
    const cases: [string[], RegExp][] = [
      [['routes', APP, '--workers', '4'], /covet routes takes no --workers/],
      [['security-scan', APP, '--json'], /covet security-scan takes no --json/],
      [['run', APP, '--format', 'sarif'], /covet run takes no --format/],
      [['new', 'x', '--reload'], /covet new takes no --reload/],
      [['routes', `${APP}:`], /nothing after ":"/],
    ];
    for (const [args, message] of cases) {
      const r = await covetDone(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
    const envPort = await covetDone(['run', APP], { env: { PORT: 'abc' } });
    assert.equal(envPort.code, 2);
    assert.match(envPort.stderr, /PORT \(from the environment\) must be an integer 0-65535, got abc/);
    const help = await covetDone(['help', 'run']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: covet run/);
  });

  it('answers bad migrate usage with exit code 2 before connecting', async () => {
    const env = { DATABASE_URL: '' };
    const cases: [string[], RegExp][] = [
      [['migrate', 'up', '--bogus'], /^covet: unknown option --bogus\n/],
      [['migrate', 'down', '--steps', 'x'], /--steps takes a positive integer, got x/],
      [['migrate', 'up', '--steps=-1'], /--steps takes a positive integer, got -1/],
      [['migrate', 'down', '--steps', '0'], /--steps takes a positive integer, got 0/],
      [['migrate', 'up', '--steps', '-1'], /--steps/],
      [['migrate', 'make', 'add users'], /needs --models FILE/],
      [['migrate', 'make'], /needs a NAME/],
      [['migrate', 'bogus'], /unknown command "bogus"/],
      [['migrate', 'status', 'extra'], /unexpected argument "extra"/],
    ];
    for (const [args, message] of cases) {
      const r = await covetDone(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /covet migrate --help/);
    }
  });

  it('reports missing, broken and export-less modules (exit 3 and 4)', async () => {
    const missing = await covetDone(['run', 'nope/app.ts']);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, 'covet: app module not found: nope/app.ts\n');
    const broken = await covetDone(['routes', 'tests/fixtures/cli/broken.ts']);
    assert.equal(broken.code, 4);
    assert.match(broken.stderr, /cannot load .*broken\.ts: boom while importing/);
    const noExport = await covetDone(['run', 'tests/fixtures/cli/no-export.ts']);
    assert.equal(noExport.code, 4);
    assert.match(noExport.stderr, /no CovetApp export/);
    const wrongName = await covetDone(['routes', `${APP}:missing`]);
    assert.equal(wrongName.code, 4);
    assert.match(wrongName.stderr, /named "missing"/);
  });

  it('finds app.ts (what covet new writes) when no module is named, and caps --workers auto at the CPU quota', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-cli-default-'));
    try {
      writeFileSync(
        join(dir, 'app.ts'),
        `import { CovetApp } from ${JSON.stringify(join(root, 'src/index.ts'))};\nexport const app = new CovetApp();\napp.get('/from-app-ts', () => 'ok');\napp.websocket('/ws', async (ws) => ws.close());\n`,
      );
      const routes = await covetDone(['routes'], { cwd: dir });
      assert.equal(routes.code, 0, routes.stderr);
      assert.match(routes.stdout, /^GET\s+\/from-app-ts/m);
      // The method column fits WEBSOCKET.
      assert.match(routes.stdout, /^WEBSOCKET\s+\/ws\s/m);
      const create = await covetDone(['migrate', 'create'], { cwd: dir });
      assert.equal(create.code, 2);
      assert.match(create.stderr, /covet migrate create needs a NAME/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // An image that ships only the build (dist/app.js), as the Dockerfile of covet new does.
    const built = mkdtempSync(join(tmpdir(), 'covet-cli-dist-'));
    try {
      mkdirSync(join(built, 'dist'));
      writeFileSync(join(built, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(
        join(built, 'dist/app.js'),
        `import { CovetApp } from ${JSON.stringify(join(root, 'src/index.ts'))};\nexport const app = new CovetApp();\napp.get('/from-dist', () => 'ok');\n`,
      );
      const routes = await covetDone(['routes'], { cwd: built });
      assert.equal(routes.code, 0, routes.stderr);
      assert.match(routes.stdout, /^GET\s+\/from-dist/m);
    } finally {
      rmSync(built, { recursive: true, force: true });
    }
    const empty = mkdtempSync(join(tmpdir(), 'covet-cli-none-'));
    try {
      const none = await covetDone(['routes'], { cwd: empty });
      assert.equal(none.code, 3);
      assert.match(none.stderr, /app module not found: \.\/app\.js/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const { cpusWithin } = await import('../../../src/cli/run.js');
    assert.deepEqual(
      [cpusWithin(8, 'max 100000\n'), cpusWithin(8, '50000 100000'), cpusWithin(8, '250000 100000'), cpusWithin(2, '800000 100000'), cpusWithin(4, '')],
      [8, 1, 3, 2, 4],
    );
  });

  it('reports a malformed .env and missing required settings with exit code 7, in one process or from workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-cli-config-'));
    try {
      writeFileSync(
        join(dir, 'app.ts'),
        [
          `import { Config, CovetApp, env } from ${JSON.stringify(`${root}src/index.ts`)};`,
          'class AppConfig extends Config {',
          "  DATABASE_URL = env.string('DATABASE_URL');",
          "  SECRET_KEY = env.secret('SECRET_KEY');",
          '}',
          'export const app = new CovetApp({ config: Config.load(AppConfig) });',
          '',
        ].join('\n'),
      );
      const clean = { DATABASE_URL: undefined, SECRET_KEY: undefined };
      writeFileSync(join(dir, '.env'), 'DEBUG=1\nSECRET_KEY: hunter2-hunter2\n');
      const malformed = await covetDone(['run', 'app.ts', '--port', '0'], { cwd: dir, env: clean });
      assert.equal(malformed.code, 7, malformed.stderr);
      assert.equal(malformed.stderr, 'covet: configuration error: .env:2: expected KEY=value, got "SECRET_KEY…"\n');
      writeFileSync(join(dir, '.env'), 'SECRET_KEY=hunter2-hunter2\n');
      for (const workers of [[], ['--workers', '2']]) {
        const missing = await covetDone(['run', 'app.ts', '--port', '0', ...workers], { cwd: dir, env: clean });
        assert.equal(missing.code, 7, missing.stderr);
        assert.match(missing.stderr, /^covet: configuration error: AppConfig: missing required setting DATABASE_URL: set it in the environment or in \.env\n/);
        assert.ok(!missing.stderr.includes('hunter2'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the route table with method, path, name and middleware (text and JSON)', async () => {
    const r = await covetDone(['routes', APP]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^METHOD\s+PATH\s+NAME\s+MIDDLEWARE$/m);
    assert.match(r.stdout, /^GET\s+\/users\/\{id\}\s+get_user\s+timing$/m);
    const json = await covetDone(['routes', APP, '--json']);
    const rows = JSON.parse(json.stdout) as { method: string; path: string; name: string | null; middleware: string[] }[];
    assert.deepEqual(
      rows.find((x) => x.path === '/users/{id}' && x.method === 'GET'),
      { method: 'GET', path: '/users/{id}', name: 'get_user', middleware: ['timing'] },
    );
    const other = await covetDone(['routes', `${APP}:other`, '--json']);
    assert.ok((JSON.parse(other.stdout) as { path: string }[]).some((x) => x.path === '/other'));
  });

  // The module logs to stdout while it loads (`app.listen() skipped: …` through its logger, and a
  // line of its own): with a report for programs on stdout, that output goes to stderr.
  it('keeps stdout for the report with --json and SARIF: what the app prints goes to stderr', async () => {
    const MODULE = 'tests/fixtures/cli/readme-listen.ts';
    const routes = await covetDone(['routes', MODULE, '--json']);
    assert.equal(routes.code, 0, routes.stderr);
    assert.deepEqual(JSON.parse(routes.stdout), [{ method: 'GET', path: '/', name: null, middleware: [] }]);
    assert.match(routes.stderr, /app\.listen\(\) skipped: the covet command is loading this module/);
    assert.match(routes.stderr, /module got http:\/\/127\.0\.0\.1:8000/);
    const fuzzed = await covetDone(['fuzz', MODULE, '--json', '--runs', '2', '--seed', '1']);
    assert.equal(fuzzed.code, 0, fuzzed.stderr);
    assert.equal((JSON.parse(fuzzed.stdout) as { passed: boolean }).passed, true);
    assert.match(fuzzed.stderr, /module got/);
    const sarif = await covetDone(['security-scan', MODULE, '--format', 'sarif', '--no-audit', '--fail-on', 'critical']);
    assert.equal((JSON.parse(sarif.stdout) as { version: string }).version, '2.1.0');
    assert.match(sarif.stderr, /module got/);
    const load = await covetDone(['performance-test', MODULE, '--json', '--duration', '0.3', '--concurrency', '1']);
    assert.equal(load.code, 0, load.stderr);
    assert.ok((JSON.parse(load.stdout) as { totalRequests: number }).totalRequests > 0);
    assert.match(load.stderr, /module got/);
    // Without a report for programs, stdout is left as it is.
    const table = await covetDone(['routes', MODULE]);
    assert.match(table.stdout, /^module got http:\/\/127\.0\.0\.1:8000$/m);
    assert.match(table.stdout, /^GET {2,}\/ /m);
  });
});

describe('covet run: one process', { timeout: 180_000 }, () => {
  it('serves a TypeScript app, drains on SIGTERM, runs shutdown hooks and exits 0', async () => {
    const cli = covet(['run', APP, '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    assert.deepEqual(((await (await fetch(`${url}/`)).json()) as { message: string }).message, 'hello');
    const slow = fetch(`${url}/slow`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGTERM');
    assert.deepEqual(await slow, { slow: true }); // in-flight request finished
    assert.equal(await cli.exited, 0);
    assert.match(cli.stdout(), /shutdown hook ran/);
  });

  it('a repeated SIGTERM does not cut the drain (a stop delivered twice, as npm start under systemd does)', async () => {
    const cli = covet(['run', APP, '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    const slow = fetch(`${url}/slow`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM received/);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await slow, { slow: true });
    assert.equal(await cli.exited, 0);
    assert.match(cli.stdout(), /shutdown hook ran/);
  });

  it('a second SIGINT (Ctrl-C again) exits at once with 1', async () => {
    const cli = covet(['run', APP, '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    const slow = fetch(`${url}/slow`).then(
      (r) => r.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGINT');
    await cli.waitFor(/SIGINT received/);
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 1);
    assert.equal(await slow, 'cut');
    assert.doesNotMatch(cli.stdout(), /shutdown hook ran/);
  });

  it("serves a module that ends with app.run() (the seed's Quick Start): the command runs the app, the module's call is skipped", async () => {
    const cli = covet(['run', 'tests/fixtures/cli/quick-start.ts', '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    assert.deepEqual(await (await fetch(`${url}/users/7`)).json(), { id: 7, name: 'User 7' });
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.match(cli.stdout(), /app\.run\(\) skipped: the covet command is loading this module/);
    assert.equal(cli.stdout().match(/listening on/g)?.length, 1);
    const routes = await covetDone(['routes', 'tests/fixtures/cli/quick-start.ts']);
    assert.equal(routes.code, 0, routes.stderr);
    assert.match(routes.stdout, /GET +\/users\/\{user_id:int\}/);
  });

  it("serves a module that ends with await app.listen() (the README's example), named without its extension", async () => {
    const cli = covet(['run', 'tests/fixtures/cli/readme-listen:app', '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    assert.deepEqual(await (await fetch(`${url}/`)).json(), { message: 'Hello, World!' });
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.match(cli.stdout(), /app\.listen\(\) skipped: the covet command is loading this module/);
    assert.match(cli.stdout(), /module got http:\/\/127\.0\.0\.1:8000/);
    assert.equal(cli.stdout().match(/listening on/g)?.length, 1);
    const routes = await covetDone(['routes', 'tests/fixtures/cli/readme-listen']);
    assert.equal(routes.code, 0, routes.stderr);
    assert.match(routes.stdout, /GET +\//);
  });

  it("serves the README's example as written: no export, the app whose listen() the command skipped is served", async () => {
    const cli = covet(['run', 'tests/fixtures/cli/readme-unexported.ts', '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    assert.deepEqual(await (await fetch(`${url}/users/7`)).json(), { id: 7, name: 'User 7' });
    const missing = await fetch(`${url}/users/1001`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'User not found' });
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.match(cli.stdout(), /app\.listen\(\) skipped: the covet command is loading this module/);
    assert.equal(cli.stdout().match(/listening on/g)?.length, 1);
    const routes = await covetDone(['routes', 'tests/fixtures/cli/readme-unexported.ts']);
    assert.equal(routes.code, 0, routes.stderr);
    assert.match(routes.stdout, /GET +\/users\/\{user_id:int\}/);
    // A named export still has to exist.
    const named = await covetDone(['routes', 'tests/fixtures/cli/readme-unexported.ts:api']);
    assert.equal(named.code, 4);
    assert.match(named.stderr, /has no CovetApp export named "api"/);
  });

  it('a SIGTERM during the startup hooks waits for them, then runs the shutdown hooks and exits 0', async () => {
    const cli = covet(['run', 'tests/fixtures/cli/slow-start.mjs', '--port', '0']);
    await cli.waitFor(/startup began/);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
    assert.match(cli.stdout(), /startup finished in \d+\n(?:.*\n)*shutdown hook ran/);
    assert.doesNotMatch(cli.stdout(), /listening on/);
  });

  it('serves a JavaScript module with a default export', async () => {
    const cli = covet(['run', 'tests/fixtures/cli/app.mjs', '--port', '0']);
    const [, url] = await cli.waitFor(/listening on (http:\/\/\S+)/);
    assert.deepEqual(await (await fetch(`${url}/`)).json(), { js: true });
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  it('reports a port in use with exit code 5', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const single = await covetDone(['run', APP, '--port', String(port)]);
      assert.equal(single.code, 5, single.stderr);
      assert.match(single.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
      const clustered = await covetDone(['run', APP, '--port', String(port), '--workers', '2']);
      assert.equal(clustered.code, 5, clustered.stderr);
      assert.match(clustered.stderr, /already in use/);
    } finally {
      blocker.close();
    }
  });
});
