#!/usr/bin/env node
// In-process cost of observability per request, without sockets: the app's request listener is
// called with minimal stand-ins for Node's request and response objects, so what is measured is
// the framework's own work (routing, middleware, the feature, the JSON writer), not the kernel's.
// Requests go in batches of 16. Each variant runs in a fresh child process (so `AsyncLocalStorage`'s process-wide promise
// hooks, turned on by tracing and logging, do not leak into the other variants), rounds
// interleaved; the figure is CPU µs per request (user + system of the child), median of rounds.
//
//   node bench/monitoring/inprocess.mjs [--rounds=5] [--requests=200000] [--only=plain,noop,...]
//   node --cpu-prof bench/monitoring/inprocess.mjs --variant=noop       # one variant, profiled
//
// Imports dist/ (`npm run build` first), or src/ with COVET_SRC=1 and `node --import tsx`.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { minimalObservability } from './minimal.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '200000' },
    only: { type: 'string', default: '' },
    variant: { type: 'string', default: '' },
    collector: { type: 'string', default: '' },
    rate: { type: 'string', default: '0' },
  },
});

const VARIANTS = ['plain', 'noop', 'noop-object', 'model', 'noop-model', 'metrics', 'tracing', 'logging', 'all', 'minimal'];

// --rate=N paces the batches to about N requests per second (default: as fast as possible),
// which keeps queued spans and log lines alive as long as a server at that rate would.
const PACE_MS = Number(opt.rate) > 0 ? (16 * 1000) / Number(opt.rate) : 0;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function load(sub) {
  if (process.env.COVET_SRC === '1') return import(pathToFileURL(join(ROOT, 'src', sub.replace(/\.js$/, '.ts'))).href);
  return import(pathToFileURL(join(ROOT, 'dist', sub)).href);
}

/** Builds the app for one variant and returns its request listener. */
async function listenerFor(variant, collectorUrl) {
  const { CovetApp } = await load('index.js');
  const { MetricsManager, TracingMiddleware } = await load('monitoring/index.js');
  const { StructuredLogger } = await load('logging/index.js');
  const app = new CovetApp({ logger: { info() {}, error: console.error } });
  class Model {
    constructor(id) {
      this.id = id;
      this.name = 'alice';
    }
    toJSON() {
      return { user: this.name, id: this.id };
    }
  }
  const handler = variant.endsWith('model') ? (req) => new Model(req.params.id) : (req) => ({ user: 'alice', id: req.params.id });
  const noop = async function noop(req, callNext) {
    return callNext(req);
  };
  const noopObject = {
    async handle(req, callNext) {
      return callNext(req);
    },
  };
  const middleware = [];
  const tracing = () => new TracingMiddleware({ serviceName: 'bench', otlpEndpoint: collectorUrl, logger: { error: console.error } });
  const logger = () => {
    const devnull = createWriteStream('/dev/null');
    return new StructuredLogger({ level: 'INFO', format: 'json', destination: devnull });
  };
  if (variant === 'noop' || variant === 'noop-model') middleware.push(noop);
  if (variant === 'noop-object') middleware.push(noopObject);
  if (variant === 'metrics') middleware.push(new MetricsManager().middleware());
  if (variant === 'tracing') middleware.push(tracing());
  if (variant === 'logging') middleware.push(logger().middleware());
  if (variant === 'all') middleware.push(new MetricsManager().middleware(), tracing(), logger().middleware());
  if (variant === 'minimal') middleware.push(await minimalObservability({ otlpEndpoint: collectorUrl, root: ROOT }));
  app.get('/x/{id:int}', { middleware }, handler);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const [listener] = app.server.listeners('request');
  await new Promise((r) => app.server.close(r));
  return listener;
}

/**
 * Runs `n` requests through `listener` in batches of 16 (a batch starts when the last one was
 * answered, from `setImmediate`, as a server's next socket reads would) and resolves when all
 * were answered.
 */
