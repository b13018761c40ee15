import type { InjectOptions, InjectResponse } from '../../app.js';
import { toCurl } from './curl.js';
import { casesForOperation, type FuzzCase, type FuzzCaseKind, type FuzzRequest } from './fuzz-cases.js';
import { type FuzzOperation, type OpenAPIDocumentLike, operationsOf, responseFor } from './operations.js';
import { validateJsonSchema } from './validate-json-schema.js';

/**
 * What a finding is: a 5xx answer, a response that breaks its declared schema, a request the
 * schema rejects that the app accepted with a 2xx (a warning), a crash (the dispatch threw, or
 * an error no one awaited surfaced: either would stop a server), or a request that did not
 * finish in time.
 */
export type FuzzFindingKind = 'server-error' | 'schema-violation' | 'invalid-accepted' | 'crash' | 'timeout';

/** Which findings fail a run: `5xx` (5xx, crashes, timeouts), `schema` (those and schema violations) or `any`. */
export type FuzzFailOn = '5xx' | 'schema' | 'any';

/** One problem, deduplicated by operation, kind and status. */
export interface FuzzFinding {
  readonly kind: FuzzFindingKind;
  readonly severity: 'error' | 'warning';
  /** `POST /users`. */
  readonly operation: string;
  /** The response status (`null` for crashes and timeouts). */
  readonly status: number | null;
  readonly message: string;
  /** What the first request that showed it changed: `body.name = "" (empty string)`. */
  readonly input: string;
  readonly caseKind: FuzzCaseKind;
  /** The request's index in its operation's sequence for this seed. */
  readonly caseIndex: number;
  readonly request: FuzzRequest;
  /** A shell command that sends the same request to a running server. */
  readonly curl: string;
  readonly seed: string;
  /** Schema errors, or the start of the response body. */
  readonly details: readonly string[];
  /** How many requests showed the same problem. */
  readonly occurrences: number;
}

/** The outcome of a fuzz run. */
export interface FuzzReport {
  readonly seed: string;
  readonly runs: number;
  readonly operations: number;
  readonly requests: number;
  /** Requests by what they were meant to be. */
  readonly byKind: Readonly<Record<FuzzCaseKind, number>>;
  /** Most severe first, then in the order found. */
  readonly findings: readonly FuzzFinding[];
  /** What limited the run per operation: parts not fuzzed, checks turned off, every request refused. */
  readonly notes: readonly { readonly operation: string; readonly message: string }[];
  /** True when no finding reaches `failOn`. */
  readonly passed: boolean;
  /** True when `maxFailures` stopped the run early. */
  readonly stoppedEarly: boolean;
  readonly durationMs: number;
}

/** What `fuzz` drives: a `CovetApp`, or anything with its `inject` (and `openapi`). */
export interface FuzzTarget {
  inject(options: InjectOptions): Promise<InjectResponse>;
  openapi?(): OpenAPIDocumentLike;
}

/** Options of `fuzz`. */
export interface FuzzOptions {
  /** The OpenAPI 3.1 document to fuzz. Default: `app.openapi()`. */
  readonly document?: OpenAPIDocumentLike;
  /** Requests per operation. Default 200. */
  readonly runs?: number;
  /** The seed (a number or any string). Default: a random one, reported so the run can be repeated. */
  readonly seed?: number | string;
  /** Stop after this many distinct findings. Default: no limit. */
  readonly maxFailures?: number;
  /** Which findings fail the run (`report.passed`). Default `schema`. */
  readonly failOn?: FuzzFailOn;
  /** Milliseconds one request may take before it is reported as a timeout. Default 5000. */
  readonly timeoutMs?: number;
  /** Headers added to every request (an `authorization` token, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Only operations whose id (`GET /users/{id}`) passes. */
  readonly include?: (operation: string) => boolean;
  /** The server the `curl` lines point at. Default `http://127.0.0.1:8000`. */
  readonly baseUrl?: string;
  /** Called after each request (progress, logging). */
  readonly onCase?: (fuzzCase: FuzzCase, status: number | null) => void;
}

