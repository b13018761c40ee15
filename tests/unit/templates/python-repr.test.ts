// The expected strings are what Jinja 3.1 (Python's repr) prints for the same template and data,
// except where a test says otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Markup, Namespace, TemplateEngine } from '../../../src/templates/index.js';
import { pyNumber, pyRepr, pyStringRepr } from '../../../src/templates/python-repr.js';
import { tuple } from '../../../src/templates/tuple.js';

const t = new TemplateEngine({ directory: [] });
const raw = (source: string, ctx: object = {}) => t.renderString(source, ctx, { autoescape: false });
const html = (source: string, ctx: object = {}) => t.renderString(source, ctx);

describe('pyRepr', () => {
  it('quotes strings as Python: single quotes unless the string holds only single ones', () => {
    assert.equal(pyStringRepr("it's"), `"it's"`);
    assert.equal(pyStringRepr('say "hi"'), `'say "hi"'`);
    assert.equal(pyStringRepr(`both '"`), `'both \\'"'`);
    assert.equal(pyStringRepr('a\nb\t\\\r'), `'a\\nb\\t\\\\\\r'`);
  });

  it('escapes what str.isprintable() refuses, keeps printable non-ASCII', () => {
    assert.equal(pyStringRepr('\u0000\u007f'), `'\\x00\\x7f'`);
    assert.equal(pyStringRepr('\u00a0\u200b\u2028'), `'\\xa0\\u200b\\u2028'`);
    assert.equal(pyStringRepr('\ud800'), `'\\ud800'`);
    assert.equal(pyStringRepr('é中😀'), `'é中😀'`);
  });

  it('writes numbers as Python: ints as digits, floats with exponents below 1e-4', () => {
    assert.deepEqual(
      [0.1, 1e-5, 1.5e-7, 0.0001, 123.456, 100, -3, 1e21, Number.NaN, Infinity, -Infinity].map(pyNumber),
      ['0.1', '1e-05', '1.5e-07', '0.0001', '123.456', '100', '-3', '1000000000000000000000', 'nan', 'inf', '-inf'],
    );
  });

  it('writes lists, tuples, dicts, sets, Maps, Markup and namespaces', () => {
    assert.equal(pyRepr([1, 'a', true, false, null, undefined, [2], {}]), "[1, 'a', True, False, None, Undefined, [2], {}]");
    assert.equal(pyRepr([tuple([1, 2]), tuple([1]), tuple([])]), '[(1, 2), (1,), ()]');
    assert.equal(pyRepr({ a: { b: {} }, c: [[], {}] }), "{'a': {'b': {}}, 'c': [[], {}]}");
    assert.equal(pyRepr(new Set([1, 'x'])) + pyRepr(new Set()), "{1, 'x'}set()");
    assert.equal(pyRepr(new Map<unknown, unknown>([[1, 'a'], ['k', null]])), "{1: 'a', 'k': None}");
    assert.equal(pyRepr([new Markup('<i>')]), "[Markup('<i>')]");
    assert.equal(pyRepr(new Namespace({ a: 1 })), "<Namespace {'a': 1}>");
    assert.equal(pyRepr({ b: 1, a: 2 }, { sortKeys: true }), "{'a': 2, 'b': 1}");
  });

  it('writes a container found inside itself as [...] or {...} instead of recursing', () => {
    const xs: unknown[] = [1];
    xs.push(xs);
    const d: Record<string, unknown> = {};
    d.self = d;
    assert.equal(pyRepr(xs) + pyRepr(d), "[1, [...]]{'self': {...}}");
  });

  it('does not look into the global objects', () => {
    assert.equal(pyRepr([globalThis]), `[${String(globalThis)}]`);
  });
});

