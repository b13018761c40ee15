#!/usr/bin/env node
// Multipart upload benchmark: Covet (the built ../../dist) vs Fastify + @fastify/multipart.
// For each mode, round and framework: a fresh server process (pinned to one CPU when taskset
// and two CPUs are there; this client runs on another), one checked upload, a warm-up, then
// N uploads of a SIZE MiB file with fetch + FormData over loopback. Reports throughput (MB/s,
// 1 MB = 10^6 bytes, median of the rounds) and the server's peak RSS above its idle RSS
// (VmHWM after resetting it through /proc/<pid>/clear_refs; sampled VmRSS where that is not
// allowed), and the server's CPU time per upload (less sensitive to a busy machine than MB/s).
// Then one BIG MiB upload per framework, for its peak RSS.
//
//   node bench/upload/run.mjs [--uploads=40] [--size=10] [--big=100] [--rounds=3]
//                             [--concurrency=1] [--modes=disk,memory] [--only=covet,fastify] [--out=file.json]
//
// Modes: disk   — Covet's defaults (files past 1 MiB spooled to a temp file) vs Fastify's
//                 req.saveRequestFiles() (temp files removed after the response);
//        memory  — Covet with memoryThreshold above the file size and `await file.read()` vs
//                 Fastify's `await (await req.file()).toBuffer()`.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const MiB = 1024 * 1024;
const FRAMEWORKS = ['covet', 'fastify'];
const MODES = ['disk', 'memory'];

const { values: opt } = parseArgs({
  options: {
    uploads: { type: 'string', default: '40' },
    size: { type: 'string', default: '10' },
    big: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '5' },
    modes: { type: 'string', default: MODES.join(',') },
    only: { type: 'string', default: FRAMEWORKS.join(',') },
    out: { type: 'string' },
  },
});
const die = (msg) => {
  console.error(`bench/upload: ${msg}`);
  process.exit(2);
};
const int = (name, min) => {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < min) die(`--${name} must be an integer >= ${min}`);
  return n;
};
const settings = {
  uploads: int('uploads', 1),
  size: int('size', 1),
  big: int('big', 0),
  rounds: int('rounds', 1),
  concurrency: int('concurrency', 1),
  warmup: int('warmup', 0),
};
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const modes = list(opt.modes);
const frameworks = list(opt.only);
for (const m of modes) if (!MODES.includes(m)) die(`unknown mode '${m}' (known: ${MODES})`);
for (const f of frameworks) if (!FRAMEWORKS.includes(f)) die(`unknown framework '${f}' (known: ${FRAMEWORKS})`);
if (!existsSync(new URL('../../dist/index.js', import.meta.url))) die('no ../../dist: run `npm run build` first');
if (frameworks.includes('fastify') && !existsSync(new URL('node_modules/@fastify/multipart', import.meta.url))) {
  die('Fastify is not installed: cd bench/upload && npm ci');
}

// ---------------------------------------------------------------- CPUs and memory
function expandCpuList(text) {
  const out = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** Pins this process (the client) to one CPU and returns the prefix for the servers' CPU. */
function pinning() {
  const r = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  const allowed = r.status === 0 ? expandCpuList(r.stdout.split(':').pop().trim()) : [];
  if (allowed.length < 2) return { prefix: [], note: 'not pinned (needs taskset and 2 CPUs)' };
  const [client, server] = allowed;
  spawnSync('taskset', ['-cp', String(client), String(process.pid)]);
  return { prefix: ['taskset', '-c', String(server)], note: `server on CPU ${server}, client on CPU ${client}` };
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU time (user + system) a process has used, in ms (/proc/<pid>/stat, 100 ticks a second). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Tracks a process's peak RSS from now on; `stop()` returns it in bytes. */
function peakTracker(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return { stop: () => memory(pid).hwm, how: 'VmHWM' };
  } catch {
    let peak = memory(pid).rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, memory(pid).rss);
    }, 5);
    return {
      stop: () => {
        clearInterval(timer);
        return Math.max(peak, memory(pid).rss);
      },
      how: 'sampled VmRSS',
    };
  }
}

// ---------------------------------------------------------------- servers
async function startServer(framework, mode, prefix) {
  const script = fileURLToPath(new URL(`servers/${framework}.mjs`, import.meta.url));
  const [cmd, ...args] = [...prefix, process.execPath, script];
  const child = spawn(cmd, args, { cwd: HERE, env: { ...process.env, MODE: mode }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await Promise.race([
    once(child.stdout, 'data').then(([d]) => d.toString()),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${framework} server exited with ${code}`);
    }),
    sleep(30_000).then(() => {
      throw new Error(`${framework} server did not start within 30 s`);
    }),
  ]);
  const { port } = JSON.parse(line);
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}/upload` };
}

async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  const exited = once(server.child, 'exit');
  if ((await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])) === false) {
    server.child.kill('SIGKILL');
    await exited;
  }
}

// ---------------------------------------------------------------- client
async function upload(url, blob) {
  const fd = new FormData();
  fd.append('file', blob, 'upload.bin');
  const res = await fetch(url, { method: 'POST', body: fd });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
  const { size } = JSON.parse(text);
  if (size !== blob.size) throw new Error(`${url}: the server saw ${size} bytes, sent ${blob.size}`);
}

