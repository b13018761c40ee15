#!/usr/bin/env node
// Cluster mode: `covet run --workers 2` vs `--workers 1` (target >= 1.6x) and vs Fastify behind
// node:cluster with 2 workers (target >= 1.0x), one JSON route, wrk as the load generator.
// The machine has 2 cores and wrk needs one of them too (its own cost: one thread, pinned to no
// CPU so that it shares with the workers like a real client on the same host would); the
// numbers say how much 2 workers gain when load generation competes for the same cores.
//   node bench/cluster/run.mjs [--duration=5] [--rounds=3]
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const duration = arg('duration', 5);
const rounds = arg('rounds', 3);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
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

function wrk(port) {
  const r = spawnSync('wrk', ['-t1', '-c64', `-d${duration}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

async function measure(name, cmd, args, port) {
  const child = await start(cmd, args);
  try {
    spawnSync('wrk', ['-t1', '-c16', '-d1s', `http://127.0.0.1:${port}/`]); // warm-up
    const runs = [];
    for (let i = 0; i < rounds; i++) runs.push(wrk(port));
    runs.sort((a, b) => a - b);
    const median = runs[Math.floor(runs.length / 2)];
    console.log(`${name.padEnd(32)} ${median.toFixed(0).padStart(8)} req/s  (runs: ${runs.map((r) => r.toFixed(0)).join(', ')})`);
    return median;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

const cli = process.env.COVET_CLI ?? `${root}dist/cli/main.js`;
const app = 'bench/cluster/app.mjs:app';
console.log(`Cluster mode (wrk -t1 -c64, ${duration}s x ${rounds}, median; ${(await import('node:os')).availableParallelism()} cores shared with wrk)`);
let port = await freePort();
const one = await measure('covet run --workers 1', process.execPath, [cli, 'run', app, '--port', String(port), '--workers', '1'], port);
port = await freePort();
const two = await measure('covet run --workers 2', process.execPath, [cli, 'run', app, '--port', String(port), '--workers', '2'], port);
port = await freePort();
const fastify = await measure('fastify node:cluster 2 workers', process.execPath, [`${here}fastify-cluster.mjs`, String(port), '2'], port);
console.log(`workers 2 / workers 1: ${(two / one).toFixed(2)}x (target >= 1.6x)`);
console.log(`covet 2 workers / fastify 2 workers: ${(two / fastify).toFixed(2)}x (target >= 1.0x)`);
