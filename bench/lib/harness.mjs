// Helpers shared by the project's benchmark scripts (bench/<module>/run.mjs).
import { spawnSync } from 'node:child_process';
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
