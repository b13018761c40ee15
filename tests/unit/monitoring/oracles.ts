// Test oracles for the exposition formats, none of them Covet code:
//  - parse-prometheus-text-format (npm, a port of the Prometheus Python client's parser), installed
//    with `npm ci --prefix tests/oracles/monitoring`;
//  - the Prometheus Python client's own parsers (Debian's python3-prometheus-client): the 0.0.4
//    parser and the strict OpenMetrics parser, when /usr/bin/python3 has the module.
// A missing oracle skips its tests (with the reason), unless COVET_REQUIRE_ORACLES=1, where it
// fails them: CI installs both (`npm ci --prefix tests/oracles/monitoring`,
// `apt-get install python3-prometheus-client`) and sets it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REQUIRE_ORACLES = process.env.COVET_REQUIRE_ORACLES === '1';

export const ORACLES_DIR = fileURLToPath(new URL('../../oracles/monitoring/', import.meta.url));

/** One metric family as parse-prometheus-text-format (prom2json's shape) returns it. */
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly metrics: readonly {
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly buckets?: Readonly<Record<string, string>>;
    readonly quantiles?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }[];
}

type Parser = (text: string) => ParsedFamily[];

function loadParser(): Parser | null {
  const entry = `${ORACLES_DIR}node_modules/parse-prometheus-text-format/package.json`;
  if (!existsSync(entry)) return null;
  const mod = createRequire(`${ORACLES_DIR}package.json`)('parse-prometheus-text-format') as Parser | { default: Parser };
  return typeof mod === 'function' ? mod : mod.default;
}

const parser = loadParser();

/** `{ skip }` for `it()` when an oracle is missing (a failure instead with COVET_REQUIRE_ORACLES=1). */
export function oracleSkip(available: boolean, what: string): { skip: string | false } {
  if (available || REQUIRE_ORACLES) return { skip: false };
  return { skip: `${what} is not installed (see tests/unit/monitoring/oracles.ts)` };
}

export const hasTextParser = parser !== null;

/** Parses 0.0.4 text with parse-prometheus-text-format. */
export function parseText(text: string): ParsedFamily[] {
  if (parser === null) throw new Error('parse-prometheus-text-format is missing: npm ci --prefix tests/oracles/monitoring');
  return parser(text);
}

const PYTHON = '/usr/bin/python3';
export const hasPythonClient =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import prometheus_client.openmetrics.parser'], { stdio: 'ignore' }).status === 0;

/** A sample as the Python client reports it. */
export interface PySample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | string;
}

/** A family as the Python client reports it. */
export interface PyFamily {
  readonly name: string;
  readonly type: string;
  readonly documentation: string;
  readonly samples: readonly PySample[];
}

const PY_SCRIPT = `
import sys, json, math
fmt = sys.argv[1]
if fmt == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
def num(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    return v
try:
    out = [{'name': f.name, 'type': f.type, 'documentation': f.documentation,
            'samples': [{'name': s.name, 'labels': s.labels, 'value': num(s.value)} for s in f.samples]}
           for f in text_string_to_metric_families(sys.stdin.read())]
except Exception as e:
    print(json.dumps({'error': repr(e)}))
    sys.exit(0)
print(json.dumps(out))
`;

/** Parses with the Prometheus Python client (strict OpenMetrics parser, or the 0.0.4 one); throws its error. */
export function parseWithPython(text: string, format: 'openmetrics' | 'prometheus'): PyFamily[] {
  const r = spawnSync(PYTHON, ['-c', PY_SCRIPT, format], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as PyFamily[] | { error: string };
  if (!Array.isArray(out)) throw new Error(`The Python ${format} parser rejected the text: ${out.error}\n${text}`);
  return out;
}
