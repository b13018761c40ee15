#!/usr/bin/env node
// Response serialization benchmarks, in the same run:
//   1. ops/s of Covet's compiled serializer vs JSON.stringify vs fast-json-stringify (devDependency)
//      on a 16-field user object and an array of 100 of them; one process pinned to one CPU,
//      rounds alternating the order. Also the compiled serializer filtering a row that carries
//      two undeclared fields (what a route with a response schema does with a database row).
//   2. HTTP req/s of a route with a `response` schema vs the same route without one, server
//      pinned to one CPU and wrk to another, as bench/cache does.
//
//   node bench/serializer/run.mjs [--rounds=5] [--seconds=1] [--duration=5] [--connections=64] [--only=micro,http]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/openapi.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, fmt, freePort, hasWrk, loadAndServerCpus, median, runMicroPinned, runWrk, startServer } from '../lib/harness.mjs';
import { USER_SCHEMA, user, userRow } from './fixture.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string', default: 'micro,http' },
    pinned: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const only = new Set(opt.only.split(','));
const CPUS = allowedCpus();

if (!runMicroPinned(opt, only)) process.exit(0);


// Results go to a sink so the engine cannot drop the calls.
let sink = 0;
function opsPerSecond(fn, seconds) {
  const warm = performance.now() + (seconds * 1000) / 5;
  while (performance.now() < warm) for (let k = 0; k < 100; k++) sink += fn().length;
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) sink += fn().length;
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

async function microBench() {
  const { compileSerializer } = await import(pathToFileURL(join(ROOT, 'dist', 'openapi', 'compile-serializer.js')).href);
  const { schemaNode } = await import(pathToFileURL(join(ROOT, 'dist', 'openapi', 'schema-node.js')).href);
  const { default: fastJson } = await import('fast-json-stringify');
  const listSchema = { type: 'array', items: USER_SCHEMA };
  const covetOne = compileSerializer(schemaNode(USER_SCHEMA));
  const covetList = compileSerializer(schemaNode(listSchema));
  const fjsOne = fastJson(USER_SCHEMA);
  const fjsList = fastJson(listSchema);
  const one = user(7);
  const list = Array.from({ length: 100 }, (_, i) => user(i));
  const row = userRow(7);
  const rows = Array.from({ length: 100 }, (_, i) => userRow(i));

  // Same bytes, or the comparison means nothing.
  for (const [name, a, b] of [
    ['covet one', covetOne(one), JSON.stringify(one)],
    ['covet list', covetList(list), JSON.stringify(list)],
    ['covet filtered row', covetOne(row), JSON.stringify(one)],
    ['fast-json-stringify one', fjsOne(one), JSON.stringify(one)],
    ['fast-json-stringify list', fjsList(list), JSON.stringify(list)],
  ]) {
    if (a !== b) throw new Error(`${name}: output differs from JSON.stringify`);
  }

  const cases = [
    { name: 'one object (16 fields)', fns: { 'JSON.stringify': () => JSON.stringify(one), covet: () => covetOne(one), 'fast-json-stringify': () => fjsOne(one) } },
    { name: 'array of 100 objects', fns: { 'JSON.stringify': () => JSON.stringify(list), covet: () => covetList(list), 'fast-json-stringify': () => fjsList(list) } },
    { name: 'one row, 2 fields filtered', fns: { 'JSON.stringify': () => JSON.stringify(row), covet: () => covetOne(row), 'fast-json-stringify': () => fjsOne(row) } },
    { name: '100 rows, filtered', fns: { 'JSON.stringify': () => JSON.stringify(rows), covet: () => covetList(rows), 'fast-json-stringify': () => fjsList(rows) } },
  ];
  const names = ['JSON.stringify', 'covet', 'fast-json-stringify'];
  const fjsVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'fast-json-stringify', 'package.json'), 'utf8')).version;
  console.log(
    `Response serializers (${ROUNDS} rounds x ${SECONDS}s, medians; ratios are medians of per-round ratios to JSON.stringify; fast-json-stringify ${fjsVersion}; ${opt.pinned ? `pinned to CPU ${CPUS.at(-1)}` : 'not pinned'}). "filtered" rows: JSON.stringify writes the 2 undeclared fields too`,
  );
  console.log('| payload                    | JSON.stringify ops/s | covet compiled ops/s | vs JSON.stringify | fast-json-stringify ops/s | vs JSON.stringify |');
  console.log('| -------------------------- | -------------------: | -------------------: | ----------------: | ------------------------: | ----------------: |');
  for (const c of cases) {
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      for (const n of order) runs[n].push(opsPerSecond(c.fns[n], SECONDS));
    }
    const ratio = (n) => median(runs[n].map((v, i) => v / runs['JSON.stringify'][i]));
    console.log(
      `| ${c.name.padEnd(26)} | ${fmt(median(runs['JSON.stringify'])).padStart(20)} | ${fmt(median(runs.covet)).padStart(20)} | ${`${ratio('covet').toFixed(2)}x`.padStart(17)} | ${fmt(median(runs['fast-json-stringify'])).padStart(25)} | ${`${ratio('fast-json-stringify').toFixed(2)}x`.padStart(17)} |`,
    );
  }
  if (sink === 0) console.log('');
  console.log();
}

