#!/usr/bin/env node
// Observability benchmarks:
//   1. HTTP req/s of one JSON route with metrics + tracing + request logging all on vs all off
//      (target: >= 0.85x), and with Covet's metrics middleware vs the same work done with
//      prom-client. Server pinned to one CPU, wrk to another, as ../shared/bench/run.mjs does;
//      tracing exports every span to a loopback OTLP collector in this process.
//   2. The metrics work alone, in process: counter inc + histogram observe by method, route and
//      status, Covet vs prom-client (ops/s), pinned to one CPU, rounds alternating.
//
//   node bench/monitoring/run.mjs [--rounds=3] [--duration=5] [--seconds=2] [--connections=64] [--only=http,ops]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/.
// The per-feature cost in process (µs per request, no sockets): bench/monitoring/inprocess.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, freePort } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string', default: 'http,ops' },
    pinned: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const only = new Set(opt.only.split(','));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

const CPUS = allowedCpus();

// The in-process benchmark re-runs itself pinned to one CPU.
if (!opt.pinned && CPUS.length >= 1 && only.has('ops')) {
  const args = [process.argv[1], ...process.argv.slice(2), '--pinned', '--only=ops'];
  const r = spawnSync('taskset', ['-c', String(CPUS[CPUS.length - 1]), process.execPath, ...args], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exit(r.status ?? 1);
  only.delete('ops');
  if (only.size === 0) process.exit(0);
}

// ------------------------------------------------------------------ 2. metrics ops/s
async function opsBench() {
  const monitoring = await import(pathToFileURL(join(ROOT, 'dist', 'monitoring', 'index.js')).href);
  const { default: client } = await import('prom-client');
  const labelNames = ['method', 'route', 'status'];
  const routes = Array.from({ length: 20 }, (_, i) => `/api/v1/resource${i}/{id:int}`);
  const methods = ['GET', 'POST'];
  const statuses = ['200', '201', '404', '500'];
  // A fixed pseudo-random sequence of requests, the same for both.
  const reqs = Array.from({ length: 4096 }, (_, i) => ({
    method: methods[i % 2],
    route: routes[(i * 7) % routes.length],
    status: statuses[(i * 13) % statuses.length],
    seconds: ((i * 37) % 1000) / 10_000,
  }));
  const covet = new monitoring.MetricsManager();
  const cc = covet.counter('http_requests_total', labelNames);
  const ch = covet.histogram('http_request_duration_seconds', labelNames);
  const registry = new client.Registry();
  const pc = new client.Counter({ name: 'http_requests_total', help: 'x', labelNames, registers: [registry] });
  const ph = new client.Histogram({ name: 'http_request_duration_seconds', help: 'x', labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  const covetWork = (r) => {
    const labels = { method: r.method, route: r.route, status: r.status };
    cc.inc(labels);
    ch.observe(labels, r.seconds);
  };
  const promWork = (r) => {
    const labels = { method: r.method, route: r.route, status: r.status };
    pc.inc(labels);
    ph.observe(labels, r.seconds);
  };
  const opsPerSecond = (fn) => {
    const warm = performance.now() + (SECONDS * 1000) / 5;
    let i = 0;
    while (performance.now() < warm) fn(reqs[i++ & 4095]);
    const start = performance.now();
    const end = start + SECONDS * 1000;
    let n = 0;
    while (performance.now() < end) {
      for (let k = 0; k < 1024; k++) fn(reqs[(n + k) & 4095]);
      n += 1024;
    }
    return n / ((performance.now() - start) / 1000);
  };
  // Scrape cost too: render the exposition of the same data.
  const scrapesPerSecond = async (fn) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < SECONDS * 500) {
      await fn();
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  };
  const c = [];
  const p = [];
  const cs = [];
  const ps = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      c.push(opsPerSecond(covetWork));
      p.push(opsPerSecond(promWork));
    } else {
      p.push(opsPerSecond(promWork));
      c.push(opsPerSecond(covetWork));
    }
    cs.push(await scrapesPerSecond(() => covet.metrics()));
    ps.push(await scrapesPerSecond(() => registry.metrics()));
  }
  console.log(`Metrics work per request (counter inc + histogram observe, 3 labels, 160 label sets), Covet vs prom-client (${ROUNDS} rounds x ${SECONDS}s, medians; ${opt.pinned ? `pinned to CPU ${CPUS.at(-1)}` : 'not pinned'})`);
  console.log('| work                  |   covet ops/s | prom-client ops/s | covet vs prom-client |');
  console.log('| --------------------- | ------------: | ----------------: | -------------------: |');
  console.log(`| inc + observe         | ${fmt(median(c)).padStart(13)} | ${fmt(median(p)).padStart(17)} | ${`${median(c.map((x, i) => x / p[i])).toFixed(2)}x`.padStart(20)} |`);
  console.log(`| scrape (text 0.0.4)   | ${fmt(median(cs)).padStart(13)} | ${fmt(median(ps)).padStart(17)} | ${`${median(cs.map((x, i) => x / ps[i])).toFixed(2)}x`.padStart(20)} |`);
  console.log();
}

// ------------------------------------------------------------------ 1. HTTP req/s

