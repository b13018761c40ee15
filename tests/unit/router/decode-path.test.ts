import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRoutingPath, displayPath } from '../../../src/router/decode-path.js';

describe('decodeRoutingPath', () => {
  it('returns a path without escapes unchanged', () => {
    assert.equal(decodeRoutingPath('/users/42'), '/users/42');
    assert.equal(decodeRoutingPath('/'), '/');
  });

  it('decodes ordinary escapes, multi-byte UTF-8 included', () => {
    assert.equal(decodeRoutingPath('/files/caf%C3%A9'), '/files/café');
    assert.equal(decodeRoutingPath('/a%20b'), '/a b');
    assert.equal(decodeRoutingPath('/%7Euser/%41%42'), '/~user/AB');
    assert.equal(decodeRoutingPath('/%e2%82%ac'), '/€');
    assert.equal(decodeRoutingPath('/%F0%9F%98%80'), '/😀');
  });

  it('decodes escapes of reserved characters other than "/" and "%"', () => {
    assert.equal(decodeRoutingPath('/a%3Fb%23c%3Bd%2Be'), '/a?b#c;d+e');
  });

  it('keeps %2F and %25 encoded, normalised to upper case', () => {
    assert.equal(decodeRoutingPath('/files/a%2Fb'), '/files/a%2Fb');
    assert.equal(decodeRoutingPath('/files/a%2fb'), '/files/a%2Fb');
    assert.equal(decodeRoutingPath('/files/100%25'), '/files/100%25');
    assert.equal(decodeRoutingPath('/x/%C3%A9%2F%C3%A9%25%41'), '/x/é%2Fé%25A');
  });

  it('never decodes twice', () => {
    assert.equal(decodeRoutingPath('/a/%2541'), '/a/%2541');
    assert.equal(decodeRoutingPath('/a/%252F'), '/a/%252F');
  });

  it('returns null for a stray percent sign', () => {
    assert.equal(decodeRoutingPath('/a%'), null);
    assert.equal(decodeRoutingPath('/a%2'), null);
    assert.equal(decodeRoutingPath('/a%zz'), null);
    assert.equal(decodeRoutingPath('/100%/x'), null);
  });

  it('returns null for escapes that are not valid UTF-8', () => {
    assert.equal(decodeRoutingPath('/bad/%E0%A4%A'), null);
    assert.equal(decodeRoutingPath('/bad/%FF'), null);
    assert.equal(decodeRoutingPath('/bad/%C3'), null);
    assert.equal(decodeRoutingPath('/bad/%C3%2F%A9'), null);
    assert.equal(decodeRoutingPath('/bad/%ED%A0%80'), null); // an encoded lone surrogate
  });
});

describe('displayPath', () => {
  it('decodes every escape, %2F and %25 included', () => {
    assert.equal(displayPath('/a%2Fb%20c'), '/a/b c');
    assert.equal(displayPath('/100%25'), '/100%');
    assert.equal(displayPath('/caf%C3%A9'), '/café');
  });

  it('returns a path without escapes unchanged', () => {
    assert.equal(displayPath('/plain'), '/plain');
  });

  it('leaves a malformed path as it is', () => {
    assert.equal(displayPath('/a%zz'), '/a%zz');
    assert.equal(displayPath('/bad/%E0%A4%A'), '/bad/%E0%A4%A');
  });
});
