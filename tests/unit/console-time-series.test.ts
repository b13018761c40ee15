import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeSeries } from '../../src/console/time-series.js';

describe('TimeSeries', () => {
  it('closes each second with its count, errors and latency percentiles', () => {
    let now = 1_000_000;
    const series = new TimeSeries({ seconds: 10, now: () => now, loopLag: () => 1.5 });
    for (let i = 1; i <= 100; i++) series.record(i, i > 95);
    assert.deepEqual(series.points(), [], 'the current second is not shown until it ends');
    now += 1000;
    const [point] = series.points();
    assert.deepEqual(point, { t: 1000, requests: 100, errors: 5, p50: 50, p90: 90, p99: 99, loopLagMs: 1.5 });
  });

  it('fills idle seconds with zeros and keeps only the last `seconds`', () => {
    let now = 0;
    const series = new TimeSeries({ seconds: 10, now: () => now });
    series.record(5, false);
    now = 3500;
    series.record(7, false);
    now = 4000;
    assert.deepEqual(
      series.points().map((p) => [p.t, p.requests]),
      [
        [0, 1],
        [1, 0],
        [2, 0],
        [3, 1],
      ],
    );
    now = 1_000_000;
    const points = series.points();
    assert.equal(points.length, 10);
    assert.equal(points.at(-1)?.t, 999);
  });

  it('keeps a bounded sample per second (reservoir) however many requests arrive', () => {
    let now = 0;
    const series = new TimeSeries({ seconds: 10, samplesPerSecond: 64, now: () => now });
    for (let i = 0; i < 100_000; i++) series.record(10, false);
    now = 1000;
    const [point] = series.points();
    assert.equal(point?.requests, 100_000);
    assert.equal(point?.p99, 10);
  });
});
