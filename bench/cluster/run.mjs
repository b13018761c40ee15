#!/usr/bin/env node
// Cluster mode: `covet run --workers 2` vs `--workers 1` (target >= 1.6x) and vs Fastify behind
// node:cluster with 2 workers (target >= 1.0x), wrk as the load generator.
//
// wrk runs on the same cores as the servers, so besides req/s every run reports:
//   - wrk's own CPU time (user+sys, from /usr/bin/time) as a share of the machine's CPU time,
//   - the servers' CPU time (primary + workers, from /proc) and requests per server CPU-second,
//     the load-independent efficiency of the server,
//   - how the workers shared that CPU (an unbalanced split would waste a core).
// With r = wrk CPU per request / server CPU per request, 2 workers and wrk on 2 cores can reach
// at most 2 / (1 + r) times one saturated worker: the "ceiling" printed under each table.
// Configurations are interleaved (a round runs each once, in a rotating order) and medians are
// taken, so that load from other processes spreads over all of them instead of one.
// Three tables by default:
//   GET /        a tiny JSON object, plain keep-alive requests: wrk needs about half a CPU-second
//                per server CPU-second here, which caps what a second worker can add;
//   GET /        the same with 4 requests pipelined per write (bench/cluster/pipeline.lua), which
//                cuts wrk's cost per request;
//   GET /items   a list of 20 records (about 1.6 KB of JSON, what an API's list page returns),
//                plain keep-alive: the server's own work dominates, as in most real apps.
//   node bench/cluster/run.mjs [--duration=5] [--rounds=5] [--connections=64] [--tables=/:1,/:4,/items:1]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { supportsReusePort } from '../../dist/http/server.js';
import { freePort } from '../lib/harness.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const duration = arg('duration', 5);
const rounds = arg('rounds', 5);
const connections = arg('connections', 64);
// path:pipeline pairs, one table each.
const tables = (process.argv.find((a) => a.startsWith('--tables='))?.split('=')[1] ?? '/:1,/:4,/items:1').split(',').map((t) => {
  const [path = '/', pipeline = '1'] = t.split(':');
  return { path, pipeline: Number(pipeline) };
});
const cores = availableParallelism();
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (getconf CLK_TCK)

/** user+sys CPU seconds of a process, or 0 once it is gone. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

/** The pids of `pid`'s children. */
function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}

async function start(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    child.stdout.on('data', (c) => {
      out += c;
      if (/listening on/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return child;
}

/** Runs wrk; returns req/s and wrk's own CPU seconds. */
function wrk(port, seconds, conns, pipeline = 1, path = '/') {
  const script = pipeline > 1 ? ['-s', `${here}pipeline.lua`] : [];
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'wrk', '-t1', `-c${conns}`, `-d${seconds}s`, ...script, `http://127.0.0.1:${port}${path}`], {
    encoding: 'utf8',
    env: { ...process.env, PIPELINE: String(pipeline) },
  });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const t = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m || !t) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return { rps: Number(m[1]), wrkCpu: Number(t[1]) + Number(t[2]) };
}

const cli = process.env.COVET_CLI ?? `${root}dist/cli/main.js`;
const app = 'bench/cluster/app.mjs:app';
const configs = [
  { name: 'covet run --workers 1', args: (port) => [cli, 'run', app, '--port', String(port), '--workers', '1'] },
  { name: 'covet run --workers 2', args: (port) => [cli, 'run', app, '--port', String(port), '--workers', '2'] },
  { name: 'fastify node:cluster 1 worker', args: (port) => [`${here}fastify-cluster.mjs`, String(port), '1'] },
  { name: 'fastify node:cluster 2 workers', args: (port) => [`${here}fastify-cluster.mjs`, String(port), '2'] },
];
// On Node 22.12+ also each worker listening itself (SO_REUSEPORT), the kernel spreading connections.
if (supportsReusePort())
  configs.push({ name: 'covet --workers 2 --reuse-port', args: (port) => [cli, 'run', app, '--port', String(port), '--workers', '2', '--reuse-port'] });

