import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { weakEtag } from '../../../src/http/etag.js';
import { ifRangeMatches, parseRange } from '../../../src/http/range.js';

describe('parseRange', () => {
  it('parses one range of each form', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { kind: 'range', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=900-', 1000), { kind: 'range', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', 1000), { kind: 'range', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { kind: 'range', start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=990-5000', 1000), { kind: 'range', start: 990, end: 999 });
    assert.deepEqual(parseRange('Bytes= 1 - 2 ', 1000), { kind: 'range', start: 1, end: 2 });
    assert.deepEqual(parseRange('bytes=0-99999999999999999999', 10), { kind: 'range', start: 0, end: 9 });
  });

  it('keeps the one satisfiable range of several', () => {
    assert.deepEqual(parseRange('bytes=5000-, 1-2', 1000), { kind: 'range', start: 1, end: 2 });
    assert.deepEqual(parseRange('bytes=1-2,', 1000), { kind: 'range', start: 1, end: 2 });
  });

  it('is unsatisfiable when no range overlaps the body', () => {
    for (const h of ['bytes=1000-', 'bytes=1000-2000', 'bytes=-0', 'bytes=5000-,6000-', 'bytes=99999999999999999999-']) {
      assert.deepEqual(parseRange(h, 1000), { kind: 'unsatisfiable' }, h);
    }
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-1', 0), { kind: 'unsatisfiable' });
  });

  it('ignores malformed headers, other units and several satisfiable ranges', () => {
    for (const h of ['', 'bytes', 'bytes=', 'bytes=,', 'bytes=-', 'bytes=a-b', 'bytes=5-2', 'bytes=1-2-3', 'bytes=+1-2', 'bytes=0x10-', 'items=0-1', 'bytes=0-1,3-4', 'bytes=0-1,5-2']) {
      assert.deepEqual(parseRange(h, 1000), { kind: 'none' }, h);
    }
  });
});

describe('ifRangeMatches', () => {
  const mtime = Date.UTC(2026, 0, 1, 0, 0, 0, 400);
  const etag = weakEtag(10, mtime);
  it('matches the current entity tag exactly, and nothing else', () => {
    assert.equal(ifRangeMatches(etag, etag, mtime), true);
    assert.equal(ifRangeMatches(` ${etag} `, etag, mtime), true);
    assert.equal(ifRangeMatches('"other"', etag, mtime), false);
    assert.equal(ifRangeMatches(etag.slice(2), etag, mtime), false);
    assert.equal(ifRangeMatches(etag, null, mtime), false);
  });

  it('matches the Last-Modified date to the second', () => {
    assert.equal(ifRangeMatches(new Date(mtime).toUTCString(), etag, mtime), true);
    assert.equal(ifRangeMatches(new Date(mtime - 1000).toUTCString(), etag, mtime), false);
    assert.equal(ifRangeMatches(new Date(mtime + 1000).toUTCString(), etag, mtime), false);
    assert.equal(ifRangeMatches(new Date(mtime).toUTCString(), etag, null), false);
    assert.equal(ifRangeMatches('not a date', etag, mtime), false);
  });
});
