#!/usr/bin/env node
// Observability benchmarks:
//   1. HTTP req/s of a small JSON route with metrics + tracing + request logging all on vs all
//      off (target: >= 0.85x), each feature alone, Covet's metrics middleware vs the same work done
//      with prom-client, and the same on Fastify with what its users add (prom-client, the
//      OpenTelemetry SDK, pino; bench/monitoring/peer). Then all on vs all off again on routes
//      that do an API's usual work (a page of 20 records as JSON; one SQLite row read in an
//      async handler). A fresh server per
//      configuration and round, pinned to one CPU, wrk to the other; tracing exports every span
//      to a loopback OTLP collector in this process.
//   2. The metrics work alone, in process: counter inc + histogram observe by method, route and
//      status, Covet vs prom-client (ops/s), pinned to one CPU, rounds alternating.
//
//   node bench/monitoring/run.mjs [--rounds=3] [--duration=5] [--seconds=2] [--connections=64] [--only=http,ops]
//   node bench/monitoring/run.mjs --only=http --configs=,a,l    # only these Covet F values
//   node bench/monitoring/run.mjs --only=http --configs=,mtl,z,fastify:,fastify:mtl --routes=x
//   node bench/monitoring/run.mjs --only=http --configs=,mtl --baseline=../old-checkout
//   node bench/monitoring/run.mjs --only=http --configs=,mtl --routes=x   # routes: x, items, users
//      # each Covet row also measured with another build (its dist/), in the same rounds
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/.
// The per-feature cost in process (µs per request, no sockets): bench/monitoring/inprocess.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
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
    only: { type: 'string', default: 'http,ops' },
    pinned: { type: 'boolean', default: false },
    configs: { type: 'string' },
    baseline: { type: 'string' },
    routes: { type: 'string', default: 'x,items,users' },
  },
});
const ROUTES = new Set(opt.routes.split(','));
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const only = new Set(opt.only.split(','));

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

const PEER = join(HERE, 'peer');
const ALL_CONFIGS = [
  { name: 'Covet: all off', F: '' },
  { name: 'Covet: metrics + tracing + logging', F: 'mtl' },
  { name: 'Covet: a no-op middleware', F: 'o' },
  { name: 'Covet: AsyncLocalStorage.run only', F: 'a' },
  { name: 'Covet: metrics', F: 'm' },
  { name: 'Covet: prom-client, same work', F: 'p' },
  { name: 'Covet: tracing', F: 't' },
  { name: 'Covet: tracing, no exporter', F: 'tn' },
  { name: 'Covet: tracing, sampled out', F: 'ts' },
  { name: 'Covet: hand-written minimum', F: 'z' },
  { name: 'Covet: request logging', F: 'l' },
  { name: 'Fastify: all off', F: '', peer: true },
  { name: 'Fastify: metrics + tracing + logging', F: 'mtl', peer: true },
  { name: 'Fastify: prom-client', F: 'm', peer: true },
  { name: 'Fastify: OpenTelemetry SDK', F: 't', peer: true },
  { name: 'Fastify: pino logging', F: 'l', peer: true },
];
// --configs=F1,F2,…: only Covet's rows with these F values (an empty one is all off);
// `fastify:F` picks a Fastify row (`fastify:` is its all off).
const SELECTED =
  opt.configs === undefined
    ? ALL_CONFIGS
    : opt.configs.split(',').map((F) =>
        F.startsWith('fastify:')
          ? (ALL_CONFIGS.find((c) => c.peer && c.F === F.slice('fastify:'.length)) ?? { name: `Fastify: F=${F.slice('fastify:'.length)}`, F: F.slice('fastify:'.length), peer: true })
          : (ALL_CONFIGS.find((c) => !c.peer && c.F === F) ?? { name: `Covet: F=${F}`, F }),
      );
// --baseline=DIR: every Covet row twice, this build and DIR's, interleaved in the same rounds;
// the baseline's rows are compared with the baseline's all off.
const BASELINE = opt.baseline === undefined ? undefined : resolve(opt.baseline);
const CONFIGS =
  BASELINE === undefined ? SELECTED : SELECTED.flatMap((c) => (c.peer ? [c] : [c, { ...c, name: `baseline ${c.name.slice('Covet: '.length)}`.slice(0, 36), dir: BASELINE }]));

// The same with routes that do an API's usual work (a page of 20 records as JSON; one row read
// from SQLite in an async handler), all on vs off.
const ITEMS_CONFIGS = CONFIGS.filter((c) => c.F === '' || c.F === 'mtl');

