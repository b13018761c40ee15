// The expected strings are what Jinja 3.1's `tojson` prints (json.dumps with sort_keys=True, then
// <, >, & and ' as \u escapes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Markup, TemplateEngine } from '../../../src/templates/index.js';
import { htmlSafeJson } from '../../../src/templates/html-safe-json.js';

const t = new TemplateEngine({ directory: [] });
const html = (source: string, ctx: object = {}) => t.renderString(source, ctx);

describe('htmlSafeJson', () => {
  it('sorts keys, separates with ", " and ": ", escapes non-ASCII and the HTML characters', () => {
    assert.equal(
      htmlSafeJson({ b: 1, a: [1, `x<>&'"`, null, true, 1.5], é: '\u2028' }),
      '{"a": [1, "x\\u003c\\u003e\\u0026\\u0027\\"", null, true, 1.5], "b": 1, "\\u00e9": "\\u2028"}',
    );
    assert.equal(htmlSafeJson([1e-5, 0.1, -2, '😀\u0000\u001f\u007f', '\\/']), '[1e-05, 0.1, -2, "\\ud83d\\ude00\\u0000\\u001f\\u007f", "\\\\/"]');
  });

  it('indents as Python: a number of spaces (0 still breaks lines) or a string, empty containers on one line', () => {
    assert.equal(htmlSafeJson({ b: 1, a: [1, 2], c: {}, d: [] }, 2), '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1,\n  "c": {},\n  "d": []\n}');
    assert.equal(htmlSafeJson({ b: 1, a: [1] }, 0), '{\n"a": [\n1\n],\n"b": 1\n}');
    assert.equal(htmlSafeJson({ b: { d: 1, c: 2 } }, '\t'), '{\n\t"b": {\n\t\t"c": 2,\n\t\t"d": 1\n\t}\n}');
  });

  it('writes what JSON.stringify would for JavaScript-only values', () => {
    assert.equal(htmlSafeJson({ d: new Date(0), m: new Markup('<b>'), u: undefined, f: () => 1 }), '{"d": "1970-01-01T00:00:00.000Z", "m": "\\u003cb\\u003e"}');
    assert.equal(htmlSafeJson([undefined, Number.NaN, -Infinity, 10n, new Set([1])]), '[null, NaN, -Infinity, 10, [1]]');
    assert.equal(htmlSafeJson(new Map<unknown, unknown>([[2, 'x'], [true, 'y']])), '{"2": "x", "true": "y"}');
    assert.equal(htmlSafeJson(undefined), 'null');
  });

  it('refuses a circular value and an indent past 100 characters', () => {
    const d: Record<string, unknown> = {};
    d.self = d;
    assert.throws(() => htmlSafeJson(d), { code: 'ERR_TEMPLATE_RUNTIME', message: /circular reference/ });
    assert.throws(() => htmlSafeJson([1], 1e9), { code: 'ERR_TEMPLATE_SANDBOX' });
  });
});

describe('tojson in templates', () => {
  it('is safe inside <script> and single-quoted attributes', () => {
    assert.equal(
      html("<script>var d = {{ d|tojson }};</script><a data-d='{{ d|tojson }}'>", { d: { note: '</script><b>', q: "it's & more" } }),
      `<script>var d = {"note": "\\u003c/script\\u003e\\u003cb\\u003e", "q": "it\\u0027s \\u0026 more"};</script><a data-d='{"note": "\\u003c/script\\u003e\\u003cb\\u003e", "q": "it\\u0027s \\u0026 more"}'>`,
    );
  });

  it('takes indent by position or keyword', () => {
    assert.equal(html('{{ x|tojson(2) }}|{{ x|tojson(indent=1) }}', { x: { b: 1 } }), '{\n  "b": 1\n}|{\n "b": 1\n}');
  });
});
