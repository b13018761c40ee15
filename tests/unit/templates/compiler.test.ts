// What compiled templates do: Jinja's semantics for each statement and expression, including
// what Nunjucks has no syntax for (so conformance.test.ts cannot compare it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile } from '../../../src/templates/compiler.js';
import { parse } from '../../../src/templates/parser.js';
import { Markup, TemplateEngine } from '../../../src/templates/index.js';

const t = new TemplateEngine({
  directory: [],
  templates: {
    'base.html': '[{% block a %}A{% endblock %}|{% block b %}B{% endblock %}]',
    'mid.html': '{% extends "base.html" %}{% block a %}mid({{ super() }}){% endblock %}',
    'req.html': '<{% block must required %}{% endblock %}>',
    'vars.html': '{{ x }}/{{ y }}/{{ loop.index if loop is defined }}',
    'mod.html': '{% set secret = 42 %}{% set _private = 1 %}{% macro show() %}{{ who }}:{{ secret }}{% endmacro %}',
  },
});
const r = (source: string, ctx: object = {}) => t.renderString(source, ctx);

describe('compiled expressions', () => {
  it('chains comparisons and short-circuits and/or, returning operands as Jinja does', () => {
    assert.equal(r('{{ 1 < x < 3 }} {{ 1 < x > 5 }} {{ 0 or "" or "last" }} {{ 1 and [] }}|{{ none or 0 }}', { x: 2 }), 'true false last []|0');
    let calls = 0;
    const f = () => ++calls;
    assert.equal(r('{{ false and f() }}{{ true or f() }}', { f }), 'falsetrue');
    assert.equal(calls, 0);
  });

  it('uses Python arithmetic: floor division, modulo sign, string and list repetition', () => {
    assert.equal(r('{{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ "ab" * 3 }} {{ ([1] * 3)|length }} {{ [1] + [2] }}'), '-4 2 -2 ababab 3 [1, 2]');
    assert.equal(r('{{ "%s is %d" % ("x", 4) }} {{ "%.2f"|format(3.14159) }} {{ "{} {}".format("a", "b") }}'), 'x is 4 3.14 a b');
  });

  it('slices and indexes lists and strings like Python', () => {
    assert.equal(r('{{ s[1:] }} {{ s[:-1] }} {{ s[::-1] }} {{ xs[-2] }} {{ xs[1:3]|join }} {{ s[10] }}', { s: 'hello', xs: [1, 2, 3, 4] }), 'ello hell olleh 3 23 ');
  });

  it('calls Python string, dict and list methods on JavaScript values', () => {
    assert.equal(r('{{ s.strip().upper() }} {{ s.split()|length }} {{ "a-b-c".split("-", 1)|last }} {{ "x.y".replace(".", "_") }} {{ "ab".startswith(("x", "a")) }}', { s: '  a b  ' }), 'A B 2 b-c x_y true');
    assert.equal(r('{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %} {{ d.keys()|join }} {{ d.get("z", "-") }}', { d: { a: 1, b: 2 } }), 'a1b2 ab -');
    assert.equal(r('{% set xs = [] %}{% do xs.append(1) %}{% do xs.append(2) %}{{ xs|join }} {{ xs.index(2) }}'), '12 1');
    assert.equal(r('{% for k, v in m.items() %}{{ k }}={{ v }}{% endfor %}', { m: new Map([['a', 1]]) }), 'a=1');
  });

  it('concatenates with ~ keeping Markup safe and escaping the other side', () => {
    assert.equal(r('{{ icon ~ label }}', { icon: new Markup('<i/>'), label: '<b>' }), '<i/>&lt;b&gt;');
    assert.equal(r('{{ a ~ b }}', { a: '<', b: 1 }), '&lt;1');
  });

  it('builds list and dict literals, with computed and quoted keys', () => {
    assert.equal(r('{% set d = {"a": 1, k: 2, 3: "n"} %}{{ d.a }}{{ d.kk }}{{ d["3"] }} {{ [1, [2, 3]][1][0] }}', { k: 'kk' }), '12n 2');
  });

  it('reads Map items, getters and negative indexes', () => {
    class User {
      readonly first = 'Ada';
      get name() {
        return `${this.first} L.`;
      }
    }
    assert.equal(r('{{ m["k"] }} {{ u.name }} {{ xs[-1] }}', { m: new Map([['k', 'v']]), u: new User(), xs: [1, 2] }), 'v Ada L. 2');
  });
});