describe('printing containers in templates', () => {
  it('prints dicts and lists as Jinja does, escaped under autoescape', () => {
    assert.equal(raw('{{ d }}', { d: { a: 1, b: 'x' } }), "{'a': 1, 'b': 'x'}");
    assert.equal(html('{{ d }}', { d: { a: 1, b: 'x' } }), '{&#39;a&#39;: 1, &#39;b&#39;: &#39;x&#39;}');
    assert.equal(raw('{{ xs }}', { xs: [1, 'a', true, false, null, 1.5, [2], {}] }), "[1, 'a', True, False, None, 1.5, [2], {}]");
    assert.equal(
      raw('{{ xs }}', { xs: ["it's", 'say "hi"', `both '"`, 'a\nb\t\\', '\u0000\u007f', '\u00a0\u200b', 'é中😀'] }),
      `["it's", 'say "hi"', 'both \\'"', 'a\\nb\\t\\\\', '\\x00\\x7f', '\\xa0\\u200b', 'é中😀']`,
    );
    assert.equal(raw('{{ [0.1, 1e-05, 1.5e-07, 0.0001, 123.456, 100, -3] }}'), '[0.1, 1e-05, 1.5e-07, 0.0001, 123.456, 100, -3]');
    assert.equal(raw("{{ {'a': missing} }} {{ [missing] }}"), "{'a': Undefined} [Undefined]");
  });

  it('escapes the repr of Markup items too, as Jinja escapes the whole repr', () => {
    assert.equal(html("{{ ['<b>', '<i>'|safe] }}"), '[&#39;&lt;b&gt;&#39;, Markup(&#39;&lt;i&gt;&#39;)]');
    assert.equal(html("{{ {'<': '&'} }}"), '{&#39;&lt;&#39;: &#39;&amp;&#39;}');
    assert.equal(html("{% set ns = namespace(a=1, b='x') %}{{ ns }}"), '&lt;Namespace {&#39;a&#39;: 1, &#39;b&#39;: &#39;x&#39;}&gt;');
  });

  it('prints tuples: literals, dict items, dictsort and groupby results', () => {
    assert.equal(raw("{{ (1, 2) }} {{ (1,) }} {{ () }} {{ 1, 'a' }}"), "(1, 2) (1,) () (1, 'a')");
    assert.equal(raw('{{ d.items()|list }} {{ d|dictsort }} {{ d.items()|first }}', { d: { b: 1, a: 2 } }), "[('b', 1), ('a', 2)] [('a', 2), ('b', 1)] ('b', 1)");
    assert.equal(
      raw("{{ users|groupby('city')|list }}", { users: [{ n: 'a', city: 'X' }, { n: 'b', city: 'Y' }, { n: 'c', city: 'X' }] }),
      "[('X', [{'n': 'a', 'city': 'X'}, {'n': 'c', 'city': 'X'}]), ('Y', [{'n': 'b', 'city': 'Y'}])]",
    );
  });

  it('uses the repr wherever Jinja converts with str(): ~, string, join, escape, xmlattr, format', () => {
    assert.equal(raw("{{ 'x' ~ [1] }} {{ [1, 2]|string }} {{ [[1, 2], [3]]|join(';') }} {{ [1, 'a']|length }}"), 'x[1] [1, 2] [1, 2];[3] 2');
    assert.equal(html("{{ ['<b>']|e }} {{ {'a': '<'}|escape }} {{ ['<']|forceescape }}"), '[&#39;&lt;b&gt;&#39;] {&#39;a&#39;: &#39;&lt;&#39;} [&#39;&lt;&#39;]');
    assert.equal(html("{{ [[1], ['<']]|join(', '|safe) }} {{ ['<b>'|safe, [2]]|join }}"), '[1], [&#39;&lt;&#39;] <b>[2]');
    assert.equal(html("{{ {'data-x': [1, '<']}|xmlattr }} {{ '<%s>'|safe|format(d) }}", { d: { a: '<' } }), ' data-x="[1, &#39;&lt;&#39;]" <{&#39;a&#39;: &#39;&lt;&#39;}>');
  });

  it('keeps printing scalars as JavaScript does (the documented difference: Jinja prints True None|2.0 1e-05)', () => {
    assert.equal(raw('{{ true }} {{ none }}|{{ 2.0 }} {{ 1e-05 }}'), 'true |2 0.00001');
  });

  it('unpacks tuples in loops and assignments as it unpacks lists', () => {
    assert.equal(raw('{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% set a, b = 1, 2 %}{{ a + b }}', { d: { a: 1, b: 2 } }), 'a=1;b=2;3');
  });
});
