// The expected strings are what Jinja 3.1's `urlencode` prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateEngine } from '../../../src/templates/index.js';
import { urlencode } from '../../../src/templates/url-encode.js';

const t = new TemplateEngine({ directory: [] });
const html = (source: string, ctx: object = {}) => t.renderString(source, ctx);

describe('urlencode', () => {
  it('percent-encodes a string as UTF-8, keeping / and only letters, digits and _.-~', () => {
    assert.equal(urlencode('a b/c&d=é'), 'a%20b/c%26d%3D%C3%A9');
    assert.equal(urlencode("~x y!*()'"), '~x%20y%21%2A%28%29%27');
    assert.equal(urlencode(3), '3');
  });

  it('makes a query string of a dict, a Map or (key, value) pairs: nothing kept, spaces as +', () => {
    assert.equal(urlencode({ q: 'a b', page: 2, x: '/&=?+' }), 'q=a+b&page=2&x=%2F%26%3D%3F%2B');
    assert.equal(urlencode([['q', 'a b'], ['n', 1]]), 'q=a+b&n=1');
    assert.equal(urlencode(new Map([['k y', 'v']])), 'k+y=v');
  });

  it('refuses a list of anything but pairs', () => {
    assert.throws(() => urlencode(['ab']), { code: 'ERR_TEMPLATE_RUNTIME', message: /\(key, value\) pairs/ });
  });
});

describe('urlencode in templates', () => {
  it('encodes dicts, dict items and strings; the & of a query string is escaped under autoescape', () => {
    assert.equal(html('{{ x|urlencode }}', { x: { q: 'a b', page: 2 } }), 'q=a+b&amp;page=2');
    assert.equal(html('{{ x.items()|urlencode }}', { x: { c: "é~!*()'_.-" } }), 'c=%C3%A9~%21%2A%28%29%27_.-');
    assert.equal(html('<a href="/s?q={{ q|urlencode }}">', { q: 'rock & roll' }), '<a href="/s?q=rock%20%26%20roll">');
  });
});