describe('compiled statements', () => {
  it('scopes set to the loop, with, macro and block, and leaves top-level set in the context', () => {
    assert.equal(r('{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}'), '21');
    assert.equal(r('{% with x = 5, y = 6 %}{{ x + y }}{% endwith %}[{{ x }}]'), '11[]');
    assert.equal(r('{% set x = "top" %}{% macro m() %}{% set x = "macro" %}{{ x }}{% endmacro %}{{ m() }}{{ x }}'), 'macrotop');
    assert.equal(r('{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}'), '2');
  });

  it('carries state out of loops with namespace()', () => {
    assert.equal(r('{% set ns = namespace(found=false, n=0) %}{% for x in xs %}{% if x > 2 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.found }} {{ ns.n }}', { xs: [1, 3] }), 'true 2');
  });

  it('provides the loop variable: cycle, previtem, nextitem, changed, and loop filters', () => {
    assert.equal(r('{% for x in xs %}{{ loop.cycle("a", "b") }}{{ loop.previtem or "-" }}{{ loop.nextitem or "-" }} {% endfor %}', { xs: [1, 2, 3] }), 'a-2 b13 a2- ');
    assert.equal(r('{% for x in xs %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}', { xs: [1, 1, 2, 2, 1] }), '121');
    assert.equal(r('{% for x in xs if x is odd %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% else %}none{% endfor %}', { xs: [1, 2, 3] }), '1/2:1 2/2:3 ');
    assert.equal(r('{% for x in xs if x > 5 %}{{ x }}{% else %}none{% endfor %}', { xs: [1, 2] }), 'none');
    assert.equal(r('{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}', { xs: [1, 2, 3] }), '13');
    assert.equal(r('{% for (a, b) in [[1, 2]] %}{{ a + b }}{% endfor %}{% for x in range(2, 8, 3) %}{{ x }}{% endfor %}'), '325');
  });

  it('lets includes see loop variables and locals', () => {
    assert.equal(r('{% set x = "X" %}{% for y in ["a"] %}{% include "vars.html" %}{% endfor %}'), 'X/a/1');
    assert.equal(r('{% include "vars.html" without context %}', { x: 'hidden' }), '//');
  });

  it('binds macro arguments by position and keyword, with varargs, kwargs and caller arguments', () => {
    assert.equal(r('{% macro m(a, b="B") %}{{ a }}{{ b }}{{ varargs|join }}{{ kwargs|dictsort|join }}{% endmacro %}{{ m(1) }} {{ m(1, 2, 3, 4) }} {{ m(b=2, a=1, z=9) }}'), '1B 1234 12(&#39;z&#39;, 9)');
    assert.equal(r('{% macro list(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}{% endmacro %}{% call(item, n) list(["a", "b"]) %}{{ n }}{{ item }};{% endcall %}'), '1a;2b;');
    assert.equal(r('{% macro fact(n) %}{{ 1 if n <= 1 else n * fact(n - 1)|int }}{% endmacro %}{{ fact(5) }}'), '120');
    assert.equal(r('{% macro m() %}{{ caller() if caller else "no caller" }}{% endmacro %}{{ m() }}'), 'no caller');
    assert.throws(() => r('{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}'), /multiple values for argument 'a'/);
  });

  it('imports with and without context; private names are not exported', () => {
    assert.equal(r('{% import "mod.html" as m %}{{ m.secret }}{{ m._private }}[{{ m.show() }}]', { who: 'W' }), '42[:42]');
    assert.equal(r('{% import "mod.html" as m with context %}{{ m.show() }}', { who: 'W' }), 'W:42');
    assert.throws(() => r('{% from "mod.html" import nope %}'), /does not export 'nope'/);
    assert.throws(() => r('{% from "mod.html" import _private %}'), { code: 'ERR_TEMPLATE_SYNTAX' });
  });

  it('resolves blocks through several levels, with super() at each', () => {
    assert.equal(r('{% extends "mid.html" %}{% block a %}top<{{ super() }}>{% endblock %}{% block b %}{{ super() }}{{ super() }}{% endblock %}'), '[top<mid(A)>|BB]');
    assert.equal(r('{% extends name %}', { name: 'mid.html' }), '[mid(A)|B]');
    assert.equal(r('{% if alt %}{% extends "mid.html" %}{% endif %}plain', { alt: false }), 'plain');
    assert.equal(r('{% extends "req.html" %}{% block must %}ok{% endblock %}'), '<ok>');
    assert.throws(() => r('{% include "req.html" %}'), /required block 'must'/);
    assert.throws(() => r('{% block x %}{% endblock %}{% block x %}{% endblock %}'), /defined twice/);
    assert.throws(() => r('{% block x %}{% extends "base.html" %}{% endblock %}'), /top level/);
    assert.throws(() => r('{{ super() }}'), /only available inside a block/);
  });

  it('renders blocks with the variables around them, and blocks defined in loops', () => {
    assert.equal(r('{% for i in [1, 2] %}{% block item %}<{{ i }}>{% endblock %}{% endfor %}'), '<1><2>');
  });

  it('applies filter blocks, block sets with filters, autoescape blocks and do', () => {
    assert.equal(r('{% filter upper|replace("A", "4") %}abc {{ x }}{% endfilter %}', { x: 'a<' }), '4BC 4&LT;');
    assert.equal(r('{% set s | trim | upper %}  hi {{ x }}  {% endset %}[{{ s }}]', { x: '<' }), '[HI &LT;]');
    assert.equal(r('{% autoescape false %}{{ x }}{% endautoescape %}{{ x }}', { x: '<' }), '<&lt;');
    assert.throws(() => r('{% autoescape maybe %}{% endautoescape %}'), { code: 'ERR_TEMPLATE_SYNTAX' });
  });
});

