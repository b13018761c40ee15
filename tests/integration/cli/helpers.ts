import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';

export const root = new URL('../../..', import.meta.url).pathname;
export const cliPath = `${root}src/cli/main.ts`;
/** tsx's loader by URL, so that children started in other directories find it. */
const tsx = import.meta.resolve('tsx');

// A failed assertion must not leave a server running (it would keep the test file alive):
// every `covet` started here, and every cluster worker it announced, is killed at the end.
const children = new Set<ChildProcessWithoutNullStreams>();
const workerPids = new Set<number>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of workerPids) if (isCovet(pid)) process.kill(pid, 'SIGKILL');
});

/** Whether `pid` runs, and (where /proc tells) is still a `covet` process rather than a reused pid. */
function isCovet(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(cliPath);
  } catch {
    return true;
  }
}

/**
 * Waits up to `timeoutMs` for the processes `pids` to end; resolves with those still running
 * (then SIGKILLed), so a test can assert `[]`.
 */
export async function stopped(pids: Iterable<number>, timeoutMs = 5_000): Promise<number[]> {
  const left = new Set(pids);
  for (const deadline = Date.now() + timeoutMs; left.size > 0 && Date.now() < deadline; ) {
    for (const pid of left) {
      if (isCovet(pid)) continue;
      left.delete(pid);
      workerPids.delete(pid);
    }
    if (left.size > 0) await new Promise((r) => setTimeout(r, 50));
  }
  for (const pid of left) process.kill(pid, 'SIGKILL');
  return [...left];
}

/** The primary's announcement of `covet run --workers` (or `--reload`): its URL and worker pids. */
export const STARTED = /^Covet listening on (http:\/\/\S+)\nStarted (\d+) workers? \(pids? ([\d, ]+); primary pid (\d+)\)$/m;

export interface Cli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** The worker pids the primary announced so far (`Started N workers (pids …)`, `worker P replaced …`), oldest first. */
  workers(): number[];
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `covet ARGS` (the TypeScript source, through tsx) as a child process. `detached`: in a
 * process group of its own, so that a test can signal the whole group (`process.kill(-pid)`)
 * as systemd and `timeout` do.
 */
export function covet(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): Cli {
  const child = spawn(process.execPath, ['--import', tsx, cliPath, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NODE_ENV: 'test', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  const announced = new Set<number>();
  const track = (pid: number): void => {
    if (announced.has(pid)) return;
    announced.add(pid);
    workerPids.add(pid);
  };
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const m of out.matchAll(new RegExp(STARTED, 'gm'))) for (const pid of (m[3] ?? '').split(', ')) track(Number(pid));
    for (const w of waiters) w();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    for (const m of err.matchAll(/^covet: worker (\d+) replaced worker \d+$/gm)) track(Number(m[1]));
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    workers: () => [...announced],
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`)), timeoutMs);
        waiters.push(check);
        void exited.then(() => {
          check();
          clearTimeout(timer);
          reject(new Error(`exited before ${pattern}\nstdout: ${out}\nstderr: ${err}`));
        });
        check();
      });
    },
  };
}

/** Runs `covet ARGS` to completion. */
export async function covetDone(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const cli = covet(args, options);
  cli.child.stdin.end();
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
