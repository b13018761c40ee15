import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONVERTER_FUNCTIONS, CONVERTER_PRIORITY, CONVERTERS, parseRoutePath } from '../../../src/router/route-path.js';

describe('parseRoutePath', () => {
  it('returns one static part for a path without placeholders', () => {
    assert.deepEqual(parseRoutePath('/users/me'), [{ kind: 'static', text: '/users/me' }]);
    assert.deepEqual(parseRoutePath('/'), [{ kind: 'static', text: '/' }]);
  });

  it('splits static text and placeholders, str being the default converter', () => {
    assert.deepEqual(parseRoutePath('/users/{id:int}/posts/{slug}'), [
      { kind: 'static', text: '/users/' },
      { kind: 'param', name: 'id', converter: 'int' },
      { kind: 'static', text: '/posts/' },
      { kind: 'param', name: 'slug', converter: 'str' },
    ]);
  });

  it('accepts every known converter', () => {
    for (const converter of CONVERTERS) {
      assert.deepEqual(parseRoutePath(`/x/{v:${converter}}`)[1], { kind: 'param', name: 'v', converter });
    }
  });

  it('keeps a trailing slash after a placeholder as static text', () => {
    assert.deepEqual(parseRoutePath('/a/{x}/'), [
      { kind: 'static', text: '/a/' },
      { kind: 'param', name: 'x', converter: 'str' },
      { kind: 'static', text: '/' },
    ]);
  });

  it('accepts a placeholder right after the leading slash and adjacent placeholder segments', () => {
    assert.deepEqual(parseRoutePath('/{a}/{b:path}'), [
      { kind: 'static', text: '/' },
      { kind: 'param', name: 'a', converter: 'str' },
      { kind: 'static', text: '/' },
      { kind: 'param', name: 'b', converter: 'path' },
    ]);
  });

  it('accepts identifier names with underscores and digits', () => {
    assert.deepEqual(parseRoutePath('/u/{user_id2}')[1], { kind: 'param', name: 'user_id2', converter: 'str' });
    assert.deepEqual(parseRoutePath('/u/{_x}')[1], { kind: 'param', name: '_x', converter: 'str' });
  });

  it('throws without a leading slash', () => {
    assert.throws(() => parseRoutePath('users'), { name: 'TypeError', message: 'Route path must start with "/": "users"' });
    assert.throws(() => parseRoutePath(''), { name: 'TypeError', message: 'Route path must start with "/": ""' });
  });

  it('throws when a placeholder is not a whole segment', () => {
    assert.throws(() => parseRoutePath('/a{x}'), { name: 'TypeError', message: 'Parameter {x} must be a whole path segment in "/a{x}"' });
    assert.throws(() => parseRoutePath('/{x}a'), { message: 'Parameter {x} must be a whole path segment in "/{x}a"' });
    assert.throws(() => parseRoutePath('/{x}{y}'), { message: 'Parameter {x} must be a whole path segment in "/{x}{y}"' });
    assert.throws(() => parseRoutePath('/a/{x}.json'), TypeError);
  });

  it('throws on an unknown converter', () => {
    assert.throws(() => parseRoutePath('/a/{x:bogus}'), {
      name: 'TypeError',
      message: 'Unknown converter "bogus" in "/a/{x:bogus}" (known: str, int, float, uuid, path)',
    });
  });

  it('throws on a duplicate parameter name', () => {
    assert.throws(() => parseRoutePath('/a/{x}/b/{x:int}'), { name: 'TypeError', message: 'Duplicate parameter "x" in route path "/a/{x}/b/{x:int}"' });
  });

  it('throws when a path parameter is not last', () => {
    assert.throws(() => parseRoutePath('/a/{p:path}/b'), { name: 'TypeError', message: '{p:path} must be the last segment of "/a/{p:path}/b"' });
    assert.throws(() => parseRoutePath('/a/{p:path}/'), TypeError);
  });

  it('throws on malformed placeholders and unbalanced braces', () => {
    assert.throws(() => parseRoutePath('/a/{1x}'), { message: 'Malformed placeholder in route path "/a/{1x}" at 3' });
    assert.throws(() => parseRoutePath('/a/{}'), TypeError);
    assert.throws(() => parseRoutePath('/a/{x'), TypeError);
    assert.throws(() => parseRoutePath('/a/{x:}'), TypeError);
    assert.throws(() => parseRoutePath('/a/{x-y}'), TypeError);
    assert.throws(() => parseRoutePath('/a/x}'), { message: 'Unbalanced "}" in route path "/a/x}"' });
  });
});

describe('CONVERTER_FUNCTIONS', () => {
  it('has no function for str and path, which keep the text', () => {
    assert.equal(CONVERTER_FUNCTIONS.str, null);
    assert.equal(CONVERTER_FUNCTIONS.path, null);
  });

  it('converts unsigned decimal integers and returns undefined otherwise', () => {
    const int = CONVERTER_FUNCTIONS.int;
    assert.ok(int);
    assert.equal(int('42'), 42);
    assert.equal(int('0'), 0);
    assert.equal(int('0000000000000000042'), 42);
    for (const bad of ['', '-1', '+1', '1.0', '1e2', ' 1', '１', 'abc', '9007199254740992']) assert.equal(int(bad), undefined, bad);
  });

  it('converts unsigned decimal floats and returns undefined otherwise', () => {
    const float = CONVERTER_FUNCTIONS.float;
    assert.ok(float);
    assert.equal(float('1.5'), 1.5);
    assert.equal(float('2'), 2);
    for (const bad of ['', '-1.5', '.5', '1.', '1e3', 'NaN', 'Infinity', '9'.repeat(400)]) assert.equal(float(bad), undefined, bad.slice(0, 10));
  });

  it('accepts canonical uuids, lower-cased, and returns undefined otherwise', () => {
    const uuid = CONVERTER_FUNCTIONS.uuid;
    assert.ok(uuid);
    assert.equal(uuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    for (const bad of ['a0eebc999c0b4ef8bb6d6bb9bd380a11', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1']) {
      assert.equal(uuid(bad), undefined, bad);
    }
  });
});

describe('CONVERTER_PRIORITY', () => {
  it('orders converters from narrow to wide', () => {
    const ordered = [...CONVERTERS].sort((a, b) => CONVERTER_PRIORITY[a] - CONVERTER_PRIORITY[b]);
    assert.deepEqual(ordered, ['int', 'float', 'uuid', 'str', 'path']);
  });
});
