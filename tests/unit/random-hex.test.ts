import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomHex, randomTraceparent, randomUuid } from '../../src/internal/random-hex.js';

describe('random ids from the hex pool', () => {
  it('gives lowercase hex of the asked length, different every time, across pool refills', () => {
    const seen = new Set<string>();
    // 8 KiB per pool: 3000 × 16 bytes crosses several refills.
    for (let i = 0; i < 3000; i++) {
      const id = randomHex(16);
      assert.match(id, /^[0-9a-f]{32}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 3000);
    assert.match(randomHex(8), /^[0-9a-f]{16}$/);
  });

  it('gives version 4 UUIDs with the RFC variant, as crypto.randomUUID does', () => {
    const variants = new Set<string>();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomUuid();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      variants.add(id[19] as string);
      seen.add(id);
    }
    assert.equal(seen.size, 2000);
    assert.deepEqual([...variants].sort(), ['8', '9', 'a', 'b']);
  });

  it('gives sampled version-00 traceparents with distinct random ids, across pool refills', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    const digits = new Set<string>();
    // 256 per pool: 1000 crosses three refills.
    for (let i = 0; i < 1000; i++) {
      const header = randomTraceparent();
      assert.match(header, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      traces.add(header.slice(3, 35));
      spans.add(header.slice(36, 52));
      for (const c of header.slice(3, 35) + header.slice(36, 52)) digits.add(c);
    }
    assert.equal(traces.size, 1000);
    assert.equal(spans.size, 1000);
    // Every hex digit shows up (the table covers both nibbles).
    assert.equal(digits.size, 16);
  });
});
