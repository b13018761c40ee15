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
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, freePort } from '../lib/harness.mjs';

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
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const CPUS = allowedCpus();
const [loadCpu, serverCpu] = CPUS.length >= 2 ? CPUS : [];
const pin = (cpu) => (cpu === undefined ? [] : ['taskset', '-c', String(cpu)]);


if (spawnSync('wrk', ['-v']).error) {
  console.log('Database benchmark skipped: wrk is not installed (apt-get install -y wrk)');
  process.exit(0);
}

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
    const [bin, ...args] = [...pin(serverCpu), process.execPath, join(HERE, 'server.mjs')];
    const server = spawn(bin, args, { env: { ...process.env, PORT: String(port), COVET_DIR: ROOT, BACKEND: b.backend, DB_URL: b.url }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((res, rej) => {
      let out = '';
      server.stdout.on('data', (d) => {
        out += d;
        if (out.includes('READY')) res();
      });
      server.once('exit', (code) => rej(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    // Both routes answer the same JSON for the same id before anything is timed.
    const a = await (await fetch(`${base}/bare/users/7`)).json();
    const o = await (await fetch(`${base}/orm/users/7`)).json();
    const same = a.id === o.id && a.name === o.name && a.email === o.email && new Date(a.createdAt).getTime() === new Date(o.createdAt).getTime();
    if (!same) throw new Error(`bare and ORM differ: ${JSON.stringify(a)} vs ${JSON.stringify(o)}`);
    // Server CPU seconds (utime + stime): requests per CPU-second do not depend on how much of its
    // core the server got on a shared machine.
    const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    const cpuSeconds = () => {
      try {
        const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ').pop().split(' ');
        return (Number(f[11]) + Number(f[12])) / ticks;
      } catch {
        return Number.NaN;
      }
    };
    const wrk = (path, seconds) => {
      const [wbin, ...wargs] = [...pin(loadCpu), 'wrk', '-t1', `-c${opt.connections}`, `-d${seconds}s`, '--latency', '-s', lua, `${base}${path}`];
      const cpu0 = cpuSeconds();
      const r = spawnSync(wbin, wargs, { encoding: 'utf8' });
      const cpu = cpuSeconds() - cpu0;
      const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? Number.NaN);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? Number.NaN);
      const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
      const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
      const ms = (m) => (m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : Number.NaN);
      const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
      if (bad > 0) throw new Error(`${path}: ${bad} non-2xx responses`);
      return { rps, p50: ms(p50), p99: ms(p99), perCpu: total / cpu };
    };
    wrk('/none/users/', 1);
    wrk('/typed/users/', 1);
    wrk('/bare/users/', 2);
    wrk('/orm/users/', 2);
    const routes = [
      { name: 'bare driver', path: '/bare/users/', runs: [] },
      { name: 'ORM User.get', path: '/orm/users/', runs: [] },
      { name: 'bare + Date', path: '/typed/users/', runs: [] },
      { name: 'no database', path: '/none/users/', runs: [] },
    ];
    for (let r = 0; r < ROUNDS; r++) {
      for (const route of r % 2 === 0 ? routes : [...routes].reverse()) route.runs.push(wrk(route.path, Number(opt.duration)));
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
