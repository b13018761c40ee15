#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CovetApp } from '../app.js';

const HELP = `covet — the Covet command line

Usage:
  covet run [module[:export]] [--host 127.0.0.1] [--port 8000]
  covet routes [module[:export]]
  covet --version

The module defaults to ./app.js; the app is its default export, else its export named "app".
TypeScript modules need a loader: node --import tsx $(which covet) run app.ts
`;

/** Loads `path/to/module[:export]` and returns the app it exports. */
export async function loadApp(ref: string): Promise<CovetApp> {
  const colon = ref.lastIndexOf(':');
  const hasExport = colon > 1; // keep Windows drive letters and plain paths intact
  const file = hasExport ? ref.slice(0, colon) : ref;
  const name = hasExport ? ref.slice(colon + 1) : undefined;
  const mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const app = name !== undefined ? mod[name] : (mod.default ?? mod.app);
  if (!(app instanceof CovetApp)) {
    throw new Error(`${file} has no CovetApp export${name ? ` named "${name}"` : ' (default or "app")'}`);
  }
  return app;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  const [command, target = './app.js'] = positionals;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'run') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`);
    const app = await loadApp(target);
    await app.run({ host: values.host, port });
    return -1; // keep running
  }
  if (command === 'routes') {
    const app = await loadApp(target);
    const rows = app.routeTable();
    const width = Math.max(4, ...rows.map((r) => r.path.length));
    process.stdout.write(`${'METHOD'.padEnd(8)}${'PATH'.padEnd(width + 2)}${'NAME'.padEnd(16)}MIDDLEWARE\n`);
    for (const r of rows) {
      process.stdout.write(`${r.method.padEnd(8)}${r.path.padEnd(width + 2)}${(r.name ?? '').padEnd(16)}${r.middleware.join(', ')}\n`);
    }
    return 0;
  }
  process.stderr.write(`covet: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // The installed `covet` command is a symlink to this file.
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`covet: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