function drive(listener, n) {
  const headers = { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*' };
  const rawHeaders = Object.entries(headers).flat();
  const socket = { encrypted: false, remoteAddress: '127.0.0.1', remotePort: 1 };
  let started = 0;
  let finished = 0;
  let inBatch = 0;
  let bytes = 0;
  return new Promise((resolveAll) => {
    const one = () => {
      const id = (started++ & 1023) + 1;
      const req = { method: 'GET', url: `/x/${id}`, headers, rawHeaders, httpVersionMajor: 1, socket, complete: true, on() {}, once() {} };
      const res = {
        headersSent: false,
        statusCode: 200,
        writeHead(status, h) {
          this.headersSent = true;
          this.statusCode = status;
          bytes += h.length;
          return this;
        },
        end(body) {
          bytes += body === undefined ? 0 : body.length;
          finished++;
          if (--inBatch === 0) {
            if (finished === n) resolveAll(bytes);
            else if (PACE_MS > 0) setTimeout(batch, PACE_MS);
            else setImmediate(batch);
          }
        },
        destroy() {},
        on() {},
        once() {},
        off() {},
        setHeader() {},
      };
      listener(req, res);
    };
    const batch = () => {
      const size = Math.min(16, n - started);
      inBatch = size;
      for (let i = 0; i < size; i++) one();
    };
    batch();
  });
}

async function child(variant, requests, collectorUrl) {
  if (process.env.BENCH_ALS === '1') {
    // What any AsyncLocalStorage user elsewhere in the process costs every route.
    const { AsyncLocalStorage } = await import('node:async_hooks');
    new AsyncLocalStorage().run({}, () => {});
  }
  const listener = await listenerFor(variant, collectorUrl);
  // Checks the answer once, then warms up.
  await drive(listener, 20_000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(listener, requests);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Let pending exports and log batches go out before exit.
  await new Promise((r) => setTimeout(r, 50));
  return { cpuUs: (cpu.user + cpu.system) / requests, wallUs: (wall * 1000) / requests };
}

if (opt.variant !== '') {
  const out = await child(opt.variant, Number(opt.requests), opt.collector || undefined);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

// A loopback OTLP collector in its own process, so its work is not counted.
const collector = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((r) => collector.stdout.once('data', (d) => r(Number(String(d).trim()))));
const collectorUrl = `http://127.0.0.1:${port}`;

const chosen = opt.only === '' ? VARIANTS : opt.only.split(',');
const results = Object.fromEntries(chosen.map((v) => [v, []]));
const execArgv = process.env.COVET_SRC === '1' ? ['--import', 'tsx'] : [];
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const variant of r % 2 === 0 ? chosen : [...chosen].reverse()) {
    const p = spawnSync(
      process.execPath,
      [...execArgv, fileURLToPath(import.meta.url), `--variant=${variant}`, `--requests=${opt.requests}`, `--collector=${collectorUrl}`],
      { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (p.status !== 0) throw new Error(`${variant} failed: ${p.status}`);
    results[variant].push(JSON.parse(p.stdout.trim().split('\n').pop()));
  }
}
collector.kill();

const base = median(results[chosen[0]].map((x) => x.cpuUs));
console.log(`In-process CPU per request (${opt.rounds} rounds x ${opt.requests} requests, fresh process per run, medians)`);
console.log(`| variant      | CPU µs/req | vs ${chosen[0].padEnd(6)} | +µs vs ${chosen[0].padEnd(6)} | wall µs/req |`);
console.log('| ------------ | ---------: | ---------: | -------------: | ----------: |');
for (const v of chosen) {
  const cpu = median(results[v].map((x) => x.cpuUs));
  const wall = median(results[v].map((x) => x.wallUs));
  console.log(
    `| ${v.padEnd(12)} | ${cpu.toFixed(2).padStart(10)} | ${`${(base / cpu).toFixed(2)}x`.padStart(10)} | ${(cpu - base).toFixed(2).padStart(14)} | ${wall.toFixed(2).padStart(11)} |`,
  );
}
