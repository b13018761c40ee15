// The exporter writes each batch straight into bytes: what the collector decodes must be the
// exact spans, non-ASCII text and large batches included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OTLPTraceExporter } from '../../../src/monitoring/otlp-exporter.js';
import { Tracer } from '../../../src/monitoring/tracer.js';
import { startCollector } from './otlp-collector.js';

describe('OTLP export body', () => {
  it('carries non-ASCII attributes and names intact, in batches larger than the first buffer', async () => {
    const collector = await startCollector();
    try {
      const exporter = new OTLPTraceExporter({
        url: `${collector.url}/v1/traces`,
        resource: { 'service.name': 'café ☕' },
        maxExportBatchSize: 300,
        scheduledDelayMillis: 60_000,
      });
      const tracer = new Tracer({ exporter, scope: { name: 'covet', version: '1' }, useOpenTelemetry: false });
      const long = 'ü€😀'.repeat(2000);
      for (let i = 0; i < 300; i++) {
        const span = tracer.startSpan(i === 7 ? `GET /ünïcödé/${long}` : `GET /items/${i}`, {
          kind: 'server',
          attributes: { 'url.path': i % 2 === 0 ? `/naïve/${i}` : `/plain/${i}`, emoji: '😀', quote: 'a "b" \\ c\n' },
          parent: null,
        });
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
      await collector.waitFor(300);
      assert.equal(collector.requests.length, 1);
      assert.equal(collector.requests[0]?.contentType, 'application/json');
      const byName = new Map(collector.spans.map((s) => [s.name, s]));
      assert.equal(byName.get(`GET /ünïcödé/${long}`)?.attributes.emoji, '😀');
      const s0 = byName.get('GET /items/0');
      assert.deepEqual(s0?.attributes, { 'url.path': '/naïve/0', emoji: '😀', quote: 'a "b" \\ c\n', 'http.response.status_code': 200 });
      assert.equal(s0?.resource['service.name'], 'café ☕');
      await exporter.flush();
      assert.equal(exporter.stats.exported, 300);
      assert.equal(exporter.stats.dropped, 0);
    } finally {
      await collector.close();
    }
  });
});
