#!/usr/bin/env node
// Static files: Covet (`app.static`, this checkout's dist/) vs Fastify + @fastify/static, in the
// same run. Two scenarios, each framework in a fresh server process pinned to one CPU while the
// load generator is pinned to another:
//   small    — GET /static/small.css (4 KiB) with wrk: req/s, p50/p99, server CPU;
//   download — N sequential downloads of a 10 MiB file over one keep-alive connection with a
//              Node client: MB/s (10^6 bytes/s) and the server's peak RSS during the downloads.
// Every answer is checked (status, exact body for small, exact length for download).
//
//   cd bench/static && npm ci && node run.mjs [--rounds=3] [--duration=5] [--warmup=1]
//       [--connections=64] [--downloads=50] [--only=covet,fastify] [--scenarios=small,download] [--out=x.json]
//
// Covet must be built first (`npm run build` at the project root).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FRAMEWORKS = ['fastify', 'covet'];
const SCENARIOS = ['small', 'download'];
const SMALL_BYTES = 4 * 1024;
const BIG_BYTES = 10 * 1024 * 1024;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' }, connections: { type: 'string', default: '64' },
    downloads: { type: 'string', default: '50' }, only: { type: 'string' }, scenarios: { type: 'string' },
    out: { type: 'string' },
  },
});
const die = (msg) => { console.error(`static/run.mjs: ${msg}`); process.exit(2); };
const int = (name, min) => {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < min) die(`--${name} must be an integer >= ${min}`);
  return n;
};
const settings = {
  rounds: int('rounds', 1), duration: int('duration', 1), warmup: int('warmup', 0),
  connections: int('connections', 1), downloads: int('downloads', 1),
};
const list = (s, known) => {
  const out = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of out) if (!known.includes(x)) die(`unknown '${x}' (known: ${known})`);
  return out;
};
const frameworks = opt.only ? list(opt.only, FRAMEWORKS) : FRAMEWORKS;
const scenarios = opt.scenarios ? list(opt.scenarios, SCENARIOS) : SCENARIOS;
if (!existsSync(join(HERE, '..', '..', 'dist', 'index.js'))) die('Covet is not built: run `npm run build` at the project root');
if (!existsSync(join(HERE, 'node_modules', '@fastify', 'static'))) die('run `npm ci` in bench/static first');
if (spawnSync('wrk', ['-v']).error) die('wrk not found (apt-get install -y wrk)');

// ---------------------------------------------------------------- machine
const expandCpuList = (s) => s.split(',').flatMap((part) => {
  const [a, b = a] = part.split('-').map(Number);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
});
function cpuPinning() {
  const r = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  const allowed = r.status === 0 ? expandCpuList(r.stdout.split(':').pop().trim()) : [];
  if (allowed.length < 2) return { server: [], load: [], note: 'not pinned (needs taskset and 2 CPUs)' };
  const [load, server] = allowed;
  return { server: ['taskset', '-c', String(server)], load: ['taskset', '-c', String(load)], note: `server on CPU ${server}, load on CPU ${load}` };
}
const pin = cpuPinning();
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const readOr = (file, fallback) => { try { return readFileSync(file, 'utf8'); } catch { return fallback; } };
const cpuSeconds = (pid) => {
  const f = readOr(`/proc/${pid}/stat`, '').split(') ').pop().split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
};
/** VmRSS / VmHWM of a process in MiB. */
const memory = (pid, field) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readOr(`/proc/${pid}/status`, ''));
  return m ? Number(m[1]) / 1024 : null;
};
/** Resets the peak RSS (VmHWM) of a process to its current RSS (Linux ≥ 4.0). */
const resetPeak = (pid) => { try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; } };

// ---------------------------------------------------------------- files served
const scratch = mkdtempSync(join(tmpdir(), 'covet-static-bench-'));
const root = join(scratch, 'public');
mkdirSync(root);
const small = Buffer.from('body{margin:0}\n'.repeat(Math.ceil(SMALL_BYTES / 15)).slice(0, SMALL_BYTES));
writeFileSync(join(root, 'small.css'), small);
writeFileSync(join(root, 'big.bin'), randomBytes(BIG_BYTES));

