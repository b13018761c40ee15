// The least work that does the job of metrics + tracing + request logging, written by hand for
// one route shape, as a floor to compare Covet's middleware with (bench/monitoring/run.mjs and
// inprocess.mjs, F=z): per request two clock reads, ids cut from a pooled random buffer, a
// counter and a histogram bucket in a Map, `traceparent` and `x-request-id` on the response, a
// span pushed as six values (encoded as OTLP JSON and POSTed every 100 ms), and a JSON log line
// appended to a string (written with one `writeSync` every 5 ms). No context propagation, no
// label validation, no cardinality cap, no redaction, no sampling, no error handling: what a
// real implementation adds on top of this is what the comparison shows.
//
// `parts`: digits choosing the pieces (none: all): 1 response headers, 2 metrics, 3 spans and
// their export, 4 log lines; 0 none of them (only the clock reads and ids); B also burns ~2 µs.
import { randomBytes } from 'node:crypto';
import { openSync, writeSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The middleware (trusted like Covet's own, so it gets the `Response` synchronously). */
export async function minimalObservability({ parts = '', otlpEndpoint, root }) {
  const { trustMiddleware } = await import(pathToFileURL(join(root, 'dist', 'internal', 'trusted-middleware.js')).href);
  const all = !/[0-4]/.test(parts);
  const headers = all || parts.includes('1');
  const metrics = all || parts.includes('2');
  const spans = all || parts.includes('3');
  const lines = all || parts.includes('4');
  const burnIterations = parts.includes('B') ? 1000 : 0;
  let pool = randomBytes(24 * 1024);
  let at = 0;
  const series = new Map();
  const unused = { count: 0, sum: 0, buckets: new Float64Array(12) };
  const queued = [];
  let text = '';
  const fd = openSync('/dev/null', 'w');
  setInterval(() => {
    if (text === '') return;
    writeSync(fd, text);
    text = '';
  }, 5).unref();
  if (otlpEndpoint !== undefined) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(`${otlpEndpoint}/v1/traces`);
    setInterval(() => {
      if (queued.length === 0) return;
      let body = '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench"}}]},"scopeSpans":[{"scope":{"name":"covet"},"spans":[';
      for (let i = 0; i < queued.length; i += 6) {
        body += `${i === 0 ? '' : ','}{"traceId":"${queued[i]}","spanId":"${queued[i + 1]}","name":"${queued[i + 2]}","kind":2,"startTimeUnixNano":"${Math.round(queued[i + 3] * 1e6)}","endTimeUnixNano":"${Math.round(queued[i + 4] * 1e6)}","attributes":[{"key":"http.response.status_code","value":{"intValue":"${queued[i + 5]}"}}]}`;
      }
      body += ']}]}]}';
      queued.length = 0;
      const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => res.resume());
      req.on('error', () => {});
      req.end(body);
    }, 100).unref();
  }
  const burn = (n) => {
    let x = 1.1;
    for (let i = 0; i < n; i++) x = x * 1.0000001 + 0.5;
    return x;
  };
  const origin = performance.timeOrigin;
  return trustMiddleware(function minimal(req, callNext) {
    const t0 = performance.now();
    if (at + 24 > pool.length) {
      pool = randomBytes(24 * 1024);
      at = 0;
    }
    const hex = pool.toString('hex', at, at + 24);
    at += 24;
    if (burnIterations > 0 && burn(burnIterations) === 0) throw new Error('unreachable');
    const res = callNext(req);
    const t1 = performance.now();
    const route = req.route.path;
    let s = unused;
    if (metrics) {
      const key = `${req.method} ${route} ${res.status}`;
      s = series.get(key);
      if (s === undefined) series.set(key, (s = { count: 0, sum: 0, buckets: new Float64Array(12) }));
    }
    const seconds = (t1 - t0) / 1000;
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < 11 && seconds > BUCKETS[i]) i++;
    s.buckets[i]++;
    const traceId = hex.slice(0, 32);
    const spanId = hex.slice(32, 48);
    if (headers) {
      res.headers.set('traceparent', `00-${traceId}-${spanId}-01`);
      res.headers.set('x-request-id', traceId);
    }
    if (spans) queued.push(traceId, spanId, `${req.method} ${route}`, origin + t0, origin + t1, res.status);
    if (lines) {
      text += `{"timestamp":"${new Date(origin + t1).toISOString()}","level":"INFO","message":"request","method":"${req.method}","path":"${req.path}","status":${res.status},"duration_ms":${(t1 - t0).toFixed(3)},"request_id":"${traceId}","trace_id":"${traceId}"}\n`;
    }
    return res;
  });
}
