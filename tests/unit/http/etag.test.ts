import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestHeaders } from '../../../src/http/headers.js';
import { etagListMatches, evaluatePreconditions, httpSeconds, parseHttpDate, weakEtag } from '../../../src/http/etag.js';

const MTIME = Date.UTC(2026, 0, 1, 0, 0, 0, 250);
const LAST_MODIFIED = new Date(MTIME).toUTCString();
const TAG = weakEtag(1024, MTIME);
const check = (headers: Record<string, string>, etag: string | null = TAG, mtime: number | null = MTIME) =>
  evaluatePreconditions(new RequestHeaders(headers), etag, mtime);

describe('weakEtag', () => {
  it('is W/"<size hex>-<mtime ms hex>", with the mtime floored to whole ms', () => {
    assert.equal(weakEtag(1024, 1767225600000.9), 'W/"400-19b76daa800"');
    assert.equal(weakEtag(0, 0), 'W/"0-0"');
  });
});

describe('etagListMatches', () => {
  it('finds a tag in a list, ignoring W/ with weak comparison', () => {
    assert.equal(etagListMatches(TAG, TAG, true), true);
    assert.equal(etagListMatches(`"a", ${TAG}`, TAG, true), true);
    assert.equal(etagListMatches(` , "a" ,${TAG} ,`, TAG, true), true);
    assert.equal(etagListMatches(TAG.slice(2), TAG, true), true);
    assert.equal(etagListMatches('"a", "b"', TAG, true), false);
    assert.equal(etagListMatches('*', TAG, true), true);
  });

  it('needs both tags strong with strong comparison', () => {
    assert.equal(etagListMatches('"x"', '"x"', false), true);
    assert.equal(etagListMatches('W/"x"', '"x"', false), false);
    assert.equal(etagListMatches('"x"', 'W/"x"', false), false);
  });

  it('reads commas inside quoted tags as part of the tag, and tolerates unquoted tags', () => {
    assert.equal(etagListMatches('"a,b"', '"a,b"', true), true);
    assert.equal(etagListMatches('"a,b"', '"a"', true), false);
    assert.equal(etagListMatches('x, y', '"y"', true), true);
    assert.equal(etagListMatches('"unterminated', '"unterminated"', true), false);
  });
});

describe('parseHttpDate', () => {
  it('parses IMF-fixdate and gives null for absent or bad values', () => {
    assert.equal(parseHttpDate('Thu, 01 Jan 2026 00:00:00 GMT'), Date.UTC(2026, 0, 1));
    assert.equal(parseHttpDate(null), null);
    assert.equal(parseHttpDate('yesterday'), null);
  });

  it('compares at one-second precision', () => {
    assert.equal(httpSeconds(MTIME), Date.UTC(2026, 0, 1));
  });
});

describe('evaluatePreconditions', () => {
  it('passes without conditional headers', () => {
    assert.equal(check({}), 'pass');
  });

  it('answers If-None-Match hits with not-modified and misses with pass', () => {
    assert.equal(check({ 'if-none-match': TAG }), 'not-modified');
    assert.equal(check({ 'if-none-match': '*' }), 'not-modified');
    assert.equal(check({ 'if-none-match': '"other"' }), 'pass');
    assert.equal(check({ 'if-none-match': '*' }, null), 'not-modified');
    assert.equal(check({ 'if-none-match': TAG }, null), 'pass');
  });

  it('uses If-Modified-Since only without If-None-Match', () => {
    assert.equal(check({ 'if-modified-since': LAST_MODIFIED }), 'not-modified');
    assert.equal(check({ 'if-modified-since': new Date(MTIME - 2000).toUTCString() }), 'pass');
    assert.equal(check({ 'if-modified-since': LAST_MODIFIED, 'if-none-match': '"other"' }), 'pass');
    assert.equal(check({ 'if-modified-since': LAST_MODIFIED }, TAG, null), 'pass');
  });

  it('fails If-Match and If-Unmodified-Since first', () => {
    assert.equal(check({ 'if-match': '"other"', 'if-none-match': TAG }), 'failed');
    assert.equal(check({ 'if-match': '*' }), 'pass');
    assert.equal(check({ 'if-match': '*' }, null), 'pass');
    assert.equal(check({ 'if-match': '"x"' }, null), 'failed');
    assert.equal(check({ 'if-unmodified-since': new Date(MTIME - 2000).toUTCString() }), 'failed');
    assert.equal(check({ 'if-unmodified-since': LAST_MODIFIED }), 'pass');
    // If-Unmodified-Since is ignored when If-Match is present.
    assert.equal(check({ 'if-match': '*', 'if-unmodified-since': new Date(MTIME - 2000).toUTCString() }), 'pass');
  });
});
