// Helpers shared by the project's benchmark scripts (bench/<module>/run.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** CPUs this process may use (taskset), for pinning. */
export function allowedCpus() {
  const r = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split(':')
    .pop()
    .trim()
    .split(',')
    .flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer()
      .once('error', rej)
      .listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => res(port));
      });
  });
}

/** The middle value (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A whole number with thousands separators. */
export const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * The micro-benchmark part of a script re-runs itself pinned to one CPU (the last one, away from
 * wrk's) with `--pinned --only=micro`; returns whether this process should still run the rest
 * (`only` loses "micro" once the pinned child ran it). `opt.pinned` marks the child.
 */
export function runMicroPinned(opt, only) {
  const cpus = allowedCpus();
  if (opt.pinned || cpus.length === 0 || !only.has('micro')) return true;
  const args = [process.argv[1], ...process.argv.slice(2), '--pinned', '--only=micro'];
  const r = spawnSync('taskset', ['-c', String(cpus[cpus.length - 1]), process.execPath, ...args], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exit(r.status ?? 1);
  only.delete('micro');
  return only.size > 0;
}

/** `taskset -c CPU` as a command prefix; nothing when `cpu` is undefined. */
export const pin = (cpu) => (cpu === undefined ? [] : ['taskset', '-c', String(cpu)]);

/** `[loadCpu, serverCpu]`: wrk on the first allowed CPU, the server on the second; `[]` with fewer than two. */
export function loadAndServerCpus() {
  const cpus = allowedCpus();
  return cpus.length >= 2 ? cpus.slice(0, 2) : [];
}

/**
 * Starts `node script` pinned to `cpu` with `env` added to this process's; resolves once it
 * printed a line starting with READY, with the child and the rest of that line. `stderr`:
 * `inherit` (default) or `ignore`.
 */
export function startServer(script, { cpu, env = {}, name = script, stderr = 'inherit' } = {}) {
  const [bin, ...args] = [...pin(cpu), process.execPath, script];
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('READY'));
      if (line !== undefined && out.includes('\n', out.indexOf(line))) {
        resolve({ child, ready: line.slice(5).trim(), output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name}: server exited with ${code}`)));
  });
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** User + system CPU seconds process `pid` used so far (`NaN` once it is gone). */
export function cpuSecondsOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * One `wrk -t1 --latency` run against `url`, pinned to `cpu`: requests/s, total requests, p50 and
 * p99 in ms and, with `serverPid`, requests per server CPU-second and the server's share of a core.
 * Runs asynchronously, so a collector or server in this process keeps answering. Any non-2xx
 * response is an error.
 */
export function runWrk(url, { seconds, connections = 64, cpu, serverPid, headers = [], script, label = url }) {
  const args = ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h])];
  if (script !== undefined) args.push('-s', script);
  const [bin, ...rest] = [...pin(cpu), ...args, url];
  const cpu0 = serverPid === undefined ? 0 : cpuSecondsOf(serverPid);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.once('error', reject);
    child.once('close', () => {
      const serverCpu = serverPid === undefined ? Number.NaN : cpuSecondsOf(serverPid) - cpu0;
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
      if (non2xx > 0) return reject(new Error(`${label}: ${non2xx} non-2xx responses`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
      const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN);
      const ms = (pct) => {
        const m = new RegExp(`${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
        return m === null ? Number.NaN : Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
      };
      resolve({ rps, total, p50ms: ms(50), p99ms: ms(99), perCpu: total / serverCpu, cpuShare: serverCpu / seconds, stdout });
    });
  });
}

/** Whether wrk is installed; prints why a benchmark is skipped when it is not. */
export function hasWrk(what = 'HTTP benchmark') {
  if (!spawnSync('wrk', ['-v']).error) return true;
  console.log(`${what} skipped: wrk is not installed (apt-get install -y wrk)`);
  return false;
}
