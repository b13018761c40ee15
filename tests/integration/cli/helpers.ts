import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { after } from 'node:test';

export const root = new URL('../../..', import.meta.url).pathname;
export const cliPath = `${root}src/cli/main.ts`;
/** tsx's loader by URL, so that children started in other directories find it. */
const tsx = import.meta.resolve('tsx');

// A failed assertion must not leave a server running (it would keep the test file alive).
const children = new Set<ChildProcessWithoutNullStreams>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

export interface Cli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/** Starts `covet ARGS` (the TypeScript source, through tsx) as a child process. */
export function covet(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Cli {
  const child = spawn(process.execPath, ['--import', tsx, cliPath, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NODE_ENV: 'test', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
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
