#!/usr/bin/env node
// Cache benchmarks, Covet against its oracle in the same run:
//   1. MemoryCache get/set ops/s vs lru-cache (same maxSize, same TTL setting), one process
//      pinned to one CPU, rounds alternating the order (target: get >= 1.0x). Also the async
//      CacheManager (memory backend) get, for scale.
//   2. HTTP req/s of a cachePage hit vs the plain JSON route it caches (target >= 0.95x), server
//      pinned to one CPU and wrk to another, as ../shared/bench/run.mjs does.
//
//   node bench/cache/run.mjs [--rounds=5] [--seconds=1] [--duration=5] [--connections=64] [--only=micro,http]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/cache.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, fmt, freePort, hasWrk, loadAndServerCpus, median, runMicroPinned, runWrk, startServer } from '../lib/harness.mjs';

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


// ------------------------------------------------------------------ 1. ops/s
function opsPerSecond(fn, seconds) {
  // Warm up for a fifth of the time, then count in batches of 1000 calls.
  const warm = performance.now() + (seconds * 1000) / 5;
  let i = 0;
  while (performance.now() < warm) for (let k = 0; k < 1000; k++) fn(i++);
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++) fn(i++);
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

async function asyncOpsPerSecond(fn, seconds) {
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  let i = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++) await fn(i++);
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

async function microBench() {
  const { MemoryCache, CacheManager } = await import(pathToFileURL(join(ROOT, 'dist', 'cache', 'index.js')).href);
  const { LRUCache } = await import('lru-cache');
  const SIZE = 10_000;
  const keys = Array.from({ length: SIZE }, (_, i) => `user:${i}:profile`);
  const extra = Array.from({ length: SIZE }, (_, i) => `user:${i + SIZE}:profile`);
  const value = { id: 1, name: 'Ada', roles: ['admin'] };
  // A fixed pseudo-random walk over the keys, so both caches see the same access pattern.
  const order = Uint32Array.from({ length: 1 << 16 }, (_, i) => (i * 7919 + ((i * i) % 104729)) % SIZE);
  const at = (i) => keys[order[i & 0xffff]];
  const fresh = (i) => extra[order[i & 0xffff]];

  const makers = {
    covet: (ttl) => new MemoryCache({ maxSize: SIZE, ttl }),
    'lru-cache': (ttl) => new LRUCache(ttl ? { max: SIZE, ttl: ttl * 1000 } : { max: SIZE }),
  };
  const scenarios = [
    { name: 'get (hit), no TTL', ttl: 0, op: (c) => (i) => c.get(at(i)) },
    { name: 'get (hit), TTL 60 s', ttl: 60, op: (c) => (i) => c.get(at(i)) },
    { name: 'set (overwrite), no TTL', ttl: 0, op: (c) => (i) => c.set(at(i), value) },
    { name: 'set (overwrite), TTL 60 s', ttl: 60, op: (c) => (i) => c.set(at(i), value) },
    { name: 'set (new key, evicting)', ttl: 0, op: (c) => (i) => c.set((i & 1 ? at : fresh)(i), value) },
  ];
  const rows = [];
  for (const s of scenarios) {
    const runs = { covet: [], 'lru-cache': [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of r % 2 === 0 ? ['covet', 'lru-cache'] : ['lru-cache', 'covet']) {
        const cache = makers[name](s.ttl);
        for (const k of keys) cache.set(k, value);
        runs[name].push(opsPerSecond(s.op(cache), SECONDS));
        cache.close?.();
      }
    }
    const ratios = runs.covet.map((v, i) => v / runs['lru-cache'][i]);
    rows.push({ name: s.name, covet: median(runs.covet), lru: median(runs['lru-cache']), ratio: median(ratios) });
  }
  const manager = new CacheManager({ backend: 'memory', maxSize: SIZE });
  for (const k of keys) await manager.set(k, value);
  const managerGets = [];
  for (let r = 0; r < ROUNDS; r++) managerGets.push(await asyncOpsPerSecond((i) => manager.get(at(i)), SECONDS));

  const lruVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'lru-cache', 'package.json'), 'utf8')).version;
  console.log(
    `MemoryCache vs lru-cache ${lruVersion} (${SIZE} entries, ${ROUNDS} rounds x ${SECONDS}s, medians of per-round ratios; ${opt.pinned ? `pinned to CPU ${CPUS.at(-1)}` : 'not pinned'})`,
  );
  console.log('| operation                  |  covet ops/s | lru-cache ops/s | covet vs lru-cache |');
  console.log('| -------------------------- | -----------: | --------------: | -----------------: |');
  for (const r of rows) console.log(`| ${r.name.padEnd(26)} | ${fmt(r.covet).padStart(12)} | ${fmt(r.lru).padStart(15)} | ${`${r.ratio.toFixed(2)}x`.padStart(18)} |`);
  console.log(`CacheManager (memory backend, async, serialized copies) get: ${fmt(median(managerGets))} ops/s`);
  console.log();
}