async function httpBench() {
  if (!hasWrk()) return;
  const [loadCpu, serverCpu] = loadAndServerCpus();
  const port = await freePort();
  const { child: server } = await startServer(join(HERE, 'server.mjs'), { cpu: serverCpu, env: { PORT: String(port), COVET_DIR: ROOT } });
  const base = `http://127.0.0.1:${port}`;
  const expectOne = JSON.stringify(user(7));
  const expectList = JSON.stringify(Array.from({ length: 100 }, (_, i) => user(i)));
  for (const [path, expected] of [
    ['/plain', expectOne],
    ['/schema', expectOne],
    ['/schema-filter', expectOne],
    ['/plain-list', expectList],
    ['/schema-list', expectList],
    ['/schema-list-filter', expectList],
  ]) {
    const body = await (await fetch(base + path)).text();
    if (body !== expected) throw new Error(`${path}: unexpected body`);
  }
  const wrk = async (path, seconds) => (await runWrk(`${base}${path}`, { seconds, connections: Number(opt.connections), cpu: loadCpu, label: path })).rps;
  const pairs = [
    { name: 'one user', plain: '/plain', schema: '/schema', filter: '/schema-filter' },
    { name: '100 users', plain: '/plain-list', schema: '/schema-list', filter: '/schema-list-filter' },
  ];
  for (const p of pairs) for (const path of [p.plain, p.schema, p.filter]) await wrk(path, 1);
  const runs = new Map();
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of pairs) {
      const order = r % 2 === 0 ? [p.plain, p.schema, p.filter] : [p.filter, p.schema, p.plain];
      for (const path of order) runs.set(path, [...(runs.get(path) ?? []), await wrk(path, Number(opt.duration))]);
    }
    await sleep(200);
  }
  server.kill('SIGTERM');
  console.log(
    `Route with a response schema vs without (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
  );
  console.log('| payload   | no schema req/s | schema req/s | vs no schema | schema, filtering a row req/s | vs no schema |');
  console.log('| --------- | --------------: | -----------: | -----------: | ----------------------------: | -----------: |');
  for (const p of pairs) {
    const plain = runs.get(p.plain);
    const ratio = (path) => median(runs.get(path).map((v, i) => v / plain[i]));
    console.log(
      `| ${p.name.padEnd(9)} | ${fmt(median(plain)).padStart(15)} | ${fmt(median(runs.get(p.schema))).padStart(12)} | ${`${ratio(p.schema).toFixed(2)}x`.padStart(12)} | ${fmt(median(runs.get(p.filter))).padStart(29)} | ${`${ratio(p.filter).toFixed(2)}x`.padStart(12)} |`,
    );
  }
  console.log();
}

if (only.has('micro')) await microBench();
if (only.has('http')) await httpBench();
