import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { aggregateSnapshots } from '../../../src/monitoring/index.js';
import { hasPythonClient, hasTextParser, oracleSkip, parseText, parseWithPython } from '../../unit/monitoring/oracles.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-app.ts', import.meta.url));

function runCluster(): Promise<{ ports: number[]; viaWorkers: string[]; openMetrics: string; direct: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) reject(new Error(`cluster fixture failed (${code}): ${err}`));
      else resolve(JSON.parse(line));
    });
  });
}

describe('cluster metrics aggregation', () => {
  it('adds up the metrics of node:cluster workers, from the primary and from any worker', oracleSkip(hasTextParser, 'parse-prometheus-text-format'), async () => {
    const { ports, viaWorkers, openMetrics, direct } = await runCluster();
    assert.equal(ports[0], ports[1], 'workers share the port');
    for (const text of [...viaWorkers, direct]) {
      const parsed = parseText(text);
      const get = (name: string) => parsed.find((f) => f.name === name);
      assert.deepEqual(get('jobs_total')?.metrics, [{ value: '3', labels: { queue: 'mail' } }]);
      assert.equal(get('pool_size')?.metrics[0]?.value, '20', 'max');
      assert.equal(get('connections')?.metrics[0]?.value, '3', 'sum');
      assert.deepEqual(get('job_seconds')?.metrics[0], { buckets: { '1': '1', '2': '2', '3': '2', '+Inf': '2' }, count: '2', sum: '3' });
      assert.deepEqual(get('payload_bytes')?.metrics[0]?.quantiles, { '0.5': '150' });
      assert.equal(get('worker_only'), undefined, 'omitted');
      assert.equal(get('side_total')?.metrics[0]?.value, '3', "another manager's metrics, from every worker");
    }
    assert.ok(openMetrics.endsWith('# EOF\n'));
    if (hasPythonClient) {
      const families = parseWithPython(openMetrics, 'openmetrics');
      assert.equal(families.find((f) => f.name === 'jobs')?.samples[0]?.value, 3);
    }
  });

  it('counts every MetricsManager of a worker once: sums never depend on which manager answered first', async () => {
    const { viaWorkers, direct } = await runCluster();
    for (const text of [...viaWorkers, direct]) {
      assert.match(text, /^jobs_total\{queue="mail"\} 3$/m, text);
      assert.match(text, /^side_total 3$/m, text);
    }
  });

  it('merges snapshots: counters and histograms add, gauges follow their aggregator, mismatches are skipped', () => {
    const counter = (v: number) => ({ name: 'c_total', help: '', type: 'counter' as const, labelNames: ['a'], aggregator: 'sum' as const, series: [{ labels: ['x'], value: v }] });
    const gauge = (v: number, aggregator: 'average' | 'min' | 'first') => ({ name: `g_${aggregator}`, help: '', type: 'gauge' as const, labelNames: [], aggregator, series: [{ labels: [], value: v }] });
    const merged = aggregateSnapshots([
      [counter(1), gauge(2, 'average'), gauge(5, 'min'), gauge(7, 'first')],
      [counter(4), gauge(4, 'average'), gauge(3, 'min'), gauge(9, 'first'), { ...counter(100), type: 'gauge' as const }],
    ]);
    const value = (name: string) => merged.find((m) => m.name === name)?.series[0]?.value;
    assert.equal(value('c_total'), 5);
    assert.equal(value('g_average'), 3);
    assert.equal(value('g_min'), 3);
    assert.equal(value('g_first'), 7);
  });
});