// ---------------------------------------------------------------- processes
const live = new Set();
function launch(prefix, cmd, args, env = process.env) {
  const [bin, ...rest] = [...prefix, cmd, ...args];
  const child = spawn(bin, rest, { cwd: HERE, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  const keep = (d) => { child.output = (child.output + d).slice(-8000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.done = new Promise((res) => child.once('close', (code, signal) => { live.delete(child); res({ code, signal }); }));
  child.once('error', (err) => keep(`${err.message}\n`));
  live.add(child);
  return child;
}
const cleanup = () => { for (const c of live) c.kill('SIGKILL'); rmSync(scratch, { recursive: true, force: true }); };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await child.done;
  clearTimeout(timer);
}
const freePort = () => new Promise((res, rej) => {
  const srv = createServer().once('error', rej).listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => res(port));
  });
});
const canConnect = (port) => new Promise((res) => {
  const sock = connect(port, '127.0.0.1');
  sock.once('connect', () => { sock.destroy(); res(true); }).once('error', () => res(false));
});
async function startServer(framework, port) {
  const env = { ...process.env, PORT: String(port), STATIC_ROOT: root };
  const child = launch(pin.server, process.execPath, [join('servers', `${framework}.mjs`)], env);
  let exited = null;
  child.done.then((e) => { exited = e; });
  for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(50)) {
    if (exited) throw new Error(`${framework} exited (${exited.code ?? exited.signal}): ${child.output.trim().slice(-300)}`);
    if (await canConnect(port)) return child;
  }
  await stop(child);
  throw new Error(`${framework} did not start within 15 s`);
}

async function fetchCheck(port, path, expected) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  if (!body.equals(expected)) throw new Error(`GET ${path}: wrong body (${body.length} bytes)`);
  return res.headers;
}

// ---------------------------------------------------------------- scenarios
function wrkScript(expectedLength) {
  return `local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function init() bad = 0 end
function response(status, headers, body)
  if status ~= 200 or #body ~= ${expectedLength} then bad = bad + 1 end
end
function done(s, lat)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("bad") end
  local e = s.errors
  io.write(string.format('WRK_JSON {"requests":%.0f,"duration_us":%.0f,"errors":%.0f,"bad":%.0f,"p50_us":%.0f,"p99_us":%.0f}\\n',
    s.requests, s.duration, e.connect + e.read + e.write + e.timeout, bad, lat:percentile(50), lat:percentile(99)))
end
`;
}
async function wrk(port, path, seconds) {
  const script = join(scratch, 'check.lua');
  writeFileSync(script, wrkScript(SMALL_BYTES));
  const args = ['-t1', `-c${settings.connections}`, `-d${seconds}s`, '-s', script, `http://127.0.0.1:${port}${path}`];
  const child = launch(pin.load, 'wrk', args);
  await child.done;
  const line = child.output.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk gave no result: ${child.output.trim().slice(-300)}`);
  return JSON.parse(line.slice('WRK_JSON '.length));
}

async function runSmall(port, pid) {
  await fetchCheck(port, '/static/small.css', small);
  if (settings.warmup) await wrk(port, '/static/small.css', settings.warmup);
  const before = { cpu: cpuSeconds(pid), t: performance.now() };
  const r = await wrk(port, '/static/small.css', settings.duration);
  const wall = (performance.now() - before.t) / 1000;
  const serverCpu = (cpuSeconds(pid) - before.cpu) / wall;
  await fetchCheck(port, '/static/small.css', small);
  const errors = r.errors + r.bad;
  if (errors) throw new Error(`${errors} failed requests under load`);
  return { rps: r.requests / (r.duration_us / 1e6), p50_ms: r.p50_us / 1000, p99_ms: r.p99_us / 1000, server_cpu: serverCpu };
}

async function runDownload(port, pid) {
  const big = readFileSync(join(root, 'big.bin'));
  await fetchCheck(port, '/static/big.bin', big);
  await sleep(200);
  const idle = memory(pid, 'VmRSS');
  const reset = resetPeak(pid);
  const before = cpuSeconds(pid);
  const args = ['download.mjs', `http://127.0.0.1:${port}/static/big.bin`, String(settings.downloads), String(BIG_BYTES)];
  const child = launch(pin.load, process.execPath, args);
  const { code } = await child.done;
  const line = child.output.split('\n').find((l) => l.startsWith('DOWNLOAD_JSON '));
  if (code !== 0 || !line) throw new Error(`download client failed: ${child.output.trim().slice(-300)}`);
  const d = JSON.parse(line.slice('DOWNLOAD_JSON '.length));
  if (d.bad) throw new Error(`${d.bad} downloads had the wrong status or length`);
  return {
    mb_s: d.bytes / d.seconds / 1e6, seconds: d.seconds, server_cpu_s: cpuSeconds(pid) - before,
    idle_rss_mib: idle, peak_rss_mib: reset ? memory(pid, 'VmHWM') : null,
  };
}

async function measure(framework, scenario) {
  const port = await freePort();
  const child = await startServer(framework, port);
  try {
    return { status: 'ok', ...(scenario === 'small' ? await runSmall(port, child.pid) : await runDownload(port, child.pid)) };
  } catch (err) {
    return { status: 'error', reason: err.message };
  } finally {
    await stop(child);
  }
}

