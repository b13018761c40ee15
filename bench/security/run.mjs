#!/usr/bin/env node
// Security benchmarks, Covet against its oracle in the same run:
//   1. JWT verifications per second, HS256 and ES256: Covet's JWTAuth.verifyToken vs jose's
//      jwtVerify (targets: >= 1.0x), one process pinned to one CPU, rounds alternate.
//   2. HTTP req/s of a requireToken-protected route vs the same route unprotected (target:
//      >= 0.85x), server pinned to one CPU and wrk to another, as ../shared/bench/run.mjs does.
//
//   node bench/security/run.mjs [--rounds=3] [--seconds=2] [--duration=5] [--connections=64] [--only=jwt,http]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/security.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, fmt, freePort, hasWrk, loadAndServerCpus, median, runWrk, startServer } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string', default: 'jwt,http' },
    pinned: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const only = new Set(opt.only.split(','));

const CPUS = allowedCpus();

// The micro-benchmark re-runs itself pinned to one CPU (the last one, away from wrk's).
if (!opt.pinned && CPUS.length >= 1 && only.has('jwt')) {
  const args = [process.argv[1], ...process.argv.slice(2), '--pinned', '--only=jwt'];
  const r = spawnSync('taskset', ['-c', String(CPUS[CPUS.length - 1]), process.execPath, ...args], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exit(r.status ?? 1);
  only.delete('jwt');
  if (only.size === 0) process.exit(0);
}

const security = await import(pathToFileURL(join(ROOT, 'dist', 'security', 'index.js')).href);
const jose = await import('jose');

// ------------------------------------------------------------------ 1. verify/sec
async function opsPerSecond(fn, seconds) {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  let start = performance.now();
  // Warm up for a fifth of the time, then count.
  const warm = start + (seconds * 1000) / 5;
  while (performance.now() < warm) await fn();
  start = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) await fn();
    n += 256;
  }
  const cpu = process.cpuUsage(cpu0);
  // Per CPU-second too (all threads: jose's WebCrypto runs on the libuv pool): on a shared CPU
  // a process with two busy threads gets more of it, which wall-clock rates would credit to it.
  return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

async function jwtBench() {
  const secret = 'bench-secret-0123456789abcdef0123456789abcdef';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // `cacheSize: 0`: every verification does the full work, as jose does (no verified-token cache).
  const cases = [
    { alg: 'HS256', covet: new security.JWTAuth({ secretKey: secret, cacheSize: 0 }), joseKey: new TextEncoder().encode(secret) },
    { alg: 'ES256', covet: new security.JWTAuth({ algorithm: 'ES256', privateKey: pem, cacheSize: 0 }), joseKey: await jose.importSPKI(spki, 'ES256') },
  ];
  const rows = [];
  for (const c of cases) {
    const token = await c.covet.createToken({ user: 'alice', roles: ['admin'] });
    // Both must accept the token before they are timed.
    await c.covet.verifyToken(token);
    await jose.jwtVerify(token, c.joseKey, { algorithms: [c.alg] });
    const covetRuns = [];
    const joseRuns = [];
    const covetOnce = () => opsPerSecond(() => c.covet.verifyToken(token), SECONDS);
    const joseOnce = () => opsPerSecond(() => jose.jwtVerify(token, c.joseKey, { algorithms: [c.alg] }), SECONDS);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so drift in the machine's load does not favour one side.
      if (r % 2 === 0) {
        covetRuns.push(await covetOnce());
        joseRuns.push(await joseOnce());
      } else {
        joseRuns.push(await joseOnce());
        covetRuns.push(await covetOnce());
      }
    }
    rows.push({
      alg: c.alg,
      covet: median(covetRuns.map((x) => x.wall)),
      jose: median(joseRuns.map((x) => x.wall)),
      ratio: median(covetRuns.map((x, i) => x.wall / joseRuns[i].wall)),
      covetCpu: median(covetRuns.map((x) => x.cpu)),
      joseCpu: median(joseRuns.map((x) => x.cpu)),
      ratioCpu: median(covetRuns.map((x, i) => x.cpu / joseRuns[i].cpu)),
    });
  }
  console.log(`JWT verify/sec, full verification (cacheSize: 0) (${ROUNDS} rounds x ${SECONDS}s each, medians; ${opt.pinned ? `pinned to CPU ${CPUS.at(-1)}` : 'not pinned'})`);
  console.log('| alg   | covet verify/s | jose verify/s | covet vs jose | covet per CPU-s | jose per CPU-s | covet vs jose |');
  console.log('| ----- | -------------: | ------------: | ------------: | --------------: | -------------: | ------------: |');
  for (const r of rows) {
    console.log(
      `| ${r.alg} | ${fmt(r.covet).padStart(14)} | ${fmt(r.jose).padStart(13)} | ${`${r.ratio.toFixed(2)}x`.padStart(13)} | ${fmt(r.covetCpu).padStart(15)} | ${fmt(r.joseCpu).padStart(14)} | ${`${r.ratioCpu.toFixed(2)}x`.padStart(13)} |`,
    );
  }
  console.log();
}

