#!/usr/bin/env node
// WebSocket benchmark: Covet (this checkout's dist/) vs `ws` vs @fastify/websocket, same run,
// same client. Each server runs in a fresh process pinned to CPU 0, the `ws`-based load
// generator on CPU 1 (when `taskset` exists). Scenarios:
//   echo          — 50 connections, each sending a 64-byte text message and waiting for its echo:
//                   round trips per second;
//   echo-deflate  — the same with 4 KiB messages and permessage-deflate on both sides (zlib
//                   level 1, memLevel 8, 1 KiB threshold, context takeover) for every server;
//   fanout        — 1000 clients; the server broadcasts 200 messages of 128 bytes to all of them:
//                   messages delivered per second until every client has every message.
// Peak RSS is the server's VmHWM during the scenario (reset through /proc/<pid>/clear_refs).
// Server CPU per message is the server's user+system time over the whole client run (connect and
// warm-up included) divided by the messages counted: an overestimate, the same for every server,
// and much steadier than throughput on a shared machine.
// Every message is checked for its length; errors are reported.
//
//   cd bench/websocket && npm ci && node run.mjs [--rounds=3] [--duration=5] [--warmup=1]
//       [--connections=50] [--clients=1000] [--messages=200] [--only=covet,ws,fastify]
//       [--scenarios=echo,echo-deflate,fanout] [--out=x.json]
//
// Covet must be built first (`npm run build` at the project root); COVET_DIR points at another
// checkout (or a copy of dist/ with its package.json, safe from concurrent rebuilds).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SERVERS = ['ws', 'fastify', 'covet'];
const SCENARIOS = ['echo', 'echo-deflate', 'fanout'];

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    clients: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '200' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string' },
  },
});
const die = (msg) => {
  console.error(`websocket/run.mjs: ${msg}`);
  process.exit(2);
};
const int = (name, min) => {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < min) die(`--${name} must be an integer >= ${min}`);
  return n;
};
const settings = {
  rounds: int('rounds', 1),
  duration: int('duration', 1),
  warmup: int('warmup', 0),
  connections: int('connections', 1),
  clients: int('clients', 1),
  messages: int('messages', 1),
};
const list = (s, known) => {
  const out = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of out) if (!known.includes(x)) die(`unknown '${x}' (known: ${known})`);
  return out;
};
const servers = opt.only ? list(opt.only, SERVERS) : SERVERS;
const scenarios = opt.scenarios ? list(opt.scenarios, SCENARIOS) : SCENARIOS;
if (!existsSync(join(process.env.COVET_DIR ?? join(HERE, '..', '..'), 'dist', 'websocket', 'index.js'))) die('Covet is not built: run `npm run build` at the project root');
if (!existsSync(join(HERE, 'node_modules', '@fastify', 'websocket'))) die('run `npm ci` in bench/websocket first');
const pin = !spawnSync('taskset', ['-c', '0', 'true']).error;
const pinned = (cpu, args) => (pin ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args]);

function startServer(kind, compress) {
  const [cmd, args] = pinned(0, [join(HERE, 'server.mjs'), kind, compress ? '1' : '0']);
  const child = spawn(cmd, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, COVET_DIR: process.env.COVET_DIR ?? join(HERE, '..', '..') } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, ...JSON.parse(out.split('\n')[0]) });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function runClient(args) {
  const [cmd, full] = pinned(1, [join(HERE, 'client.mjs'), ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => {
      try {
        const result = JSON.parse(out.trim().split('\n').pop() ?? '');
        if (code !== 0) reject(new Error(`client failed: ${out}`));
        else resolve(result);
      } catch {
        reject(new Error(`client printed ${JSON.stringify(out)} (exit ${code})`));
      }
    });
  });
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The server's resident-set high-water mark since the last reset, in MiB. */
function peakRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function measure(kind, scenario) {
  const compress = scenario === 'echo-deflate';
  const server = await startServer(kind, compress);
  try {
    const reset = resetPeak(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const base = `ws://127.0.0.1:${server.port}`;
    const result =
      scenario === 'fanout'
        ? await runClient(['fanout', `${base}/fanout`, String(settings.clients), String(settings.messages), '128'])
        : await runClient(['echo', `${base}/echo`, String(settings.connections), String(settings.warmup), String(settings.duration), compress ? '4096' : '64', compress ? '1' : '0']);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    // Server CPU per message: robust where throughput is not (the machine is shared).
    const count = result.roundTrips ?? result.delivered;
    return { ...result, cpuMicrosPerMessage: (cpu * 1e6) / count, peakRssMiB: peakRss(server.pid), peakReset: reset };
  } finally {
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = {};
console.log(`WebSocket benchmark: ${settings.rounds} round(s); echo ${settings.connections} connections × ${settings.duration}s; fanout ${settings.clients} clients × ${settings.messages} messages; ${pin ? 'server on CPU 0, client on CPU 1' : 'no taskset: unpinned'}`);
for (let round = 1; round <= settings.rounds; round++) {
  for (const scenario of scenarios) {
    // Alternate the order between rounds so no server always runs first.
    const order = round % 2 ? servers : [...servers].reverse();
    for (const kind of order) {
      const r = await measure(kind, scenario);
      ((results[scenario] ??= {})[kind] ??= []).push(r);
      console.log(
        `  round ${round} ${scenario.padEnd(12)} ${kind.padEnd(8)} ${Math.round(r.perSecond).toString().padStart(8)}/s  ${r.cpuMicrosPerMessage.toFixed(2)} µs CPU/msg  peak RSS ${r.peakRssMiB.toFixed(1)} MiB${r.errors ? `  ERRORS ${r.errors}` : ''}`,
      );
    }
  }
}

console.log('\n| scenario | server | per second (median) | vs ws | server CPU µs/msg (median) | ws CPU / server CPU | peak RSS MiB (median) | errors |');
console.log('| -------- | ------ | ------------------: | ----: | -------------------------: | ------------------: | --------------------: | -----: |');
const unit = { echo: 'round trips', 'echo-deflate': 'round trips', fanout: 'messages' };
for (const scenario of scenarios) {
  const wsRate = results[scenario].ws ? median(results[scenario].ws.map((r) => r.perSecond)) : null;
  const wsCpu = results[scenario].ws ? median(results[scenario].ws.map((r) => r.cpuMicrosPerMessage)) : null;
  for (const kind of servers) {
    const rs = results[scenario][kind];
    const rate = median(rs.map((r) => r.perSecond));
    const ratio = wsRate ? `${(rate / wsRate).toFixed(2)}x` : '-';
    const errors = rs.reduce((n, r) => n + (r.errors ?? 0), 0);
    const cpu = median(rs.map((r) => r.cpuMicrosPerMessage));
    const efficiency = wsCpu ? `${(wsCpu / cpu).toFixed(2)}x` : '-';
    console.log(
      `| ${scenario} (${unit[scenario]}) | ${kind} | ${Math.round(rate)} | ${ratio} | ${cpu.toFixed(2)} | ${efficiency} | ${median(rs.map((r) => r.peakRssMiB)).toFixed(1)} | ${errors} |`,
    );
  }
}
if (opt.out) writeFileSync(opt.out, JSON.stringify({ settings, results }, null, 2));