// ---------------------------------------------------------------- main
const started = Date.now();
console.error(`static bench: ${pin.note}; ${settings.rounds} round(s); small: ${settings.duration} s after ${settings.warmup} s warm-up, ` +
  `${settings.connections} connections; download: ${settings.downloads} x 10 MiB sequential`);
const runs = [];
const total = settings.rounds * scenarios.length * frameworks.length;
for (let round = 1; round <= settings.rounds; round++) {
  for (const scenario of scenarios) {
    for (const framework of frameworks) {
      const row = { round, scenario, framework, ...(await measure(framework, scenario)) };
      runs.push(row);
      const shown = row.status !== 'ok' ? `ERROR ${row.reason}`
        : scenario === 'small' ? `${Math.round(row.rps)} req/s, server CPU ${Math.round(row.server_cpu * 100)}%`
          : `${row.mb_s.toFixed(0)} MB/s, peak RSS ${row.peak_rss_mib?.toFixed(1)} MiB (idle ${row.idle_rss_mib?.toFixed(1)})`;
      console.error(`[${runs.length}/${total}] ${scenario} ${framework}: ${shown}`);
    }
  }
}
cleanup();

function median(xs) {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  return v.length ? (v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2 : null;
}
const metric = { small: 'rps', download: 'mb_s' };
// Ratios per round (the two frameworks ran back to back), then the median.
const ratio = (scenario) => {
  if (!frameworks.includes('covet') || !frameworks.includes('fastify')) return null;
  const per = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const c = runs.find((r) => r.round === round && r.scenario === scenario && r.framework === 'covet');
    const f = runs.find((r) => r.round === round && r.scenario === scenario && r.framework === 'fastify');
    if (c?.status === 'ok' && f?.status === 'ok') per.push(c[metric[scenario]] / f[metric[scenario]]);
  }
  return median(per);
};
const summary = scenarios.flatMap((scenario) => frameworks.map((framework) => {
  const rs = runs.filter((r) => r.scenario === scenario && r.framework === framework);
  const ok = rs.every((r) => r.status === 'ok');
  const med = (field) => (ok ? median(rs.map((r) => r[field])) : null);
  return scenario === 'small'
    ? { scenario, framework, ok, rps: med('rps'), p50_ms: med('p50_ms'), p99_ms: med('p99_ms'), server_cpu: med('server_cpu') }
    : { scenario, framework, ok, mb_s: med('mb_s'), idle_rss_mib: med('idle_rss_mib'), peak_rss_mib: med('peak_rss_mib'), server_cpu_s: med('server_cpu_s') };
}));

const fmt = (x, d = 0) => (x == null ? '-' : x.toFixed(d));
const table = (header, rows) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), line(widths.map((w, i) => (i < 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`))), ...rows.map(line)].join('\n');
};
if (scenarios.includes('small')) {
  const r = ratio('small');
  console.log(table(['framework', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'server CPU', 'vs fastify'],
    summary.filter((s) => s.scenario === 'small').map((s) => [s.framework, 'small 4 KiB', s.ok ? fmt(s.rps) : 'ERROR', fmt(s.p50_ms, 2),
      fmt(s.p99_ms, 2), s.server_cpu == null ? '-' : `${Math.round(s.server_cpu * 100)}%`,
      s.framework === 'covet' && r != null ? `${r.toFixed(2)}x` : s.framework === 'fastify' ? '1.00x' : '-'])));
}
if (scenarios.includes('download')) {
  const r = ratio('download');
  console.log(table(['framework', 'scenario', 'MB/s', 'idle RSS MiB', 'peak RSS MiB', 'server CPU s', 'vs fastify'],
    summary.filter((s) => s.scenario === 'download').map((s) => [s.framework, `download ${settings.downloads}x10 MiB`, s.ok ? fmt(s.mb_s) : 'ERROR',
      fmt(s.idle_rss_mib, 1), fmt(s.peak_rss_mib, 1), fmt(s.server_cpu_s, 2),
      s.framework === 'covet' && r != null ? `${r.toFixed(2)}x` : s.framework === 'fastify' ? '1.00x' : '-'])));
}
console.log(`(medians over ${settings.rounds} round(s); "vs fastify" is the median of per-round ratios)`);
const failed = runs.filter((r) => r.status !== 'ok');
for (const r of failed) console.log(`ERROR round ${r.round} ${r.framework} ${r.scenario}: ${r.reason}`);
console.log(`static bench wall time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (opt.out) {
  const report = { date: new Date(started).toISOString(), node: process.version, cpu: cpus()[0]?.model, pinning: pin.note, settings, summary, runs };
  writeFileSync(resolve(opt.out), `${JSON.stringify(report, null, 2)}\n`);
}
process.exitCode = failed.length ? 1 : 0;
