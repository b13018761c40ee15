import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceBuffer } from '../../src/console/trace-buffer.js';

function span(traceId: string, spanId: string, parentSpanId: string | null, startMs: number, durationMs: number, attributes: Record<string, unknown> = {}) {
  const start = BigInt(startMs) * 1_000_000n;
  return {
    name: `span ${spanId}`,
    kind: 'internal',
    context: { traceId, spanId },
    parentSpanId,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(durationMs) * 1_000_000n,
    attributes,
    events: [],
    status: { code: 'ok' },
  };
}

describe('TraceBuffer', () => {
  it('groups spans by trace, root first in name, with start and duration in ms', () => {
    const traces = new TraceBuffer(10, 10);
    traces.add(span('t1', 'b', 'a', 1005, 10));
    traces.add(span('t1', 'a', null, 1000, 30));
    const [trace] = traces.list();
    assert.equal(trace?.traceId, 't1');
    assert.equal(trace?.name, 'span a');
    assert.equal(trace?.start, 1000);
    assert.equal(trace?.durationMs, 30);
    assert.deepEqual(
      trace?.spans.map((s) => [s.spanId, s.parentSpanId, s.start, s.durationMs]),
      [
        ['b', 'a', 1005, 10],
        ['a', null, 1000, 30],
      ],
    );
  });

  it('keeps the last maxTraces traces and maxSpans spans per trace', () => {
    const traces = new TraceBuffer(3, 2);
    for (let t = 1; t <= 5; t++) traces.add(span(`t${t}`, 'a', null, t, 1));
    assert.deepEqual(
      traces.list().map((t) => t.traceId),
      ['t5', 't4', 't3'],
    );
    for (let s = 0; s < 10; s++) traces.add(span('t5', `s${s}`, 'a', 5, 1));
    const t5 = traces.list()[0];
    assert.equal(t5?.spans.length, 2);
    assert.equal(t5?.dropped, 9);
  });

  it('redacts secret attributes and query strings, and ignores what is not a span', () => {
    const traces = new TraceBuffer(3, 3);
    assert.equal(traces.add({ name: 'x' }), null);
    assert.equal(traces.add(null), null);
    traces.add(span('t', 'a', null, 1, 1, { 'http.url': '/cb?code=1&access_token=abc', 'db.password': 'pw', 'http.method': 'GET' }));
    assert.deepEqual(traces.list()[0]?.spans[0]?.attributes, {
      'http.url': '/cb?code=1&access_token=[REDACTED]',
      'db.password': '[REDACTED]',
      'http.method': 'GET',
    });
  });
});