describe('compile()', () => {
  it('emits only JSON-quoted strings for template text, names and keys', () => {
    const src = '{{ a["x\\"y"] }}{% set `z` = 1 %}';
    assert.throws(() => parse(src, 't'));
    const safe = '{{ obj["k\\"); alert(1); (\\""] }}text"); alert(2); ("{% macro m(q) %}{% endmacro %}';
    const out = compile(parse(safe, 't'), { name: 't', source: safe, autoescape: true, strict: false, stream: false, filter: () => undefined, hasTest: () => false });
    // Every `alert` is inside a JSON string: after a backslash-escaped quote, never a bare one.
    assert.equal(out.code.match(/alert/g)?.length, 2);
    assert.doesNotMatch(out.code, /[^\\]"\); alert/);
    assert.ok(out.code.includes(JSON.stringify('text"); alert(2); ("')));
    assert.ok(out.code.includes(JSON.stringify('k"); alert(1); ("')));
    // The macro parameter is a local named v…, its name only a string.
    assert.doesNotMatch(out.code, /let q|\bq =/);
  });

  it('maps generated lines back to template offsets', () => {
    const src = 'a\n{{ b.c() }}';
    const out = compile(parse(src, 't'), { name: 't', source: src, autoescape: true, strict: false, stream: false, filter: () => undefined, hasTest: () => false });
    const lines = out.code.split('\n');
    const n = lines.findIndex((l) => l.includes('callMethod('));
    assert.equal(out.position(n + 1, (lines[n]?.indexOf('callMethod(') ?? 0) + 1), src.indexOf('c()'));
  });
});
