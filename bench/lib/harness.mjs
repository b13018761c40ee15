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
