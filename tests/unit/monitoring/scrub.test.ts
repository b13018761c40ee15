import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubData, scrubHeaders, scrubQuery } from '../../../src/monitoring/scrub.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

describe('Sentry scrubbing', () => {
  it('cuts credentials, JWTs and secret query parameters out of any header value', () => {
    assert.deepEqual(
      scrubHeaders([
        ['Referer', 'https://shop.example/reset?token=abc123&step=2#top'],
        ['X-Custom', 'Bearer s3cr3t-value'],
        ['X-Forwarded-Uri', `/cb?jwt=${JWT}`],
        ['Accept', 'text/html'],
      ]),
      {
        referer: 'https://shop.example/reset?token=%5BFiltered%5D&step=2#top',
        'x-custom': 'Bearer [Filtered]',
        'x-forwarded-uri': '/cb?jwt=[Filtered]',
        accept: 'text/html',
      },
    );
  });

  it('cuts JWTs out of query parameters whatever their name', () => {
    assert.equal(scrubQuery(`jwt=${JWT}&page=2&password=x`), 'jwt=%5BFiltered%5D&page=2&password=%5BFiltered%5D');
  });

  it('never throws on a getter or proxy that throws, and keeps an object seen twice', () => {
    const shared = { id: 1 };
    const odd = { get boom(): never { throw new Error('getter'); } };
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    assert.deepEqual(scrubData({ a: shared, b: shared, odd, list: [proxy] }), {
      a: { id: 1 },
      b: { id: 1 },
      odd: '[Unserializable]',
      list: ['[Unserializable]'],
    });
  });
});