// ------------------------------------------------------------------ 2. cachePage hit req/s

async function httpBench() {
  if (!hasWrk()) return;
  const [loadCpu, serverCpu] = loadAndServerCpus();
  const port = await freePort();
  const { child: server } = await startServer(join(HERE, 'server.mjs'), { cpu: serverCpu, env: { PORT: String(port), COVET_DIR: ROOT } });
  const base = `http://127.0.0.1:${port}`;
  const expected = '{"message":"Hello, World!","items":[1,2,3],"ok":true}';
  const check = async (path, cacheState) => {
    const res = await fetch(base + path);
    const body = await res.text();
    if (res.status !== 200 || body !== expected) throw new Error(`${path}: ${res.status} ${body}`);
    if (cacheState !== undefined && res.headers.get('x-cache') !== cacheState) throw new Error(`${path}: X-Cache ${res.headers.get('x-cache')}`);
  };
  await check('/plain');
  await check('/page', 'MISS');
  await check('/page', 'HIT');
  await check('/page-quiet');
  await check('/cached', 'MISS');
  await check('/cached', 'HIT');

  // Requests per server CPU-second too: on a shared machine the server may not get its whole
  // core, and that ratio does not depend on it.
  const wrk = (path, seconds) => runWrk(`${base}${path}`, { seconds, connections: Number(opt.connections), cpu: loadCpu, serverPid: server.pid, label: path });
  const routes = [
    { name: 'plain JSON route', path: '/plain', runs: [] },
    { name: 'cachePage hit', path: '/page', runs: [] },
    { name: 'cachePage hit, no X-Cache', path: '/page-quiet', runs: [] },
    { name: 'cache.cached hit (memory)', path: '/cached', runs: [] },
  ];
  for (const route of routes) await wrk(route.path, 1);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order (ABC, CBA, …) so drift in the machine's load hits all routes alike.
    for (const route of r % 2 === 0 ? routes : [...routes].reverse()) route.runs.push(await wrk(route.path, Number(opt.duration)));
    await sleep(200);
  }
  await check('/page', 'HIT');
  server.kill('SIGTERM');
  const [plain] = routes;
  console.log(
    `cachePage hit vs the plain JSON route it caches (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
  );
  console.log('| route                     |  req/s | vs plain | req per server CPU-s | vs plain | server CPU |');
  console.log('| ------------------------- | -----: | -------: | -------------------: | -------: | ---------: |');
  for (const route of routes) {
    const rps = median(route.runs.map((x) => x.rps));
    const ratio = median(route.runs.map((x, i) => x.rps / plain.runs[i].rps));
    const eff = median(route.runs.map((x) => x.perCpu));
    const effRatio = median(route.runs.map((x, i) => x.perCpu / plain.runs[i].perCpu));
    const share = median(route.runs.map((x) => x.cpuShare));
    console.log(
      `| ${route.name.padEnd(25)} | ${fmt(rps).padStart(6)} | ${`${ratio.toFixed(2)}x`.padStart(8)} | ${fmt(eff).padStart(20)} | ${`${effRatio.toFixed(2)}x`.padStart(8)} | ${`${Math.round(share * 100)}%`.padStart(10)} |`,
    );
  }
  console.log();
}

if (only.has('micro')) await microBench();
if (only.has('http')) await httpBench();
