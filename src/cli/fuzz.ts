import { parseArgs } from 'node:util';
import type { CovetApp } from '../app.js';
import { parseArgsMessage } from '../internal/parse-args-message.js';
import { formatFuzzReport } from '../testing/fuzz/format-report.js';
import { type FuzzFailOn, fuzz } from '../testing/fuzz/fuzz.js';
import { CliError, defaultModule, ExitCode, reserveStdout } from './run.js';

const FUZZ_HELP = `Usage: covet fuzz [module[:export]] [options]

Contract fuzzing: generates requests from the app's OpenAPI document (valid, boundary and
invalid values for every path/query parameter and body field), sends them in process (no
socket, no network) and reports every 5xx, response that breaks its declared schema, invalid
request accepted with a 2xx (a warning), crash and timeout — each with a curl line to
reproduce it. The same seed sends the same requests.

Options:
  --runs N          requests per operation (default 200)
  --seed S          seed, a number or any text (default: random, printed in the report)
  --max-failures N  stop after N distinct findings
  --fail-on L       exit 1 on: 5xx (5xx, crashes, timeouts), schema (those and schema
                    violations; default) or any (warnings too)
  --timeout MS      milliseconds a request may take (default 5000)
  --header 'N: V'   a header for every request, e.g. an authorization token (repeatable)
  --json            print the report as JSON
  -h, --help        this help

Exit codes: 0 no finding at --fail-on, 1 findings, 2 bad usage, 3 module not found,
4 module unloadable (or without openapi()).
`;

const FAIL_ON: readonly FuzzFailOn[] = ['5xx', 'schema', 'any'];

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new CliError(`--${flag} must be a positive integer, got ${value}`, ExitCode.usage);
  return n;
}

/** `--header 'Authorization: Bearer x'` → `{ authorization: 'Bearer x' }`. */
function parseHeaders(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m === null) throw new CliError(`--header must look like "Name: value", got ${line}`, ExitCode.usage);
    out[(m[1] as string).toLowerCase()] = (m[2] as string).trim();
  }
  return out;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        'max-failures': { type: 'string' },
        'fail-on': { type: 'string', default: 'schema' },
        timeout: { type: 'string' },
        header: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${parseArgsMessage(err)}\nRun "covet fuzz --help" for usage.`, ExitCode.usage);
  }
}

/**
 * `covet fuzz`: loads the app, runs startup hooks, fuzzes it in process, prints the report
 * (text or `--json`) and resolves with the exit code.
 *
 * @example
 * process.exitCode = await fuzzCommand(['app.ts', '--seed', '1'], loadApp);
 */
export async function fuzzCommand(argv: readonly string[], load: (ref: string) => Promise<CovetApp>): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(FUZZ_HELP);
    return ExitCode.ok;
  }
  const [target = defaultModule(), ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"\nRun "covet fuzz --help" for usage.`, ExitCode.usage);
  const failOn = values['fail-on'] as FuzzFailOn;
  if (!FAIL_ON.includes(failOn))
    throw new CliError(`--fail-on must be one of ${FAIL_ON.join(', ')}, got ${values['fail-on']}`, ExitCode.usage);
  const runs = positiveInteger('runs', values.runs);
  const maxFailures = positiveInteger('max-failures', values['max-failures']);
  const timeoutMs = positiveInteger('timeout', values.timeout);
  if (values.seed !== undefined && values.seed === '') throw new CliError('--seed must not be empty', ExitCode.usage);
  const headers = parseHeaders(values.header ?? []);
  // With --json, stdout holds the report alone: the app's own output goes to stderr.
  const out = reserveStdout(values.json === true);
  try {
    const app = await load(target);
    if (typeof (app as { openapi?: unknown }).openapi !== 'function') {
      throw new CliError(`${target}: the app has no openapi() (a Covet version without OpenAPI support?)`, ExitCode.moduleUnloadable);
    }
    await app.startup();
    try {
      const report = await fuzz(app, {
        failOn,
        ...(runs === undefined ? {} : { runs }),
        ...(values.seed === undefined ? {} : { seed: values.seed }),
        ...(maxFailures === undefined ? {} : { maxFailures }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        headers,
      });
      out.report(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatFuzzReport(report));
      return report.passed ? ExitCode.ok : ExitCode.error;
    } finally {
      await app.shutdown();
    }
  } finally {
    out.restore();
  }
}