// ------------------------------------------------------------------ 2. protected route req/s

async function httpBench() {
  if (!hasWrk()) return;
  const [loadCpu, serverCpu] = loadAndServerCpus();
  const port = await freePort();
  const { child: server, ready: token } = await startServer(join(HERE, 'server.mjs'), { cpu: serverCpu, env: { PORT: String(port), COVET_DIR: ROOT } });
  const base = `http://127.0.0.1:${port}`;
  const check = async (path, headers) => {
    const res = await fetch(base + path, { headers });
    const body = await res.text();
    if (res.status !== 200 || body !== '{"user":"alice"}') throw new Error(`${path}: ${res.status} ${body}`);
  };
  await check('/open');
  await check('/protected', { authorization: `Bearer ${token}` });
  await check('/protected-nocache', { authorization: `Bearer ${token}` });
  const unauth = await fetch(`${base}/protected`);
  if (unauth.status !== 401) throw new Error(`/protected without a token answered ${unauth.status}`);

  // Requests per server CPU-second too: on a shared machine the server may not get its whole
  // core, and that ratio does not depend on it.
  const wrk = (path, header, seconds) =>
    runWrk(`${base}${path}`, { seconds, connections: Number(opt.connections), cpu: loadCpu, serverPid: server.pid, headers: header ? [header] : [], label: path });
  const auth = `Authorization: Bearer ${token}`;
  await wrk('/open', auth, 1);
  await wrk('/protected', auth, 1);
  await wrk('/protected-nocache', auth, 1);
  const routes = [
    { name: 'unprotected', path: '/open', runs: [] },
    { name: 'requireToken', path: '/protected', runs: [] },
    { name: 'requireToken, cacheSize 0', path: '/protected-nocache', runs: [] },
  ];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order (ABC, CBA, …) so drift in the machine's load hits all routes alike.
    // The same request (Authorization header included) goes to every route: only the check differs.
    for (const route of r % 2 === 0 ? routes : [...routes].reverse()) route.runs.push(await wrk(route.path, auth, Number(opt.duration)));
    await sleep(200);
  }
  server.kill('SIGTERM');
  const [open] = routes;
  console.log(
    `requireToken (HS256) route vs the same route unprotected (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
  );
  console.log('| route                     |  req/s | vs unprotected | req per server CPU-s | vs unprotected | server CPU |');
  console.log('| ------------------------- | -----: | -------------: | -------------------: | -------------: | ---------: |');
  for (const route of routes) {
    const rps = median(route.runs.map((x) => x.rps));
    const ratio = median(route.runs.map((x, i) => x.rps / open.runs[i].rps));
    const eff = median(route.runs.map((x) => x.perCpu));
    const effRatio = median(route.runs.map((x, i) => x.perCpu / open.runs[i].perCpu));
    const share = median(route.runs.map((x) => x.cpuShare));
    console.log(
      `| ${route.name.padEnd(25)} | ${fmt(rps).padStart(6)} | ${`${ratio.toFixed(2)}x`.padStart(14)} | ${fmt(eff).padStart(20)} | ${`${effRatio.toFixed(2)}x`.padStart(14)} | ${`${Math.round(share * 100)}%`.padStart(10)} |`,
    );
  }
  console.log();
}

if (only.has('jwt')) await jwtBench();
if (only.has('http')) await httpBench();
