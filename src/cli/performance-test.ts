import type { CovetApp } from '../app.js';
import { type LoadTestResult, runLoad } from '../testing/performance-test.js';
import { CliError, defaultModule, ExitCode } from './run.js';

export interface PerformanceTestCommandOptions {
  readonly target: string | undefined;
  readonly url: string | undefined;
  /** Default `/` for an app module; with `--url`, the URL's own path and query. */
  readonly path: string | undefined;
  readonly concurrency: number;
  /** Seconds. */
  readonly duration: number;
  readonly json: boolean;
  readonly load: (ref: string) => Promise<CovetApp>;
  /** Writes the results (default: stdout; with --json, see `reserveStdout`). */
  readonly report?: (text: string) => void;
}

/** Seconds shown as milliseconds. */
const ms = (seconds: number): string => `${(seconds * 1000).toFixed(2)} ms`;

/** The results as an aligned two-column table. */
export function formatResults(r: LoadTestResult): string {
  const rows: [string, string][] = [
    ['Requests', String(r.totalRequests)],
    ['Duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['Requests/sec', r.requestsPerSecond.toFixed(1)],
    ['Avg latency', ms(r.avgResponseTime)],
    ['p50', ms(r.p50)],
    ['p90', ms(r.p90)],
    ['p99', ms(r.p99)],
    ['Max latency', ms(r.maxResponseTime)],
    ['Errors', `${r.failedRequests} (${(r.errorRate * 100).toFixed(2)}%)`],
    ['Status codes', Object.entries(r.statusCodes).map(([s, n]) => `${s === '0' ? 'conn-error' : s}: ${n}`).join(', ')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/** `covet performance-test`: exit 0 when every request succeeded, 1 when some failed. */
export async function performanceTestCommand(o: PerformanceTestCommandOptions): Promise<number> {
  if (o.url !== undefined && o.target !== undefined) throw new CliError('give either --url or an app module, not both', ExitCode.usage);
  let app: CovetApp | undefined;
  let url: string;
  if (o.url !== undefined) {
    try {
      // The URL as given (`--url http://host/api/users`), unless --path replaces its path.
      url = new URL(o.path ?? o.url, o.url).href;
    } catch {
      throw new CliError(`--url is not a URL: ${o.url}`, ExitCode.usage);
    }
    if (!/^https?:/.test(url)) throw new CliError(`--url must be an http: or https: URL, got ${o.url}`, ExitCode.usage);
  } else {
    app = await o.load(o.target ?? defaultModule());
    const info = await app.listen({ host: '127.0.0.1', port: 0 });
    url = new URL(o.path ?? '/', info.url).href;
  }
  const tty = process.stderr.isTTY === true;
  process.stderr.write(`Load testing ${url}: ${o.concurrency} connections for ${o.duration} s\n`);
  try {
    const result = await runLoad({
      url,
      concurrency: o.concurrency,
      durationMs: o.duration * 1000,
      ...(tty
        ? {
            onProgress: (fraction: number, requests: number) => {
              const width = 30;
              const filled = Math.round(fraction * width);
              process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${requests} requests`);
            },
          }
        : {}),
    });
    if (tty) process.stderr.write('\n');
    const text = o.json ? `${JSON.stringify(result, null, 2)}\n` : formatResults(result);
    if (o.report) o.report(text);
    else process.stdout.write(text);
    return result.failedRequests === 0 && result.totalRequests > 0 ? ExitCode.ok : ExitCode.error;
  } finally {
    if (app) await app.close();
  }
}
