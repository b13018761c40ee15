#!/usr/bin/env node
// Rate limiting benchmark, Covet against @fastify/rate-limit in the same run: req/s of one JSON
// route rate-limited with memory storage and with Redis storage, vs the same route unlimited,
// for both frameworks (target: Covet >= 1.0x @fastify/rate-limit on the same storage). Server
// pinned to one CPU and wrk to another; rounds alternate the order. Redis rows need REDIS_URL
// (bash scripts/services.sh start FILE; . FILE), else they are skipped.
//
//   node bench/rate-limit/run.mjs [--rounds=3] [--duration=5] [--connections=64]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it) and bench/rate-limit's own
// node_modules (fastify, @fastify/rate-limit): `npm ci --prefix bench/rate-limit`.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, freePort } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
  },
});
const ROUNDS = Number(opt.rounds);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

const CPUS = allowedCpus();
const [loadCpu, serverCpu] = CPUS.length >= 2 ? CPUS : [];
const pin = (cpu) => (cpu === undefined ? [] : ['taskset', '-c', String(cpu)]);


async function start(framework, storage) {
  const port = await freePort();
  const [bin, ...args] = [...pin(serverCpu), process.execPath, join(HERE, 'server.mjs')];
  const child = spawn(bin, args, {
    env: { ...process.env, FRAMEWORK: framework, STORAGE: storage, PORT: String(port), COVET_DIR: ROOT },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('READY')) res();
    });
    child.once('exit', (code) => rej(new Error(`${framework}/${storage} server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/data`;
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200 || body !== '{"data":"response"}') throw new Error(`${framework}/${storage}: ${res.status} ${body}`);
  const stop = () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))));
  const limited = res.headers.has('ratelimit-limit') || res.headers.has('x-ratelimit-limit');
  if (limited !== (storage !== 'none')) {
    await stop();
    throw new Error(`${framework}/${storage}: rate-limit headers ${limited ? 'present' : 'missing'}`);
  }
  return { url, stop };
}

function wrk(url, seconds) {
  const [bin, ...args] = [...pin(loadCpu), 'wrk', '-t1', `-c${opt.connections}`, `-d${seconds}s`, url];
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`${url}: ${non2xx} non-2xx responses`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? Number.NaN);
}

if (spawnSync('wrk', ['-v']).error) {
  console.log('Rate-limit benchmark skipped: wrk is not installed (apt-get install -y wrk)');
  process.exit(0);
}
const storages = ['none', 'memory', ...(process.env.REDIS_URL ? ['redis'] : [])];
const cases = storages.flatMap((storage) => ['covet', 'fastify'].map((framework) => ({ framework, storage, runs: [] })));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of r % 2 === 0 ? cases : [...cases].reverse()) {
    const server = await start(c.framework, c.storage);
    try {
      wrk(server.url, 1);
      c.runs.push(wrk(server.url, Number(opt.duration)));
    } finally {
      await server.stop();
    }
    await sleep(200);
  }
}
const rps = (framework, storage) => median(cases.find((c) => c.framework === framework && c.storage === storage).runs);
const ratio = (framework, storage, other, otherStorage) => {
  const a = cases.find((c) => c.framework === framework && c.storage === storage).runs;
  const b = cases.find((c) => c.framework === other && c.storage === otherStorage).runs;
  return median(a.map((x, i) => x / b[i]));
};
console.log(
  `Rate-limited route vs unlimited, Covet RateLimiter vs @fastify/rate-limit (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})${process.env.REDIS_URL ? '' : ' — Redis rows skipped: REDIS_URL not set'}`,
);
console.log('| storage   | covet req/s | vs unlimited | fastify req/s | vs unlimited | covet vs fastify |');
console.log('| --------- | ----------: | -----------: | ------------: | -----------: | ---------------: |');
for (const storage of storages) {
  console.log(
    `| ${storage === 'none' ? 'unlimited' : storage.padEnd(9)} | ${fmt(rps('covet', storage)).padStart(11)} | ${`${ratio('covet', storage, 'covet', 'none').toFixed(2)}x`.padStart(12)} | ${fmt(rps('fastify', storage)).padStart(13)} | ${`${ratio('fastify', storage, 'fastify', 'none').toFixed(2)}x`.padStart(12)} | ${`${ratio('covet', storage, 'fastify', storage).toFixed(2)}x`.padStart(16)} |`,
  );
}
