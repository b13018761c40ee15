import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Markup, TemplateEngine } from '../../../src/templates/index.js';

const t = new TemplateEngine({ directory: [] });
const r = (source: string, ctx: object = {}) => t.renderString(source, ctx);

describe('built-in filters: text', () => {
  it('upper, lower, title, capitalize, trim, center, indent, wordwrap, wordcount', () => {
    assert.equal(r('{{ "aBc"|upper }} {{ "aBc"|lower }} {{ "hello big-world (x)"|title }} {{ "hELLO"|capitalize }}'), 'ABC abc Hello Big-World (X) Hello');
    assert.equal(r('[{{ "  x \\n"|trim }}] [{{ "xxaxx"|trim("x") }}] [{{ "ab"|center(6) }}]'), '[x] [a] [  ab  ]');
    assert.equal(r('{{ "a\\nb\\n\\nc"|indent(2) }}|{{ "a\\nb"|indent("> ", true) }}'), 'a\n  b\n\n  c|&gt; a\n&gt; b');
    assert.equal(r('{{ "one two three four"|wordwrap(9) }}|{{ "hello, world! 2x"|wordcount }}'), 'one two\nthree\nfour|3');
  });

  it('center as Python pads, wordcount counts words of any script', () => {
    // Python: 'ab'.center(5) == '  ab ', 'abc'.center(6) == ' abc  ', 'a'.center(4) == ' a  '
    assert.equal(r('[{{ "ab"|center(5) }}][{{ "abc"|center(6) }}][{{ "a"|center(4) }}][{{ "abc"|center(2) }}]'), '[  ab ][ abc  ][ a  ][abc]');
    assert.equal(r('{{ "héllo wörld-x"|wordcount }} {{ "日本 語"|wordcount }}'), '3 2');
  });

  it('measures, indexes, slices and cuts strings by character as Jinja does, never half a surrogate pair', () => {
    const s = 'ab😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀'; // 20 characters, 38 UTF-16 units
    const noLoneSurrogate = (out: string) => !/[\uD800-\uDFFF]/.test(out.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
    assert.equal(r('{{ s|length }} {{ s|count }} {{ s|safe|length }}', { s }), '20 20 20');
    assert.equal(r('{{ s[:3] }}|{{ s[2] }}|{{ s[-1] }}|{{ s[::-1]|length }}|{{ s|first }}{{ s|last }}', { s }), 'ab😀|😀|😀|20|a😀');
    // Python: ('ab' + '😀' * 18)[:6] + '...' (Jinja's truncate, word boundary and leeway 5)
    assert.equal(r('{{ s|truncate(9) }}', { s }), 'ab😀😀😀😀...');
    assert.equal(r('{{ s|truncate(6, true, "") }}', { s }), 'ab😀😀😀😀');
    assert.equal(r('{{ "😀😀😀😀😀😀"|truncate(3, true, "", 0) }}'), '😀😀😀');
    assert.equal(r('[{{ "😀"|center(5) }}]'), '[  😀  ]');
    const wrapped = r('{{ s|wordwrap(3) }}', { s });
    assert.deepEqual(wrapped.split('\n'), ['ab😀', '😀😀😀', '😀😀😀', '😀😀😀', '😀😀😀', '😀😀😀', '😀😀']);
    for (const out of [wrapped, r('{{ s[:3] }}{{ s[3] }}{{ s|last }}{{ s|truncate(5, true, "") }}', { s })]) assert.ok(noLoneSurrogate(out), out);
    // Strings without surrogates are unchanged.
    assert.equal(r('{{ "abc"[1:] }} {{ "abc"[-1] }} {{ "abc"|length }} {{ "héllo"|length }}'), 'bc c 3 5');
  });

  it('refuses widths that cannot be honoured instead of looping or exhausting memory', () => {
    for (const [source, message] of [
      ['{{ "a b"|wordwrap(0) }}', /wordwrap: invalid width 0/],
      ['{{ "a b"|wordwrap(-3) }}', /wordwrap: invalid width -3/],
      ['{{ "a b"|wordwrap("x") }}', /wordwrap: invalid width x/],
      ['{{ "a"|center(-1) }}', /center: invalid width -1/],
      ['{{ "a\nb"|indent(-2) }}', /indent: invalid width -2/],
    ] as const) {
      assert.throws(() => r(source), (err: Error & { code?: string }) => message.test(err.message) && err.code === 'ERR_TEMPLATE_RUNTIME', source);
    }
    assert.throws(() => r('{{ "a"|center(1e12) }}'), (err: Error & { code?: string }) => err.code === 'ERR_TEMPLATE_SANDBOX');
    assert.throws(() => r('{{ "a\nb"|indent(1e12) }}'), (err: Error & { code?: string }) => err.code === 'ERR_TEMPLATE_SANDBOX');
  });

  it('divides as Python: / and // and % by zero raise instead of printing Infinity or NaN', () => {
    assert.equal(r('{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }}'), '3.5 3 -4 2');
    for (const [source, message] of [
      ['{{ 1 / 0 }}', /division by zero/],
      ['{{ n // 0 }}', /integer division or modulo by zero/],
      ['{{ 5 % zero }}', /integer division or modulo by zero/],
    ] as const) {
      assert.throws(() => r(source, { n: 3, zero: 0 }), (err: Error & { code?: string }) => err.code === 'ERR_TEMPLATE_RUNTIME' && message.test(err.message), source);
    }
  });

  it('keeps a template\'s final newline unless keepTrailingNewline is false (Jinja\'s default)', () => {
    assert.equal(new TemplateEngine({ templates: { 'a.txt': 'x\n' } }).renderString('y\n'), 'y\n');
    const jinja = new TemplateEngine({ keepTrailingNewline: false, templates: { 'a.txt': 'a\n', 'b.txt': '{% include "a.txt" %}b\r\n' } });
    assert.equal(jinja.renderString('y\n\n'), 'y\n');
    assert.equal(jinja.renderString('{% include "b.txt" %}|\n'), 'ab|');
  });

  it('truncate: Jinja semantics (end counts, leeway 5, killwords)', () => {
    const s = 'The quick brown fox jumps over the lazy dog';
    assert.equal(r('{{ s|truncate(20) }}', { s }), 'The quick brown...');
    assert.equal(r('{{ s|truncate(20, true) }}', { s }), 'The quick brown f...');
    assert.equal(r('{{ s|truncate(20, end=" »") }}', { s }), 'The quick brown »');
    assert.equal(r('{{ s|truncate(40) }}', { s }), s);
    assert.equal(r('{{ s|truncate(40, leeway=0) }}', { s }), 'The quick brown fox jumps over the...');
  });

  it('replace (all, or count), striptags, format, string, reverse', () => {
    assert.equal(r('{{ "aaa"|replace("a", "b") }} {{ "aaa"|replace("a", "b", 2) }}'), 'bbb bba');
    assert.equal(r('{{ "<p>a &amp; <!-- c --> b</p>\\n<br>c"|striptags }}'), 'a &amp; b c');
    assert.equal(r('{{ "%s-%05.1f|%x"|format("a", 3.14159, 255) }} {{ 12|string ~ "!" }} {{ "abc"|reverse }}'), 'a-003.1|ff 12! cba');
  });

  it('keeps Markup safe through text filters and escapes replacement text', () => {
    const m = new Markup('<b>x</b>');
    assert.equal(r('{{ m|upper }} {{ m|replace("x", "<i>") }} {{ m|truncate(3, true, "", 0) }}', { m }), '<B>X</B> <b>&lt;i&gt;</b> <b>');
    assert.equal(r('{{ "<x>"|escape|escape }} {{ m|forceescape }}', { m }), '&lt;x&gt; &lt;b&gt;x&lt;/b&gt;');
  });

  it('urlencode, urlize, nl2br, xmlattr, tojson, dump, pprint', () => {
    assert.equal(r('{{ "a b/c?d=é"|urlencode }} {{ [["a", 1], ["b", "&"]]|urlencode }}'), 'a%20b/c%3Fd%3D%C3%A9 a=1&amp;b=%26');
    assert.equal(r('{{ "see https://covet.dev/x?a=1&b=2. or www.x.org"|urlize }}'), 'see <a href="https://covet.dev/x?a=1&amp;b=2" rel="noopener">https://covet.dev/x?a=1&amp;b=2</a>. or <a href="http://www.x.org" rel="noopener">www.x.org</a>');
    assert.equal(r('{{ "a<\\nb"|nl2br }}'), 'a&lt;<br />\nb');
    assert.equal(r('<p{{ {"class": "x\\"y", "id": none, "data-n": 1}|xmlattr }}>'), '<p class="x&quot;y" data-n="1">');
    assert.throws(() => r('{{ {"a b": 1}|xmlattr }}'), /invalid attribute name/);
    assert.equal(r("{{ {'a': \"</script>&'\", 'b': [1, none]}|tojson }}"), '{"a": "\\u003c/script\\u003e\\u0026\\u0027", "b": [1, null]}');
    assert.equal(r('{{ x|tojson(2) }}', { x: { a: 1 } }), '{\n  &#34;a&#34;: 1\n}'.replace(/&#34;/g, '"'));
    assert.equal(r('{{ x|dump }}', { x: { a: '<' } }), '{&quot;a&quot;:&quot;&lt;&quot;}');
  });

  it('filesizeformat', () => {
    assert.equal(r('{{ 1|filesizeformat }} {{ 999|filesizeformat }} {{ 1000|filesizeformat }} {{ 1500000|filesizeformat }} {{ 2048|filesizeformat(true) }}'), '1 Byte 999 Bytes 1.0 kB 1.5 MB 2.0 KiB');
  });
});

describe('built-in filters: numbers', () => {
  it('round, int, float, abs, sum, min, max', () => {
    assert.equal(r('{{ 2.5|round }} {{ -2.5|round }} {{ 3.14159|round(2) }} {{ 1.005|round(2) }} {{ 1.23|round(1, "ceil") }} {{ 1.27|round(1, "floor") }}'), '3 -3 3.14 1 1.3 1.2');
    assert.equal(r('{{ "12"|int }} {{ "0x1F"|int(base=16) }} {{ "1_000"|int }} {{ "nope"|int(-1) }} {{ true|int }} {{ "-4.9"|int }}'), '12 31 1000 -1 1 -4');
    assert.equal(r('{{ "1.5"|float }} {{ "x"|float }} {{ "x"|float(2.5) }} {{ -3.2|abs }}'), '1.5 0 2.5 3.2');
    assert.equal(r('{{ [1, 2, 3]|sum }} {{ items|sum(attribute="n") }} {{ [1, 2]|sum(start=10) }}', { items: [{ n: 2 }, { n: 3 }] }), '6 5 13');
    assert.equal(r('{{ ["b", "A", "c"]|min }} {{ ["b", "A", "c"]|max }} {{ items|max(attribute="n")|attr("n") }}', { items: [{ n: 2 }, { n: 3 }] }), 'A c 3');
    assert.throws(() => r('{{ 1|round(0, "up") }}'), /method must be/);
  });
});

describe('built-in filters: sequences', () => {
  const users = [
    { name: 'bob', age: 30, role: 'dev' },
    { name: 'Alice', age: 25, role: 'ops' },
    { name: 'carol', age: 35, role: 'dev' },
  ];

  it('length, first, last, list, join, reverse, sort, unique', () => {
    assert.equal(r('{{ d|length }} {{ m|length }} {{ none|length }} {{ "abc"|list|join("-") }}', { d: { a: 1, b: 2 }, m: new Map([[1, 1]]) }), '2 1 0 a-b-c');
    assert.equal(r('{{ users|sort(attribute="name")|join(",", attribute="name") }} {{ users|sort(attribute="name", case_sensitive=true)|map(attribute="name")|first }}', { users }), 'Alice,bob,carol Alice');
    assert.equal(r('{{ users|sort(attribute="age", reverse=true)|map(attribute="age")|join }} {{ ["a", "A", "b"]|unique|join }}', { users }), '353025 ab');
    assert.equal(r('{{ [3, 1]|sort|first }} {{ xs|reverse|join }} {{ xs|join }}', { xs: [1, 2] }), '1 21 12');
  });

  // Expected strings: what Jinja 3.1 prints.
  it('sort by several comma-separated attributes (names not trimmed, as Jinja), dotted paths included', () => {
    const rows = [
      { x: 1, y: 'B', n: 'a', u: [1] },
      { x: 1, y: 'a', n: 'b', u: [1] },
      { x: 0, y: 'c', n: 'c', u: [0] },
    ];
    assert.equal(r('{{ rows|sort(attribute="x,y")|map(attribute="n")|join }}', { rows }), 'cba');
    assert.equal(r('{{ rows|sort(attribute="x,y", reverse=true)|map(attribute="n")|join }}', { rows }), 'abc');
    assert.equal(r('{{ rows|sort(attribute="x,y", case_sensitive=true)|map(attribute="n")|join }}', { rows }), 'cab');
    assert.equal(r('{{ rows|sort(attribute="u.0,n")|map(attribute="n")|join }}', { rows }), 'cab');
    assert.equal(r('{{ rows|sort(attribute="x, y")|map(attribute="n")|join }}', { rows }), 'cab');
  });

  it('sort and dictsort in reverse keep equal items in their order, as sorted(reverse=True) does', () => {
    const rows = [
      { x: 1, n: 'a' },
      { x: 1, n: 'b' },
      { x: 0, n: 'c' },
      { x: 2, n: 'd' },
    ];
    assert.equal(r('{{ rows|sort(attribute="x", reverse=true)|map(attribute="n")|join }} {{ ["b", "A", "a", "B"]|sort(reverse=true)|join }}', { rows }), 'dabc bBAa');
    assert.equal(r('{{ d|dictsort(by="value", reverse=true) }}', { d: { a: 1, b: 1, c: 0 } }), '[(&#39;a&#39;, 1), (&#39;b&#39;, 1), (&#39;c&#39;, 0)]');
    assert.throws(() => r('{{ d|dictsort(by="val") }}', { d: {} }), /you can only sort by either "key" or "value"/);
  });

  it('map, select, reject, selectattr, rejectattr', () => {
    assert.equal(r('{{ ["a", "b"]|map("upper")|join }} {{ users|map(attribute="nick", default="?")|join }}', { users }), 'AB ???');
    assert.equal(r('{{ [1, 2, 3, 4, 5]|select("divisibleby", 2)|join }} {{ [0, 1, "", "x"]|select|list|length }} {{ [1, 2, 3]|reject("lt", 2)|join }}'), '24 2 23');
    assert.equal(r('{{ users|selectattr("role", "eq", "dev")|map(attribute="name")|join }} {{ users|rejectattr("age", "gt", 26)|map(attribute="name")|join }}', { users }), 'bobcarol Alice');
  });

  it('groupby, dictsort, items, batch, slice, attr', () => {
    assert.equal(r('{% for role, people in users|groupby("role") %}{{ role }}={{ people|map(attribute="name")|join("+") }};{% endfor %}', { users }), 'dev=bob+carol;ops=Alice;');
    assert.equal(r('{% for g in users|groupby("role") %}{{ g.grouper }}:{{ g.list|length }} {% endfor %}', { users }), 'dev:2 ops:1 ');
    assert.equal(r('{{ d|dictsort(by="value")|join("|") }} {{ d|dictsort(reverse=true)|first|first }} {{ d|items|length }}', { d: { b: 1, a: 2 } }), '(&#39;b&#39;, 1)|(&#39;a&#39;, 2) b 2');
    assert.equal(r('{% for row in [1, 2, 3, 4, 5]|batch(2, "-") %}[{{ row|join }}]{% endfor %} {% for col in [1, 2, 3, 4, 5]|slice(2) %}[{{ col|join }}]{% endfor %}'), '[12][34][5-] [123][45]');
    assert.equal(r('{{ u|attr("name") }}', { u: users[0] }), 'bob');
  });

  it('attr gives methods bound to their object, as Jinja gives bound methods', () => {
    const context = { d: { a: 1 }, l: [1, 2, 3], u: { n: 'U', me(this: { n: string }) { return this.n; } } };
    assert.equal(
      r(`{{ ('ab'|attr('upper'))() }} {{ ('a,b'|attr('split'))(',')|join('+') }} {{ (l|attr('index'))(2) }} {{ (d|attr('get'))('z', 5) }} {{ (d|attr('items'))()|list|length }} {{ (u|attr('me'))() }}`, context),
      'AB a+b 1 5 1 U',
    );
    assert.equal(r(`{{ ('{}-{x}'|attr('format'))(1, x=2) }} {{ 'ab'|attr('upper') is callable }} {{ 'ab'|attr('nope') is defined }} {{ 'ab'|attr('length') }}`), '1-2 true false 2');
    // The sandbox still stands between a template and what the method reaches.
    assert.throws(() => r(`{{ (u|attr('constructor'))('return 1')() }}`, context), { code: 'ERR_TEMPLATE_SANDBOX' });
    assert.throws(() => r(`{{ (l|attr('__proto__')) }}`, context), { code: 'ERR_TEMPLATE_SANDBOX' });
  });

  it('default, d, and the boolean flag', () => {
    assert.equal(r('{{ x|d("-") }} {{ none|default("-") }} {{ none|default("-", true) }} {{ 0|default("-", boolean=true) }} {{ [] |default("empty", true) }}'), '-  - - empty');
  });
});

describe('built-in filters: date', () => {
  const when = new Date(Date.UTC(2024, 1, 29, 7, 5, 9, 120));
  it('formats Dates, milliseconds and ISO strings with strftime directives, in the engine time zone', () => {
    assert.equal(r('{{ d|date }} {{ d|date("%H:%M:%S") }} {{ ms|date("%Y/%m/%d") }} {{ iso|date("%d %B %Y") }}', { d: when, ms: when.getTime(), iso: '2024-02-29T07:05:09Z' }), '2024-02-29 07:05:09 2024/02/29 29 February 2024');
    assert.equal(r('{{ d|date("%I:%M %p %Z", "America/New_York") }} {{ d|strftime("%a %j") }}', { d: when }), '02:05 AM EST Thu 060');
    const paris = new TemplateEngine({ timezone: 'Europe/Paris' });
    assert.equal(paris.renderString('{{ d|date("%H:%M %z") }}', { d: when }), '08:05 +0100');
    assert.equal(r('[{{ none|date }}]'), '[]');
    assert.throws(() => r('{{ "not a date"|date }}'), /is not a date/);
  });
});
