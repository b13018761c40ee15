import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../src/console/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.push(1), undefined);
    ring.push(2);
    assert.deepEqual(ring.toArray(), [1, 2]);
    ring.push(3);
    assert.equal(ring.push(4), 1, 'pushing into a full buffer returns the evicted item');
    assert.deepEqual(ring.toArray(), [2, 3, 4]);
    assert.equal(ring.size, 3);
    assert.equal(ring.last(), 4);
  });

  it('never holds more than its capacity, however much is pushed', () => {
    const ring = new RingBuffer<number>(200);
    for (let i = 0; i < 10_000; i++) ring.push(i);
    const items = ring.toArray();
    assert.equal(items.length, 200);
    assert.equal(items[0], 9800);
    assert.equal(items[199], 9999);
  });

  it('clears', () => {
    const ring = new RingBuffer<string>(2);
    ring.push('a');
    ring.clear();
    assert.equal(ring.size, 0);
    assert.equal(ring.last(), undefined);
    ring.push('b');
    assert.deepEqual(ring.toArray(), ['b']);
  });

  it('refuses a capacity below 1 or not an integer', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new RingBuffer(1.5), RangeError);
    assert.throws(() => new RingBuffer(-3), RangeError);
  });
});
