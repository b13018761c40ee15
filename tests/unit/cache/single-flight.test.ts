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

  it('forgets a run: the next call starts a new one, the old one is told and keeps its callers', async () => {
    const flights = new SingleFlight<string, string>();
    const states: { dropped: boolean }[] = [];
    let release!: () => void;
    const first = flights.run('k', async (state) => {
      states.push(state);
      await new Promise<void>((r) => (release = r));
      return 'old';
    });
    const joined = flights.run('k', async () => 'unused');
    flights.forget('k');
    assert.deepEqual(states, [{ dropped: true }]);
    assert.equal(flights.current('k'), undefined);
    const second = flights.run('k', async (state) => {
      states.push(state);
      return 'new';
    });
    assert.equal(flights.current('k'), second);
    release();
    assert.deepEqual(await Promise.all([first, joined, second]), ['old', 'old', 'new']);
    assert.deepEqual(states, [{ dropped: true }, { dropped: false }]);
    assert.equal(flights.size, 0);

    let later!: () => void;
    const a = flights.run('a', (state) => new Promise((r) => (later = () => r(String(state.dropped)))));
    const b = flights.run('b', async (state) => {
      await new Promise((r) => setImmediate(r));
      return String(state.dropped);
    });
    flights.forgetAll();
    assert.equal(flights.size, 0);
    later();
    assert.deepEqual(await Promise.all([a, b]), ['true', 'true']);
  });
});
