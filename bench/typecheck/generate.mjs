// Generates a Covet app with N routes (varied path params, zod query/body schemas, handler
// return shapes) and, optionally, a covet/client file calling every route, for the type-check
// benchmark (run.mjs). Imports Covet's declaration files (COVET_DIR, default dist/), as an
// installed package would.
//   node bench/typecheck/generate.mjs OUT_DIR N [--client] [--statements] [--covet=DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const KINDS = 5;

/** One route per kind: [registration code, client call code]. */
function route(i) {
  const base = `/r${i}`;
  switch (i % KINDS) {
    case 0:
      return [
        `.get('${base}/items', { query: z.object({ page: z.string().optional(), q${i}: z.string().optional() }) }, async (req) => [{ id: 1, name: req.query.q${i} ?? 'x', at: new Date() }])`,
        `(await api.get('${base}/items', { query: { page: '2' } })).data[0]?.name.toUpperCase();`,
      ];
    case 1:
      return [
        `.get('${base}/items/{id:int}', (req) => ({ id: req.params.id, label: 'item ${i}', tags: ['a'] as string[], meta: { n: ${i} } }))`,
        `(await api.get('${base}/items/{id:int}', { params: { id: ${i} } })).data.meta.n.toFixed();`,
      ];
    case 2:
      return [
        `.post('${base}/items', { body: z.object({ name: z.string(), price${i}: z.number(), tags: z.array(z.string()).optional() }) }, async (req) => {
    const body = await req.json();
    return [{ id: ${i}, ...body }, 201];
  })`,
        `(await api.post('${base}/items', { body: { name: 'n', price${i}: 1 } })).data.name.toUpperCase();`,
      ];
    case 3:
      return [
        `.put('${base}/items/{id:int}/parts/{slug}', { body: z.object({ title: z.string().optional(), qty${i}: z.number().int() }) }, async (req) => ({ id: req.params.id, slug: req.params.slug, ...(await req.json()) }))`,
        `(await api.put('${base}/items/{id:int}/parts/{slug}', { params: { id: 1, slug: 's' }, body: { qty${i}: 2 } })).data.slug.toUpperCase();`,
      ];
    default:
      return [
        `.delete('${base}/items/{id:int}', () => null)`,
        `(await api.delete('${base}/items/{id:int}', { params: { id: ${i} } })).status.toFixed();`,
      ];
  }
}

export function generate(out, n, { client = false, statements = false, covet } = {}) {
  mkdirSync(out, { recursive: true });
  const root = new URL('../../', import.meta.url).pathname;
  const dist = relative(out, covet ?? join(root, 'dist')).replaceAll('\\', '/');
  const routes = Array.from({ length: n }, (_, i) => route(i));
  const app = statements
    ? `export const app = new CovetApp();\n${routes.map(([r]) => `app${r};`).join('\n')}\n`
    : `export const app = new CovetApp()\n  ${routes.map(([r]) => r).join('\n  ')};\n`;
  writeFileSync(
    join(out, 'app.ts'),
    `import { z } from 'zod';\nimport { CovetApp } from '${dist}/index.js';\n\n${app}`,
  );
  const files = ['app.ts'];
  if (client) {
    writeFileSync(
      join(out, 'client.ts'),
      `import { createClient } from '${dist}/client/index.js';\nimport type { app } from './app.js';\n\nconst api = createClient<typeof app>('http://127.0.0.1:3000');\n\nexport async function useAll(): Promise<void> {\n  ${routes.map(([, c]) => c).join('\n  ')}\n}\n`,
    );
    files.push('client.ts');
  }
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          noEmit: true,
        },
        files,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, n] = process.argv.slice(2);
  if (!out || !n) throw new Error('usage: node generate.mjs OUT_DIR N [--client] [--statements]');
  const covet = process.argv.find((a) => a.startsWith('--covet='))?.slice('--covet='.length);
  generate(out, Number(n), { client: process.argv.includes('--client'), statements: process.argv.includes('--statements'), covet });
}