async function uploadMany(url, blob, count, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await upload(url, blob);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function blobOf(bytes) {
  const buf = Buffer.alloc(bytes);
  // Not all zeros: some bytes are CR/LF/"-" so the boundary search has work to do.
  for (let i = 0; i < bytes; i += 4096) buf.write('\r\n--not-the-boundary\r\n', i, 'latin1');
  for (let i = 0; i < bytes; i += 7) buf[i] = (i * 31) & 0xff;
  return new Blob([buf]);
}

/** One measured run: throughput and peak RSS above idle. */
async function measure(framework, mode, prefix, blob) {
  const server = await startServer(framework, mode, prefix);
  try {
    await upload(server.url, blob);
    for (let i = 0; i < settings.warmup; i++) await upload(server.url, blob);
    await sleep(200);
    const idle = memory(server.pid).rss;
    const peak = peakTracker(server.pid);
    const cpu0 = cpuMs(server.pid);
    const start = process.hrtime.bigint();
    await uploadMany(server.url, blob, settings.uploads, settings.concurrency);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const top = peak.stop();
    const cpuPerUpload = (cpuMs(server.pid) - cpu0) / settings.uploads;
    return { mbps: (settings.uploads * blob.size) / seconds / 1e6, cpuPerUpload, rssAbove: top - idle, idle, how: peak.how };
  } finally {
    await stopServer(server);
  }
}

async function measureBig(framework, prefix) {
  const server = await startServer(framework, 'disk', prefix);
  try {
    const small = blobOf(settings.size * MiB);
    for (let i = 0; i < Math.max(3, settings.warmup); i++) await upload(server.url, small);
    const big = blobOf(settings.big * MiB);
    await sleep(200);
    const idle = memory(server.pid).rss;
    const peak = peakTracker(server.pid);
    const start = process.hrtime.bigint();
    await upload(server.url, big);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { rssAbove: peak.stop() - idle, idle, mbps: big.size / seconds / 1e6 };
  } finally {
    await stopServer(server);
  }
}

// ---------------------------------------------------------------- run
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

const pin = pinning();
console.log(`upload benchmark: node ${process.version}, ${pin.note}`);
console.log(
  `${settings.uploads} uploads of ${settings.size} MiB per run, concurrency ${settings.concurrency}, ` +
    `${settings.rounds} round(s), warm-up ${settings.warmup}; fetch + FormData over loopback\n`,
);

const blob = blobOf(settings.size * MiB);
const results = { settings, pinning: pin.note, node: process.version, modes: {}, big: {} };
for (const mode of modes) {
  const runs = Object.fromEntries(frameworks.map((f) => [f, []]));
  for (let round = 0; round < settings.rounds; round++) {
    // Alternate who goes first, so drift (page cache, thermal) does not favour one side.
    const order = round % 2 === 0 ? frameworks : [...frameworks].reverse();
    for (const f of order) runs[f].push(await measure(f, mode, pin.prefix, blob));
  }
  results.modes[mode] = Object.fromEntries(
    frameworks.map((f) => [
      f,
      {
        mbps: median(runs[f].map((r) => r.mbps)),
        cpuPerUpload: median(runs[f].map((r) => r.cpuPerUpload)),
        rssAbove: median(runs[f].map((r) => r.rssAbove)),
        rssAboveMax: Math.max(...runs[f].map((r) => r.rssAbove)),
        idle: median(runs[f].map((r) => r.idle)),
        rounds: runs[f].map((r) => Number(r.mbps.toFixed(1))),
        how: runs[f][0].how,
      },
    ]),
  );
}
if (settings.big > 0) for (const f of frameworks) results.big[f] = await measureBig(f, pin.prefix);

const rows = [['mode', 'framework', 'MB/s (median)', 'rounds', 'vs fastify', 'server CPU ms/upload', 'peak RSS above idle (median / max)', 'idle RSS']];
for (const mode of modes) {
  const r = results.modes[mode];
  for (const f of frameworks) {
    const x = r[f];
    const ratio = r.fastify ? `${(x.mbps / r.fastify.mbps).toFixed(2)}x` : '-';
    rows.push([mode, f, x.mbps.toFixed(1), x.rounds.join(' / '), ratio, x.cpuPerUpload.toFixed(1), `${mib(x.rssAbove)} / ${mib(x.rssAboveMax)}`, mib(x.idle)]);
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const [i, row] of rows.entries()) {
  console.log(row.map((c, j) => c.padEnd(widths[j])).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
if (settings.big > 0) {
  console.log(`\nsingle ${settings.big} MiB upload (disk mode): peak RSS above idle`);
  for (const f of frameworks) {
    const b = results.big[f];
    console.log(`  ${f.padEnd(8)} ${mib(b.rssAbove)} (idle ${mib(b.idle)}; this one upload ran at ${b.mbps.toFixed(1)} MB/s)`);
  }
}
if (opt.out) writeFileSync(opt.out, `${JSON.stringify(results, null, 2)}\n`);
