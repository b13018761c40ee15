import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlight } from '../../../src/cache/index.js';

describe('SingleFlight', () => {
  it('shares one run per key while it is in progress', async () => {
    const flights = new SingleFlight<string, number>();
    let runs = 0;
    const fn = async () => {
      runs++;
      await new Promise((r) => setImmediate(r));
      return runs;
    };
    const [a, b, c] = await Promise.all([flights.run('k', fn), flights.run('k', fn), flights.run('other', fn)]);
    assert.equal(a, b);
    assert.equal(runs, 2);
    assert.ok(c);
    assert.equal(flights.size, 0);
    await flights.run('k', fn);
    assert.equal(runs, 3, 'a settled run is not reused');
  });

  it('shares a rejection and frees the key', async () => {
    const flights = new SingleFlight<string, number>();
    const boom = async (): Promise<number> => {
      throw new Error('boom');
    };
    const results = await Promise.allSettled([flights.run('k', boom), flights.run('k', boom)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(flights.current('k'), undefined);
  });
});
