#!/usr/bin/env node
// Database benchmark: GET /users/{id} through the ORM (`User.get(db, id)`) against the same
// query through the bare driver (better-sqlite3's prepared statement, pg's Pool), in the same
// Covet app and the same run, on SQLite and on PostgreSQL (when DATABASE_URL is set). Target:
// the ORM's per-request time ≤ 1.15x the bare driver's. Server pinned to one CPU, wrk to another,
// rounds alternate the order; ids are random over 1000 rows. Also measured: the bare row with the
// ORM's types (`createdAt` as a `Date`, which SQLite returns as text) and a route with no database.
//
//   node bench/database/run.mjs [--rounds=5] [--duration=5] [--connections=32] [--only=sqlite,postgresql]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, hasWrk, loadAndServerCpus, median, runWrk, startServer } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string', default: 'sqlite,postgresql' },
  },
});
const ROUNDS = Number(opt.rounds);

const [loadCpu, serverCpu] = loadAndServerCpus();


if (!hasWrk('Database benchmark')) process.exit(0);

const tmp = mkdtempSync(join(tmpdir(), 'covet-dbbench-'));
// Random ids 1..1000, the same sequence shape for both routes.
const lua = join(tmp, 'random-id.lua');
writeFileSync(lua, 'math.randomseed(42)\nrequest = function()\n  return wrk.format(nil, wrk.path .. math.random(1, 1000))\nend\n');

const backends = [];
if (opt.only.includes('sqlite')) backends.push({ name: 'SQLite (better-sqlite3)', backend: 'sqlite', url: `sqlite:///${join(tmp, 'bench.db')}` });
if (opt.only.includes('postgresql')) {
  if (process.env.DATABASE_URL) backends.push({ name: 'PostgreSQL (pg)', backend: 'postgresql', url: process.env.DATABASE_URL });
  else console.log('PostgreSQL skipped: DATABASE_URL is not set (bash scripts/services.sh start FILE, then source FILE)\n');
}

const results = [];
try {
  for (const b of backends) {
    const port = await freePort();
    const { child: server } = await startServer(join(HERE, 'server.mjs'), {
      cpu: serverCpu,
      env: { PORT: String(port), COVET_DIR: ROOT, BACKEND: b.backend, DB_URL: b.url },
    });
    const base = `http://127.0.0.1:${port}`;
    // Both routes answer the same JSON for the same id before anything is timed.
    const a = await (await fetch(`${base}/bare/users/7`)).json();
    const o = await (await fetch(`${base}/orm/users/7`)).json();
    const same = a.id === o.id && a.name === o.name && a.email === o.email && new Date(a.createdAt).getTime() === new Date(o.createdAt).getTime();
    if (!same) throw new Error(`bare and ORM differ: ${JSON.stringify(a)} vs ${JSON.stringify(o)}`);
    // Requests per server CPU-second too: they do not depend on how much of its core the server
    // got on a shared machine.
    const wrk = async (path, seconds) => {
      const r = await runWrk(`${base}${path}`, { seconds, connections: Number(opt.connections), cpu: loadCpu, serverPid: server.pid, script: lua, label: path });
      return { rps: r.rps, p50: r.p50ms, p99: r.p99ms, perCpu: r.perCpu };
    };
    await wrk('/none/users/', 1);
    await wrk('/typed/users/', 1);
    await wrk('/bare/users/', 2);
    await wrk('/orm/users/', 2);
    const routes = [
      { name: 'bare driver', path: '/bare/users/', runs: [] },
      { name: 'ORM User.get', path: '/orm/users/', runs: [] },
      { name: 'bare + Date', path: '/typed/users/', runs: [] },
      { name: 'no database', path: '/none/users/', runs: [] },
    ];
    for (let r = 0; r < ROUNDS; r++) {
      for (const route of r % 2 === 0 ? routes : [...routes].reverse()) route.runs.push(await wrk(route.path, Number(opt.duration)));
      await sleep(200);
    }
    server.kill('SIGTERM');
    await new Promise((res) => server.once('exit', res));
    const [bare, orm, typed, none] = routes;
    // Per-request time ratio = bare req/s ÷ ORM req/s, per round (same round = same machine load);
    // and the same with requests per server CPU-second (immune to CPU stolen by neighbours).
    const ratio = median(bare.runs.map((run, i) => run.rps / orm.runs[i].rps));
    const cpuRatio = median(bare.runs.map((run, i) => run.perCpu / orm.runs[i].perCpu));
    const typedCpu = median(typed.runs.map((run, i) => run.perCpu / orm.runs[i].perCpu));
    results.push({ backend: b.name, bare, orm, typed, none, ratio, cpuRatio, typedCpu });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(
  `GET /users/{id}: ORM vs bare driver (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
);
console.log('| backend                 | route        |  req/s | p50 ms | p99 ms | req per server CPU-s | ORM time vs bare (wall) | ORM CPU vs bare |');
console.log('| ----------------------- | ------------ | -----: | -----: | -----: | -------------------: | ----------------------: | --------------: |');
for (const r of results) {
  for (const route of [r.bare, r.orm, r.typed, r.none]) {
    const wall = route === r.orm ? `${r.ratio.toFixed(3)}x` : '';
    const cpu = route === r.orm ? `${r.cpuRatio.toFixed(3)}x` : '';
    console.log(
      `| ${r.backend.padEnd(23)} | ${route.name.padEnd(12)} | ${String(Math.round(median(route.runs.map((x) => x.rps)))).padStart(6)} | ${median(route.runs.map((x) => x.p50)).toFixed(2).padStart(6)} | ${median(route.runs.map((x) => x.p99)).toFixed(2).padStart(6)} | ${String(Math.round(median(route.runs.map((x) => x.perCpu)))).padStart(20)} | ${wall.padStart(23)} | ${cpu.padStart(15)} |`,
    );
  }
}
console.log();
// On a shared machine the wall-time ratio swings with whatever else runs; the server's CPU per
// request does not, so the verdict names both, and says when the machine was too busy to trust
// the wall time (load average above the CPU count).
const load = loadavg()[0];
const busy = load > availableParallelism();
for (const r of results) {
  const verdict = (x) => (x <= 1.15 ? 'met' : 'MISSED');
  console.log(
    `${r.backend}: ORM per-request time ${r.ratio.toFixed(3)}x the bare driver's (target ≤ 1.15x: ${verdict(r.ratio)}${busy ? ', not meaningful at this load' : ''}); ` +
      `server CPU per request ${r.cpuRatio.toFixed(3)}x (target: ${verdict(r.cpuRatio)}), ${r.typedCpu.toFixed(3)}x against the bare row with the same types (createdAt as a Date)`,
  );
}
if (busy) console.log(`(load average ${load.toFixed(1)} on ${availableParallelism()} CPUs: req/s and wall-time ratios are noise; read the CPU columns)`);