/** One measurement: a fresh server, a 1 s warm-up, then `duration` seconds of wrk. */
async function measure(config, pipeline, path) {
  const port = await freePort();
  const child = await start(process.execPath, config.args(port));
  try {
    wrk(port, 1, 16, 1, path);
    const pids = [child.pid, ...childrenOf(child.pid)];
    const before = pids.map(cpuOf);
    const { rps, wrkCpu } = wrk(port, duration, connections, pipeline, path);
    const used = pids.map((pid, i) => cpuOf(pid) - (before[i] ?? 0));
    const serverCpu = used.reduce((a, b) => a + b, 0);
    const requests = rps * duration;
    return {
      rps,
      wrkShare: wrkCpu / (duration * cores),
      serverShare: serverCpu / (duration * cores),
      perServerCpuSecond: requests / serverCpu,
      // wrk CPU per request / server CPU per request.
      wrkRatio: wrkCpu / serverCpu,
      split: used.map((s) => s / serverCpu),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};
const pct = (x) => `${(x * 100).toFixed(0)}%`;

/** Runs every configuration `rounds` times on `path` with `pipeline` requests per write and prints a table. */
async function table(path, pipeline) {
  console.log(
    `Cluster mode, GET ${path} (wrk -t1 -c${connections}${pipeline > 1 ? `, ${pipeline} requests pipelined per write` : ''}, ${duration}s x ${rounds} interleaved rounds, medians; ${cores} cores shared with wrk; load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  const results = configs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < configs.length; k++) {
      const i = (round + k) % configs.length;
      results[i].push(await measure(configs[i], pipeline, path));
    }
  }
  console.log(`${'server'.padEnd(32)} ${'req/s'.padStart(8)}  ${'wrk CPU'.padStart(7)}  ${'srv CPU'.padStart(7)}  ${'req/srv-CPU-s'.padStart(13)}  runs (req/s)`);
  const summary = configs.map((c, i) => {
    const rs = results[i];
    const row = {
      rps: median(rs.map((r) => r.rps)),
      wrkShare: median(rs.map((r) => r.wrkShare)),
      serverShare: median(rs.map((r) => r.serverShare)),
      perServerCpuSecond: median(rs.map((r) => r.perServerCpuSecond)),
      wrkRatio: median(rs.map((r) => r.wrkRatio)),
    };
    console.log(
      `${c.name.padEnd(32)} ${row.rps.toFixed(0).padStart(8)}  ${pct(row.wrkShare).padStart(7)}  ${pct(row.serverShare).padStart(7)}  ${row.perServerCpuSecond.toFixed(0).padStart(13)}  ${rs.map((r) => r.rps.toFixed(0)).join(', ')}`,
    );
    return row;
  });
  const index = (name) => configs.findIndex((c) => c.name === name);
  const [iOne, iTwo, iFastify1, iFastify2, iReuse] = [
    'covet run --workers 1',
    'covet run --workers 2',
    'fastify node:cluster 1 worker',
    'fastify node:cluster 2 workers',
    'covet --workers 2 --reuse-port',
  ].map(index);
  const splits = (i) => results[i].map((r) => r.split.map(pct).join('/')).join(', ');
  console.log(`CPU split primary/workers with 2 workers, per run: Covet ${splits(iTwo)}; Fastify ${splits(iFastify2)}`);
  const one = summary[iOne];
  const two = summary[iTwo];
  // Paired per round as well: a round's runs are close in time, so they share the machine's load.
  const paired = results[iTwo].map((r, i) => r.rps / (results[iOne][i]?.rps ?? Number.NaN));
  const ceiling = 2 / (1 + two.wrkRatio);
  console.log(
    `workers 2 / workers 1: ${(two.rps / one.rps).toFixed(2)}x (median of per-round ratios ${median(paired).toFixed(2)}x; target >= 1.6x; ceiling with wrk on the same cores 2 / (1 + ${two.wrkRatio.toFixed(2)}) = ${ceiling.toFixed(2)}x)`,
  );
  console.log(`Fastify's own: 2 workers / 1 worker ${(summary[iFastify2].rps / summary[iFastify1].rps).toFixed(2)}x`);
  console.log(
    `covet 2 workers / fastify 2 workers: ${(two.rps / summary[iFastify2].rps).toFixed(2)}x (target >= 1.0x); covet 1 / fastify 1: ${(one.rps / summary[iFastify1].rps).toFixed(2)}x`,
  );
  if (iReuse !== -1) {
    const reuse = summary[iReuse];
    console.log(`--reuse-port: CPU split primary/workers per run: ${splits(iReuse)}`);
    console.log(`--reuse-port 2 workers / workers 1: ${(reuse.rps / one.rps).toFixed(2)}x; / fastify 2 workers: ${(reuse.rps / summary[iFastify2].rps).toFixed(2)}x`);
  }
}

for (const [i, { path, pipeline }] of tables.entries()) {
  if (i > 0) console.log();
  await table(path, pipeline);
}