async function httpBench() {
  if (!hasWrk()) return;
  const hasPeer = existsSync(join(PEER, 'node_modules', 'fastify'));
  if (!hasPeer) console.log('Fastify rows skipped: bench/monitoring/peer is not installed (cd bench/monitoring/peer && npm ci)');
  // A loopback OTLP collector in this process, which moves to the load generator's CPU so it
  // takes nothing from the server's.
  let spansReceived = 0;
  // It counts the spans without parsing the JSON: a real collector runs on another machine, and
  // parsing here would take CPU from the load generator on this one (about 20 MB/s of JSON at
  // 35k spans/s). Each span has one `"spanId":` key (a parent's is `"parentSpanId":`).
  const SPAN_KEY = Buffer.from('"spanId":');
  const collector = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      for (let at = body.indexOf(SPAN_KEY); at !== -1; at = body.indexOf(SPAN_KEY, at + SPAN_KEY.length)) spansReceived++;
      res.end('{}');
    });
  });
  await new Promise((r) => collector.listen(0, '127.0.0.1', r));
  const [loadCpu, serverCpu] = loadAndServerCpus();
  if (loadCpu !== undefined) spawnSync('taskset', ['-a', '-p', '-c', String(loadCpu), String(process.pid)], { stdio: 'ignore' });
  /** One measurement: a fresh server for `config`, warmed up, then loaded for --duration seconds. */
  const measure = async (config, { path, valid }) => {
    const port = await freePort();
    const { child: server } = await startServer(config.peer ? join(PEER, 'server.mjs') : join(HERE, 'server.mjs'), {
      cpu: serverCpu,
      env: { F: config.F, PORT: String(port), COVET_DIR: config.dir ?? ROOT, OTLP_ENDPOINT: `http://127.0.0.1:${collector.address().port}` },
      name: config.name,
      stderr: 'ignore',
    });
    const url = `http://127.0.0.1:${port}${path}`;
    const check = await fetch(url);
    const body = await check.text();
    if (check.status !== 200 || !valid(JSON.parse(body))) throw new Error(`${config.name}: ${check.status} ${body}`);
    if (config.F.includes('t') && !check.headers.get('traceparent')) throw new Error(`${config.name}: no traceparent`);
    if (config.F.includes('l') && !check.headers.get('x-request-id')) throw new Error(`${config.name}: no x-request-id`);
    const load = { connections: Number(opt.connections), cpu: loadCpu, serverPid: server.pid, label: config.name };
    await runWrk(url, { ...load, seconds: 1 });
    const result = await runWrk(url, { ...load, seconds: Number(opt.duration) });
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    return result;
  };
  /** Runs `all` (interleaved rounds) on `route.path`, checking one answer with `route.valid`, and prints their table. */
  const table = async (all, route) => {
    const configs = all.filter((c) => hasPeer || !c.peer);
    const runs = new Map(configs.map((c) => [c, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const config of r % 2 === 0 ? configs : [...configs].reverse()) runs.get(config).push(await measure(config, route));
    }
    const baseOf = (c) => runs.get(configs.find((x) => x.F === '' && !!x.peer === !!c.peer && x.dir === c.dir));
    console.log(
      `${route.title}, observability on vs off, a fresh server per run (wrk -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `server on CPU ${serverCpu}, wrk and the OTLP collector on CPU ${loadCpu}`})`,
    );
    console.log('| configuration                        |  req/s | vs own all off | req per server CPU-s | vs own all off | p99 ms |');
    console.log('| ------------------------------------ | -----: | -------------: | -------------------: | -------------: | -----: |');
    const ratio = (a, b, key) => median(a.map((x, i) => x[key] / b[i][key]));
    for (const config of configs) {
      const xs = runs.get(config);
      const base = baseOf(config);
      console.log(
        `| ${config.name.padEnd(36)} | ${fmt(median(xs.map((x) => x.rps))).padStart(6)} | ${`${ratio(xs, base, 'rps').toFixed(2)}x`.padStart(14)} | ${fmt(median(xs.map((x) => x.perCpu))).padStart(20)} | ${`${ratio(xs, base, 'perCpu').toFixed(2)}x`.padStart(14)} | ${median(xs.map((x) => x.p99ms)).toFixed(2).padStart(6)} |`,
      );
    }
    const find = (name) => runs.get(configs.find((c) => c.name === name));
    const line = (label, a, b) => {
      if (a === undefined || b === undefined) return;
      console.log(`${label}: ${ratio(a, b, 'rps').toFixed(2)}x req/s, ${ratio(a, b, 'perCpu').toFixed(2)}x req per server CPU-s`);
    };
    line('Covet all on vs Covet all off (target >= 0.85x)', find('Covet: metrics + tracing + logging'), find('Covet: all off'));
    line('The hand-written minimum (minimal.mjs) vs Covet all off', find('Covet: hand-written minimum'), find('Covet: all off'));
    line('Covet all on vs Fastify all on', find('Covet: metrics + tracing + logging'), find('Fastify: metrics + tracing + logging'));
    line("Covet's metrics middleware vs prom-client doing the same work in Covet", find('Covet: metrics'), find('Covet: prom-client, same work'));
    const exported = (c) => c.F.includes('t') && !c.F.includes('n') && !c.F.includes('s');
    return configs.filter(exported).reduce((a, c) => a + runs.get(c).reduce((b, x) => b + x.total, 0), 0);
  };
  let tracedRequests = 0;
  if (ROUTES.has('x')) {
    tracedRequests += await table(CONFIGS, { path: '/x/7', title: 'GET /x/{id} (a small JSON object)', valid: (b) => b.id === 7 });
    console.log();
  }
  if (ROUTES.has('items')) {
    tracedRequests += await table(ITEMS_CONFIGS, { path: '/items', title: 'GET /items (a page of 20 records, about 1.6 KB of JSON)', valid: (b) => b.length === 20 });
    console.log();
  }
  if (ROUTES.has('users')) {
    tracedRequests += await table(ITEMS_CONFIGS, {
      path: '/users/7',
      title: 'GET /users/{id} (an async handler reading one row of an in-memory SQLite table)',
      valid: (b) => b.id === 7 && b.email === 'user7@example.com',
    });
  }
  collector.close();
  console.log(`Traced and exported requests: ~${fmt(tracedRequests)}; spans received by the collector: ${fmt(spansReceived)} (every traced request, warm-up and checks included, is one span)`);
  console.log();
}

if (only.has('ops')) await opsBench();
if (only.has('http')) await httpBench();
