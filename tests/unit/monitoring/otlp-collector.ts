// A loopback OTLP/HTTP collector for tests: decodes and checks every ExportTraceServiceRequest
// it receives (OTLP JSON encoding: hex ids, decimal-string nanos, numeric enums) and keeps the
// spans. It can also fail (500) or hang, to test that tracing never slows requests down.
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollectedSpan {
  readonly resource: Record<string, unknown>;
  readonly scope: { name: string; version?: string };
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly traceState?: string;
  readonly name: string;
  readonly kind: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; time: bigint; attributes: Record<string, unknown> }[];
  readonly status: { code?: number; message?: string };
  /** The span's JSON object as it arrived. */
  readonly raw: Record<string, unknown>;
}

type AnyValue = { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: AnyValue[] } };

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    assert.match(v.intValue, /^-?\d+$/, 'intValue is a decimal string');
    return Number(v.intValue);
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(value);
  throw new Error(`unknown AnyValue ${JSON.stringify(v)}`);
}

function attrs(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value: v } of list ?? []) out[key] = value(v);
  return out;
}

function nanos(s: unknown): bigint {
  assert.equal(typeof s, 'string', 'timestamps are decimal strings');
  assert.match(s as string, /^\d{19}$/);
  return BigInt(s as string);
}

export interface Collector {
  readonly url: string;
  readonly spans: CollectedSpan[];
  /** Each export request: its content type, span count, body text and headers. */
  readonly requests: { contentType: string | undefined; spans: number; body: string; headers: IncomingHttpHeaders }[];
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
  /** Resolves when at least `n` spans arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const requests: Collector['requests'] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let server: Server;
  const collector: Collector = {
    url: '',
    spans,
    requests,
    mode: 'ok',
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (spans.length >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`collector got ${spans.length} of ${n} spans`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (collector.mode === 'hang') return;
      if (collector.mode === 'fail') {
        res.writeHead(500).end();
        return;
      }
      try {
        assert.equal(req.method, 'POST');
        assert.equal(req.url, '/v1/traces');
        const text = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(text) as {
          resourceSpans: { resource: { attributes: [] }; scopeSpans: { scope: { name: string }; spans: Record<string, unknown>[] }[] }[];
        };
        let count = 0;
        for (const rs of body.resourceSpans) {
          const resource = attrs(rs.resource.attributes);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              assert.match(s.traceId as string, /^[0-9a-f]{32}$/);
              assert.match(s.spanId as string, /^[0-9a-f]{16}$/);
              if (s.parentSpanId !== undefined) assert.match(s.parentSpanId as string, /^[0-9a-f]{16}$/);
              assert.equal(typeof s.kind, 'number');
              const start = nanos(s.startTimeUnixNano);
              const end = nanos(s.endTimeUnixNano);
              assert.ok(end >= start);
              spans.push({
                resource,
                scope: ss.scope,
                traceId: s.traceId as string,
                spanId: s.spanId as string,
                ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId as string }),
                ...(s.traceState === undefined ? {} : { traceState: s.traceState as string }),
                name: s.name as string,
                kind: s.kind as number,
                start,
                end,
                attributes: attrs(s.attributes as never),
                events: ((s.events ?? []) as { name: string; timeUnixNano: string; attributes: never }[]).map((e) => ({
                  name: e.name,
                  time: nanos(e.timeUnixNano),
                  attributes: attrs(e.attributes),
                })),
                status: (s.status ?? {}) as { code?: number; message?: string },
                raw: s,
              });
              count++;
            }
          }
        }
        requests.push({ contentType: req.headers['content-type'], spans: count, body: text, headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        for (const w of waiters.splice(0)) {
          if (spans.length >= w.n) w.resolve();
          else waiters.push(w);
        }
      } catch (err) {
        res.writeHead(400).end(String(err));
        throw err;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (collector as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return collector;
}
