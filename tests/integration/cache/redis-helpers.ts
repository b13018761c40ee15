// Helpers for the cache's Redis tests: the shared Redis at REDIS_URL (skip without it, fail
// under COVET_REQUIRE_SERVICES=1), throwaway redis-server processes to stop mid-test, and a
// cache living in another process.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { REQUIRE_SERVICES, freePort } from '../../helpers/server.js';

export const REDIS_URL = process.env.REDIS_URL || undefined;
/** `skip` option for tests that need the shared Redis. */
export const skipWithoutRedis = REDIS_URL === undefined && !REQUIRE_SERVICES ? 'REDIS_URL is not set' : false;

export function redisUrl(): string {
  if (REDIS_URL === undefined) throw new Error('REDIS_URL must be set when COVET_REQUIRE_SERVICES=1');
  return REDIS_URL;
}

/** A namespace of our own, so parallel runs never see each other's keys. */
export function testNamespace(label: string): string {
  return `covet-test:${label}:${randomBytes(5).toString('hex')}`;
}

/** Deletes every key of a namespace (values, tags, locks) with a raw client. */
export async function dropNamespace(namespace: string): Promise<void> {
  if (REDIS_URL === undefined) return;
  const redis = new Redis(REDIS_URL);
  try {
    const keys = [...(await redis.keys(`${namespace}:*`)), ...(await redis.keys(`${namespace}~*`))];
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** Waits until `check` passes or `ms` runs out (then one last try that may throw). */
export async function eventually(check: () => Promise<void> | void, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export { freePort };

/** A redis-server of the test's own on 127.0.0.1, which it may stop and restart. */
export class ThrowawayRedis {
  readonly port: number;
  #proc: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#proc = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 15_000);
      proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** Freezes (`true`) or thaws (`false`) the server: connections stay open and nothing answers, as in a hang. */
  pause(frozen: boolean): void {
    this.#proc?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Kills the server (as a crash would). */
  async stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (proc === null || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  }
}

/** A cache in another process, driven over IPC (see fixtures/cache-child.ts). */
export class CacheChild {
  readonly #proc: ChildProcess;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(env: Record<string, string>) {
    this.#proc = fork(fileURLToPath(new URL('./fixtures/cache-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#proc.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    this.#proc.once('exit', (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`cache child exited with ${code}`));
      this.#pending.clear();
    });
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#proc.send({ id, op, args });
    });
  }

  async close(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    const exited = once(this.#proc, 'exit');
    await this.call('close').catch(() => {});
    this.#proc.disconnect();
    await exited;
  }
}