async function httpBench() {
  if (spawnSync('wrk', ['-v']).error) {
    console.log('HTTP benchmark skipped: wrk is not installed (apt-get install -y wrk)');
    return;
  }
  // A loopback OTLP collector: counts the spans it receives.
  let spansReceived = 0;
  const collector = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      for (const rs of JSON.parse(body).resourceSpans) for (const ss of rs.scopeSpans) spansReceived += ss.spans.length;
      res.end('{}');
    });
  });
  await new Promise((r) => collector.listen(0, '127.0.0.1', r));
  const [loadCpu, serverCpu] = CPUS.length >= 2 ? CPUS : [];
  const pin = (cpu) => (cpu === undefined ? [] : ['taskset', '-c', String(cpu)]);
  const port = await freePort();
  const [bin, ...args] = [...pin(serverCpu), process.execPath, join(HERE, 'server.mjs')];
  const server = spawn(bin, args, {
    env: { ...process.env, PORT: String(port), COVET_DIR: ROOT, OTLP_ENDPOINT: `http://127.0.0.1:${collector.address().port}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let serverOut = '';
  await new Promise((res, rej) => {
    server.stdout.on('data', (d) => {
      serverOut += d;
      if (serverOut.includes('READY')) res();
    });
    server.once('exit', (code) => rej(new Error(`server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (const p of ['/plain/1', '/observed/1', '/noop/1', '/tracing/1', '/logging/1', '/metrics-covet/1', '/metrics-prom/1']) {
    const res = await fetch(base + p);
    const body = await res.text();
    if (res.status !== 200 || body !== '{"user":"alice","id":1}') throw new Error(`${p}: ${res.status} ${body}`);
  }
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const cpuSeconds = () => {
    try {
      const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ').pop().split(' ');
      return (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      return Number.NaN;
    }
  };
  // wrk runs asynchronously: this process hosts the collector, which must keep answering.
  const wrk = async (path, seconds) => {
    const [wbin, ...wargs] = [...pin(loadCpu), 'wrk', '-t1', `-c${opt.connections}`, `-d${seconds}s`, '--latency', `${base}${path}`];
    const cpu0 = cpuSeconds();
    const stdout = await new Promise((res, rej) => {
      const child = spawn(wbin, wargs, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
      });
      child.once('error', rej);
      child.once('close', () => res(out));
    });
    const cpu = cpuSeconds() - cpu0;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
    const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    if (non2xx > 0) throw new Error(`${path}: ${non2xx} non-2xx responses`);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
    const p99ms = p99 === null ? Number.NaN : Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1);
    return { rps, perCpu: total / cpu, p99ms, total };
  };
  const routes = [
    { name: 'all off', path: '/plain/7', runs: [] },
    { name: 'metrics + tracing + logging', path: '/observed/7', runs: [] },
    { name: 'a no-op middleware', path: '/noop/7', runs: [] },
    { name: 'tracing alone', path: '/tracing/7', runs: [] },
    { name: 'request logging alone', path: '/logging/7', runs: [] },
    { name: 'Covet metrics middleware', path: '/metrics-covet/7', runs: [] },
    { name: 'prom-client, same work', path: '/metrics-prom/7', runs: [] },
  ];
  for (const route of routes) await wrk(route.path, 1);
  for (let r = 0; r < ROUNDS; r++) {
    for (const route of r % 2 === 0 ? routes : [...routes].reverse()) route.runs.push(await wrk(route.path, Number(opt.duration)));
    await sleep(200);
  }
  const observedRequests = routes[1].runs.reduce((a, x) => a + x.total, 0);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  collector.close();
  const [off] = routes;
  const prom = routes.find((r) => r.path.startsWith('/metrics-prom'));
  console.log(
    `One JSON route with observability on vs off (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
  );
  console.log('| route                       |  req/s | vs all off | vs prom-client | req per server CPU-s | vs all off | p99 ms |');
  console.log('| --------------------------- | -----: | ---------: | -------------: | -------------------: | ---------: | -----: |');
  for (const route of routes) {
    const rps = median(route.runs.map((x) => x.rps));
    const ratio = median(route.runs.map((x, i) => x.rps / off.runs[i].rps));
    const vsProm = median(route.runs.map((x, i) => x.rps / prom.runs[i].rps));
    const eff = median(route.runs.map((x) => x.perCpu));
    const effRatio = median(route.runs.map((x, i) => x.perCpu / off.runs[i].perCpu));
    const p99 = median(route.runs.map((x) => x.p99ms));
    console.log(
      `| ${route.name.padEnd(27)} | ${fmt(rps).padStart(6)} | ${`${ratio.toFixed(2)}x`.padStart(10)} | ${`${vsProm.toFixed(2)}x`.padStart(14)} | ${fmt(eff).padStart(20)} | ${`${effRatio.toFixed(2)}x`.padStart(10)} | ${p99.toFixed(2).padStart(6)} |`,
    );
  }
  const stats = /SPANS (\{.*\}) DROPPED_LOG_LINES (\d+)/.exec(serverOut);
  console.log(`Traced requests: ~${fmt(observedRequests)}; spans received by the collector: ${fmt(spansReceived)}; exporter stats: ${stats?.[1] ?? 'n/a'}; dropped log lines: ${stats?.[2] ?? 'n/a'}`);
  console.log();
}

if (only.has('ops')) await opsBench();
if (only.has('http')) await httpBench();
