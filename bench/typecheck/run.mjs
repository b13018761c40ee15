// Type-check benchmark for `covet/client`: generates apps of 20, 200 and 400 routes (varied path
// params, zod query/body schemas, handler return shapes) registered by chaining, with and
// without a client file calling every route, runs `tsc --noEmit --extendedDiagnostics` on each
// and prints the check time and instantiation count. Instantiations are deterministic (the
// number to compare); times are noisy on a shared machine (the median of 3 runs is printed).
//   node bench/typecheck/run.mjs [--sizes=20,200,400] [--runs=3]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './generate.mjs';

const root = new URL('../../', import.meta.url).pathname;
// Outside the checkout (nothing to clean up or ignore); node_modules linked for zod and @types.
const work = join(process.env.TMPDIR ?? tmpdir(), 'covet-typecheck-bench');
const tsc = join(root, 'node_modules/.bin/tsc');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const sizes = arg('sizes', '20,200,400').split(',').map(Number);
const runs = Number(arg('runs', '3'));

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
// Covet's declarations, built privately so a concurrent `npm run build` cannot race with us.
const covet = join(work, 'covet');
const build = spawnSync(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', covet, '--emitDeclarationOnly', '--declarationMap', 'false', '--sourceMap', 'false'], {
  encoding: 'utf8',
});
if (build.error) throw build.error;

function diagnostics(dir) {
  const r = spawnSync(tsc, ['-p', join(dir, 'tsconfig.json'), '--extendedDiagnostics'], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  if (/error TS/.test(out)) throw new Error(`${dir} does not type-check:\n${out.split('\n').filter((l) => l.includes('error TS')).slice(0, 5).join('\n')}`);
  const field = (name) => Number(out.match(new RegExp(`${name}:\\s+([\\d.]+)`))?.[1]);
  return { instantiations: field('Instantiations'), types: field('Types'), check: field('Check time'), total: field('Total time'), memory: field('Memory used') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const variants = [
  ['chained app', { client: false }],
  ['chained app + client', { client: true }],
  ['statements (untyped client)', { statements: true }],
];
for (const n of sizes) {
  for (const [label, options] of variants) {
    const dir = join(work, `${label.replace(/\W+/g, '-')}-${n}`);
    generate(dir, n, { ...options, covet });
    const samples = Array.from({ length: runs }, () => diagnostics(dir));
    rows.push({ n, label, ...samples[0], check: median(samples.map((s) => s.check)), total: median(samples.map((s) => s.total)) });
  }
}
const base = rows.find((r) => r.n === 0) ?? null;
console.log(`tsc --noEmit --extendedDiagnostics (${spawnSync(tsc, ['--version'], { encoding: 'utf8' }).stdout.trim()}), median of ${runs} runs`);
console.log('| routes | variant | instantiations | per route | types | check s | total s | memory KiB |');
console.log('| -----: | ------- | -------------: | --------: | ----: | ------: | ------: | ---------: |');
for (const r of rows) {
  const perRoute = r.n === 0 ? '' : Math.round((r.instantiations - (base?.instantiations ?? 0)) / r.n);
  console.log(`| ${r.n} | ${r.label} | ${r.instantiations} | ${perRoute} | ${r.types} | ${r.check.toFixed(2)} | ${r.total.toFixed(2)} | ${r.memory} |`);
}
