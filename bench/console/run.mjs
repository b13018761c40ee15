#!/usr/bin/env node
// Covet Console overhead. Three builds of the same app, side by side:
//   none: no console;  off: app.console() in production without a token (it stays off);
//   on:   app.console() with a token, recording every request.
// Two apps: `json` (one JSON route, the issue's target) and `db` (SQLite via addDatabase, a route
// running 1 + 5 queries, which the console attributes to the request through AsyncLocalStorage).
// Targets: off = none within noise, on >= 0.90x.
//   1. HTTP: wrk -t1 against each server (servers pinned to one CPU, only one loaded at a time;
//      wrk on the other), modes alternating order round by round; req/s and requests per
//      server CPU-second.
//   2. In-process: CPU time per request through the app's request listener with stand-in Node
//      objects (no sockets), a fresh process per run pinned to one CPU — steadier than wall-clock
//      numbers on a shared machine.
//
//   node bench/console/run.mjs [--rounds=5] [--duration=5] [--connections=64] [--apps=json,db] [--only=http,micro]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it): imports dist/.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allowedCpus, fmt, freePort, hasWrk, median, pin, runWrk, startServer } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    apps: { type: 'string', default: 'json,db' },
    only: { type: 'string', default: 'http,micro' },
  },
});
const ROUNDS = Number(opt.rounds);
const MODES = ['none', 'off', 'on'];
const LABEL = { none: 'none', off: 'registered, off', on: 'on (token, recording)' };
const APPS = {
  json: { name: 'JSON route', route: '/json' },
  db: { name: 'SQLite 1+5 queries', route: '/db' },
};
const apps = opt.apps.split(',').map((a) => ({ id: a, ...APPS[a] }));
const only = new Set(opt.only.split(','));
const CPUS = allowedCpus();
const [loadCpu, serverCpu] = CPUS.length >= 2 ? CPUS : [undefined, CPUS[0]];
const TOKEN = 'bench-console-token-0123456789'; // the same as server.mjs

async function start(app, mode) {
  const port = await freePort();
  const { child } = await startServer(join(HERE, 'server.mjs'), {
    cpu: serverCpu,
    env: { PORT: String(port), COVET_DIR: ROOT, MODE: mode, APP: app },
    name: `${app}/${mode}`,
  });
  return { mode, child, base: `http://127.0.0.1:${port}` };
}

function wrk(server, path, seconds) {
  const label = `${server.mode} ${path}`;
  return runWrk(`${server.base}${path}`, { seconds, connections: Number(opt.connections), cpu: loadCpu, serverPid: server.child.pid, label });
}

async function httpBench() {
  if (!hasWrk()) return;
  const rows = [];
  let recorded = '';
  for (const app of apps) {
    const servers = [];
    try {
      for (const mode of MODES) servers.push(await start(app.id, mode));
      // Same answers everywhere; the console answers only where it is on.
      for (const s of servers) {
        if ((await fetch(s.base + app.route)).status !== 200) throw new Error(`${app.id}/${s.mode} ${app.route}`);
        const status = (await fetch(`${s.base}/_covet/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } })).status;
        if (status !== (s.mode === 'on' ? 200 : 404)) throw new Error(`${app.id}/${s.mode}: console answered ${status}`);
      }
      const runs = Object.fromEntries(MODES.map((m) => [m, []]));
      for (const s of servers) await wrk(s, app.route, 1);
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate the order (none, off, on; on, off, none; …) so drift in the load hits all alike.
        for (const s of r % 2 === 0 ? servers : [...servers].reverse()) runs[s.mode].push(await wrk(s, app.route, Number(opt.duration)));
        await sleep(200);
      }
      const on = servers.find((s) => s.mode === 'on');
      const snap = await (await fetch(`${on.base}/_covet/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
      recorded += ` ${app.id}: ${fmt(snap.totals.requests)} requests, ${fmt(snap.totals.queries)} SQL statements recorded (last ${snap.capacity.requests} kept).`;
      for (const mode of MODES) {
        rows.push({
          app: `${app.name} (${app.route})`,
          mode,
          rps: median(runs[mode].map((x) => x.rps)),
          ratio: median(runs[mode].map((x, i) => x.rps / runs.none[i].rps)),
          eff: median(runs[mode].map((x) => x.perCpu)),
          effRatio: median(runs[mode].map((x, i) => x.perCpu / runs.none[i].perCpu)),
        });
      }
    } finally {
      for (const s of servers) s.child.kill('SIGTERM');
    }
  }
  console.log(
    `Covet Console overhead over HTTP (wrk -t1 -c${opt.connections}, ${ROUNDS} rounds x ${opt.duration}s, medians of per-round values; ${loadCpu === undefined ? 'not pinned' : `servers on CPU ${serverCpu}, wrk on CPU ${loadCpu}`})`,
  );
  console.log('| app                       | console                 |  req/s | vs none | req per server CPU-s | vs none |');
  console.log('| ------------------------- | ----------------------- | -----: | ------: | -------------------: | ------: |');
  for (const r of rows) {
    console.log(
      `| ${r.app.padEnd(25)} | ${LABEL[r.mode].padEnd(23)} | ${fmt(r.rps).padStart(6)} | ${`${r.ratio.toFixed(2)}x`.padStart(7)} | ${fmt(r.eff).padStart(20)} | ${`${r.effRatio.toFixed(2)}x`.padStart(7)} |`,
    );
  }
  console.log(`(${recorded.trim()})`);
  console.log();
}

function microBench() {
  const rows = [];
  for (const app of apps) {
    const runs = Object.fromEntries(MODES.map((m) => [m, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
        const [bin, ...args] = [...pin(serverCpu), process.execPath, join(HERE, 'micro.mjs')];
        const env = { ...process.env, COVET_DIR: ROOT, MODE: mode, APP: app.id, ROUTE: app.route };
        const out = spawnSync(bin, args, { env, encoding: 'utf8' });
        if (out.status !== 0) throw new Error(`micro ${app.id}/${mode}: ${out.stderr}`);
        runs[mode].push(JSON.parse(out.stdout.trim().split('\n').pop()).cpuUsPerRequest);
      }
    }
    for (const mode of MODES) {
      rows.push({
        app: `${app.name} (${app.route})`,
        mode,
        us: median(runs[mode]),
        // Requests per CPU-second relative to no console: the inverse ratio of costs.
        ratio: median(runs[mode].map((x, i) => runs.none[i] / x)),
      });
    }
  }
  console.log(
    `Covet Console overhead in process (CPU time per request, no sockets, 64 concurrent; ${ROUNDS} rounds, a fresh process per run${serverCpu === undefined ? '' : ` pinned to CPU ${serverCpu}`}; medians)`,
  );
  console.log('| app                       | console                 | CPU µs/request | throughput vs none |');
  console.log('| ------------------------- | ----------------------- | -------------: | -----------------: |');
  for (const r of rows) {
    console.log(`| ${r.app.padEnd(25)} | ${LABEL[r.mode].padEnd(23)} | ${r.us.toFixed(2).padStart(14)} | ${`${r.ratio.toFixed(2)}x`.padStart(18)} |`);
  }
  console.log();
}

if (only.has('http')) await httpBench();
if (only.has('micro')) microBench();