const RANK: Readonly<Record<FuzzFindingKind, number>> = {
  crash: 0,
  timeout: 1,
  'server-error': 2,
  'schema-violation': 3,
  'invalid-accepted': 4,
};
const FAILING: Readonly<Record<FuzzFailOn, readonly FuzzFindingKind[]>> = {
  '5xx': ['crash', 'timeout', 'server-error'],
  schema: ['crash', 'timeout', 'server-error', 'schema-violation'],
  any: ['crash', 'timeout', 'server-error', 'schema-violation', 'invalid-accepted'],
};

type Outcome = { readonly response: InjectResponse } | { readonly error: unknown } | { readonly timeout: true };

async function send(app: FuzzTarget, request: FuzzRequest, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ timeout: true }), timeoutMs);
  });
  try {
    const dispatched = app.inject({ method: request.method, url: request.url, headers: request.headers, body: request.body ?? null }).then(
      (response): Outcome => ({ response }),
      (error: unknown): Outcome => ({ error }),
    );
    return await Promise.race([dispatched, expired]);
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

function bodyExcerpt(response: InjectResponse): string {
  const text = response.body.toString('utf8');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

type NewFinding = Omit<FuzzFinding, 'curl' | 'seed' | 'occurrences'>;

// Fixed key order: the `--json` output reads top-down.
function makeFinding(
  op: FuzzOperation,
  fuzzCase: FuzzCase,
  kind: FuzzFindingKind,
  status: number | null,
  message: string,
  details: readonly string[],
): NewFinding {
  return {
    kind,
    severity: kind === 'invalid-accepted' ? 'warning' : 'error',
    operation: op.id,
    status,
    message,
    input: fuzzCase.input,
    caseKind: fuzzCase.kind,
    caseIndex: fuzzCase.index,
    details,
    request: fuzzCase.request,
  };
}

function describeError(err: unknown): { text: string; stack: string[] } {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { text, stack: err instanceof Error && err.stack ? err.stack.split('\n').slice(1, 6) : [] };
}

/** The findings one response shows (none when it is fine). */
function judge(op: FuzzOperation, fuzzCase: FuzzCase, outcome: Outcome, doc: OpenAPIDocumentLike, judgesInvalid: boolean): NewFinding[] {
  const finding = (kind: FuzzFindingKind, status: number | null, message: string, details: readonly string[]): NewFinding =>
    makeFinding(op, fuzzCase, kind, status, message, details);
  if ('timeout' in outcome) return [finding('timeout', null, 'no response in time', [])];
  if ('error' in outcome) {
    const { text, stack } = describeError(outcome.error);
    return [finding('crash', null, `dispatch threw ${text}`, stack)];
  }
  const { response } = outcome;
  const status = response.status;
  const out: NewFinding[] = [];
  if (status >= 500) out.push(finding('server-error', status, `answered ${status}`, [bodyExcerpt(response)]));
  const declared = responseFor(op, status);
  if (declared?.json && declared.schema !== undefined && fuzzCase.request.method !== 'HEAD' && status !== 204 && status !== 304) {
    const type = response.headers.get('content-type') ?? '';
    let errors: string[];
    if (!/\bjson\b/i.test(type)) {
      errors = [`content-type is ${type || 'missing'}, the document declares JSON`];
    } else {
      try {
        errors = validateJsonSchema(declared.schema, JSON.parse(response.body.toString('utf8')), doc);
      } catch {
        errors = ['the body is not valid JSON'];
      }
    }
    if (errors.length > 0)
      out.push(finding('schema-violation', status, `${status} response breaks its declared schema`, errors.slice(0, 10)));
  }
  if (judgesInvalid && fuzzCase.kind === 'invalid' && status >= 200 && status < 300) {
    out.push(finding('invalid-accepted', status, `accepted an invalid request with ${status}`, []));
  }
  return out;
}

/**
 * Contract fuzzing: generates requests from the app's OpenAPI document — valid values, boundary
 * values and invalid ones for every parameter and body field, deterministic for a seed — sends
 * them in process through `app.inject` (no socket, no network) and reports every 5xx,
 * response that breaks its declared schema, invalid request accepted with a 2xx, crash and
 * timeout, each with a `curl` line that reproduces it.
 *
 * @example
 * const report = await fuzz(app, { seed: 1, runs: 100 });
 * for (const f of report.findings) console.log(f.operation, f.message, f.curl);
 * assert.equal(report.passed, true);
 */
export async function fuzz(app: FuzzTarget, options: FuzzOptions = {}): Promise<FuzzReport> {
  const started = performance.now();
  const doc = options.document ?? app.openapi?.();
  if (doc === undefined) throw new TypeError('fuzz needs an OpenAPI document: this app has no openapi(); pass options.document');
  const seed = String(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const runs = options.runs ?? 200;
  const failOn = options.failOn ?? 'schema';
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxFailures = options.maxFailures ?? Number.POSITIVE_INFINITY;
  const found = new Map<string, { finding: Omit<FuzzFinding, 'occurrences'>; occurrences: number }>();
  const notes: { operation: string; message: string }[] = [];
  const byKind: Record<FuzzCaseKind, number> = { valid: 0, boundary: 0, invalid: 0 };
  let requests = 0;
  let operations = 0;
  let stoppedEarly = false;
  const ops = operationsOf(doc).filter((op) => options.include?.(op.id) ?? true);
  // An error no one awaits (a rejected fire-and-forget promise, a throwing timer) would stop a
  // real server: while fuzzing it is caught and charged to the request in flight.
  const stray: unknown[] = [];
  const onStray = (error: unknown): void => {
    stray.push(error);
  };
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onStray);
  try {
    outer: for (const op of ops) {
      operations++;
      if (op.note !== undefined) notes.push({ operation: op.id, message: op.note });
      const cases = casesForOperation(op, doc, { seed, runs }, options.headers);
      // Mutations of a request that is not valid to begin with say nothing about invalid input.
      const judgesInvalid = cases[0]?.kind === 'valid';
      if (!judgesInvalid && cases.length > 0) {
        const why =
          cases[0]?.kind === 'invalid'
            ? 'no request conforming to the document could be generated'
            : 'whether a request conforms depends on how the app reads text (form fields, object query parameters)';
        notes.push({ operation: op.id, message: `${why}; invalid-accepted checks are off` });
      }
      let refused = 0;
      for (const fuzzCase of cases) {
        const outcome = await send(app, fuzzCase.request, timeoutMs);
        if ('response' in outcome && (outcome.response.status === 401 || outcome.response.status === 403)) refused++;
        requests++;
        byKind[fuzzCase.kind]++;
        // One macrotask turn: unhandled rejections of this request are reported by then.
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.onCase?.(fuzzCase, 'response' in outcome ? outcome.response.status : null);
        const crashes = stray.splice(0).map((error) => {
          const { text, stack } = describeError(error);
          return makeFinding(op, fuzzCase, 'crash', null, `uncaught ${text} (it would stop a server)`, stack);
        });
        for (const f of [...judge(op, fuzzCase, outcome, doc, judgesInvalid), ...crashes]) {
          const id = `${f.operation}\0${f.kind}\0${f.status}`;
          const seen = found.get(id);
          if (seen !== undefined) {
            seen.occurrences++;
            continue;
          }
          found.set(id, { finding: { ...f, seed, curl: toCurl(f.request, options.baseUrl) }, occurrences: 1 });
          if (found.size >= maxFailures) {
            stoppedEarly = true;
            break outer;
          }
        }
      }
      if (cases.length > 0 && refused === cases.length) {
        notes.push({ operation: op.id, message: 'every request was refused with 401/403: pass credentials (headers, --header)' });
      }
    }
  } finally {
    process.off('unhandledRejection', onStray);
    process.off('uncaughtException', onStray);
  }
  const findings = [...found.values()]
    .map(({ finding, occurrences }) => ({ ...finding, occurrences }))
    .sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  const failing = FAILING[failOn];
  return {
    seed,
    runs,
    operations,
    requests,
    byKind,
    findings,
    notes,
    passed: !findings.some((f) => failing.includes(f.kind)),
    stoppedEarly,
    durationMs: Math.round(performance.now() - started),
  };
}
