import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { Response } from '../../../src/response.js';
import { Markup, TemplateEngine, TemplateError } from '../../../src/templates/index.js';
import { TestClient } from '../../../src/testing/index.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'covet-templates-'));
  writeFileSync(join(dir, 'hello.html'), 'Hello {{ name }}!');
  writeFileSync(join(dir, 'hello.txt'), 'Hello {{ name }}!');
  writeFileSync(join(dir, 'feed.xml'), '<t>{{ name }}</t>');
  writeFileSync(join(dir, 'err.html'), 'line one\nline two {{ user.name.upper() }}\n{{ boom() }}\n');
  writeFileSync(join(dir, 'syntax.html'), '<p>\n  {% if x %}\n  {% endfor %}\n</p>');
  writeFileSync(join(dir, 'layout.html'), '<main>{% block body %}{% endblock %}</main>');
  writeFileSync(join(dir, 'child.html'), '{% extends "layout.html" %}{% block body %}{{ broken.x.y() }}{% endblock %}');
  writeFileSync(join(dir, 'rows.html'), '<ul>{% for r in rows %}<li>{{ r }}</li>{% endfor %}</ul>');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('TemplateEngine.render', () => {
  it('returns an HTML Response with status and headers', () => {
    const t = new TemplateEngine({ directory: dir });
    const res = t.render('hello.html', { name: '<W>' });
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.body, 'Hello &lt;W&gt;!');
    const custom = t.render('hello.html', { name: 'x' }, { status: 404, headers: { 'x-extra': '1' } });
    assert.equal(custom.status, 404);
    assert.equal(custom.headers.get('x-extra'), '1');
  });

  it('serves through a route, in process', async () => {
    const t = new TemplateEngine({ directory: dir });
    const app = new CovetApp();
    app.route('/hello/{name}', async (req) => t.render('hello.html', { name: req.params.name }));
    app.route('/async', async () => t.renderAsync('hello.html', { name: Promise.resolve('later') }));
    await using client = new TestClient(app);
    assert.equal((await client.get('/hello/%3Cb%3E')).text, 'Hello &lt;b&gt;!');
    assert.equal((await client.get('/async')).text, 'Hello later!');
  });

  it('autoescapes .html, .htm and .xml, not other files', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.equal(t.renderToString('hello.txt', { name: '<b>' }), 'Hello <b>!');
    assert.equal(t.renderToString('feed.xml', { name: '<b>' }), '<t>&lt;b&gt;</t>');
    const off = new TemplateEngine({ directory: dir, autoescape: false });
    assert.equal(off.renderToString('hello.html', { name: '<b>' }), 'Hello <b>!');
    const byFn = new TemplateEngine({ directory: dir, autoescape: (name) => name.endsWith('.txt') });
    assert.equal(byFn.renderToString('hello.txt', { name: '<b>' }), 'Hello &lt;b&gt;!');
  });

  it('lets Markup and |safe through autoescape', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.equal(t.renderToString('hello.html', { name: new Markup('<b>ok</b>') }), 'Hello <b>ok</b>!');
    assert.equal(t.renderString('{{ x|safe }}{{ x }}', { x: '<i>' }), '<i>&lt;i&gt;');
  });

  it('escapes what string methods of safe values splice in, as MarkupSafe does (replace, format with keywords, join, split)', () => {
    const t = new TemplateEngine({ directory: [] });
    const u = '<script>alert(1)</script>';
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
    assert.equal(t.renderString('{% macro card() %}<b>NAME</b>{% endmacro %}{{ card().replace("NAME", u) }}', { u }), `<b>${escaped}</b>`);
    assert.equal(t.renderString('{% set tpl %}<b>NAME</b>{% endset %}{{ tpl.replace("NAME", u) }}', { u }), `<b>${escaped}</b>`);
    assert.equal(t.renderString('{{ ("<b>{}</b>"|safe).format(u) }}', { u }), `<b>${escaped}</b>`);
    assert.equal(t.renderString('{{ ("<b>{n}</b>"|safe).format(n=u) }}|{{ ("<b>{n}</b>"|safe).format(n=u|safe) }}', { u }), `<b>${escaped}</b>|<b>${u}</b>`);
    assert.equal(t.renderString('{{ ("<br>"|safe).join([u, "x"]) }}', { u }), `${escaped}<br>x`);
    // Safe in, safe out: the parts of a split safe string are not escaped again.
    assert.equal(t.renderString('{% for p in ("<b>a</b>,<i>b</i>"|safe).split(",") %}{{ p }}{% endfor %} {{ ("<b>x</b>"|safe).upper() }}'), '<b>a</b><i>b</i> <B>X</B>');
    assert.equal(t.renderString('{{ "<b>{n}</b>".format(n=u) }}', { u }), `&lt;b&gt;${escaped}&lt;/b&gt;`);
  });
});

describe('TemplateEngine.renderString', () => {
  it('returns a string, escaped by default', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.equal(t.renderString('{{ a }}', { a: '<' }), '&lt;');
    assert.equal(t.renderString('{{ a }}', { a: '<' }, { autoescape: false }), '<');
  });

  it('renders undefined variables empty, or throws with strict: true', () => {
    assert.equal(new TemplateEngine().renderString('[{{ nope }}][{{ nope.deeper.still }}]'), '[][]');
    const strict = new TemplateEngine({ strict: true });
    assert.throws(() => strict.renderString('{{ nope }}'), (e: unknown) => e instanceof TemplateError && e.code === 'ERR_TEMPLATE_UNDEFINED' && e.line === 1 && e.column === 4);
    assert.throws(() => strict.renderString('{{ u.nope }}', { u: {} }), { code: 'ERR_TEMPLATE_UNDEFINED' });
    assert.throws(() => strict.renderString('{{ u["nope"] }}', { u: {} }), { code: 'ERR_TEMPLATE_UNDEFINED' });
    assert.throws(() => strict.renderString('{% if nope %}{% endif %}'), { code: 'ERR_TEMPLATE_UNDEFINED' });
    assert.equal(strict.renderString('{{ nope is defined }} {{ nope|default("d") }} {{ u.x is defined }} {{ u.name }} {{ n }}', { u: { name: 'N' }, n: null }), 'false d false N ');
  });

  it('with strict: true, a macro parameter the call did not pass is an error where it is used, as in Jinja', () => {
    const strict = new TemplateEngine({ directory: [], strict: true });
    assert.throws(() => strict.renderString('{% macro greet(name) %}Hello {{ name }}!{% endmacro %}{{ greet() }}'), {
      code: 'ERR_TEMPLATE_UNDEFINED',
      reason: "parameter 'name' was not provided",
    });
    assert.throws(() => strict.renderString('{% macro greet(name) %}{{ name.upper() }}{% endmacro %}{{ greet() }}'), {
      code: 'ERR_TEMPLATE_UNDEFINED',
      reason: "parameter 'name' was not provided",
    });
    // Passed by position or keyword, tested with `is defined`, or given a default, it is fine.
    assert.equal(
      strict.renderString('{% macro greet(name, x=1) %}{{ name is defined }}{{ name|default("-") }}{{ x }}{% endmacro %}{{ greet("a") }} {{ greet(name="b") }} {{ greet() }}'),
      'truea1 trueb1 false-1',
    );
    // Not strict: it renders empty, as before.
    assert.equal(new TemplateEngine({ directory: [] }).renderString('{% macro greet(name) %}Hello {{ name }}!{% endmacro %}{{ greet() }}'), 'Hello !');
  });

  it('refuses a Promise in a synchronous render and awaits it in the async ones', async () => {
    const t = new TemplateEngine({ directory: dir });
    assert.throws(() => t.renderString('{{ x }}', { x: Promise.resolve(1) }), { code: 'ERR_TEMPLATE_USAGE' });
    assert.equal(await t.renderStringAsync('{{ x }} {{ y.z }} {{ w }}', { x: Promise.resolve(1), y: Promise.resolve({ z: '<' }), w: 'plain' }), '1 &lt; plain');
    const res = await t.renderAsync('hello.html', { name: (async () => 'A')() });
    assert.equal(res.body, 'Hello A!');
  });

  it('caches compiled sources and keeps the cache bounded', () => {
    const t = new TemplateEngine({ stringCacheSize: 2 });
    for (let i = 0; i < 10; i++) assert.equal(t.renderString(`${i}{{ x }}`, { x: i }), `${i}${i}`);
    assert.equal(t.renderString('0{{ x }}', { x: 'again' }), '0again');
  });
});

describe('TemplateEngine.stream and renderStream', () => {
  it('yields the page in several chunks and awaits context Promises', async () => {
    const t = new TemplateEngine({ directory: dir });
    const rows = Array.from({ length: 5000 }, (_, i) => `row ${i} <x>`);
    const chunks: string[] = [];
    for await (const chunk of t.stream('rows.html', { rows: Promise.resolve(rows) })) chunks.push(chunk);
    assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
    assert.equal(chunks.join(''), t.renderToString('rows.html', { rows }));
  });

  it('streams inheritance, includes and super() in order', async () => {
    const t = new TemplateEngine({
      templates: {
        'base.html': 'A{% block b %}base{% endblock %}Z',
        'page.html': '{% extends "base.html" %}{% block b %}[{{ super() }}{% include "inc.html" %}{% for i in range(3) %}{{ i }}{% endfor %}]{% endblock %}',
        'inc.html': '<inc>',
      },
    });
    let out = '';
    for await (const chunk of t.stream('page.html')) out += chunk;
    assert.equal(out, 'A[base<inc>012]Z');
    assert.equal(out, t.renderToString('page.html'));
  });

  it('renderStream returns a streamed HTML Response; missing templates throw before it', async () => {
    const t = new TemplateEngine({ directory: dir });
    const res = t.renderStream('rows.html', { rows: ['a'] }, { status: 201 });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.throws(() => t.renderStream('missing.html'), { code: 'ERR_TEMPLATE_NOT_FOUND' });
    const app = new CovetApp();
    app.route('/big', async () => t.renderStream('rows.html', { rows: Array.from({ length: 3000 }, (_, i) => i) }));
    await using client = new TestClient(app);
    const got = await client.get('/big');
    assert.equal(got.status, 200);
    assert.match(got.text, /^<ul><li>0<\/li>.*<li>2999<\/li><\/ul>$/);
  });

  it('reports a runtime error in a stream with its location', async () => {
    const t = new TemplateEngine({ directory: dir });
    await assert.rejects(
      async () => {
        for await (const _ of t.stream('child.html', { broken: {} })) void _;
      },
      (e: unknown) => e instanceof TemplateError && e.template === 'child.html' && e.line === 1,
    );
  });
});

describe('TemplateEngine errors', () => {
  it('names the file, line and column of a syntax error, with a snippet', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.throws(
      () => t.renderToString('syntax.html'),
      (e: unknown) => {
        assert.ok(e instanceof TemplateError);
        assert.equal(e.code, 'ERR_TEMPLATE_SYNTAX');
        assert.equal(e.template, 'syntax.html');
        assert.equal(e.line, 3);
        assert.equal(e.column, 6);
        assert.match(e.message, /^syntax\.html:3:6: unexpected '\{% endfor %\}'/);
        assert.equal(e.snippet, '  1 | <p>\n  2 |   {% if x %}\n> 3 |   {% endfor %}\n    |      ^');
        return true;
      },
    );
  });

  it('names the file, line and column of a runtime error, and keeps the cause', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.throws(
      () => t.renderToString('err.html', { user: {} }),
      (e: unknown) => e instanceof TemplateError && e.template === 'err.html' && e.line === 2 && e.column === 'line two {{ user.name.'.length + 1 && /has no method 'upper'/.test(e.message),
    );
    const cause = new Error('boom');
    assert.throws(
      () =>
        t.renderToString('err.html', {
          user: { name: 'n' },
          boom: () => {
            throw cause;
          },
        }),
      (e: unknown) => e instanceof TemplateError && e.code === 'ERR_TEMPLATE_RUNTIME' && e.line === 3 && e.cause === cause && /> 3 \| \{\{ boom\(\) \}\}/.test(e.message),
    );
  });

  it('points into the template where the error happened, not the one that included it', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.throws(() => t.renderString('x\n{% include "child.html" %}', { broken: {} }), (e: unknown) => e instanceof TemplateError && e.template === 'child.html' && e.column === '{% extends "layout.html" %}{% block body %}{{ broken.x.'.length + 1);
  });

  it('throws ERR_TEMPLATE_NOT_FOUND and ERR_TEMPLATE_NAME', () => {
    const t = new TemplateEngine({ directory: dir });
    assert.throws(() => t.render('nope.html'), { code: 'ERR_TEMPLATE_NOT_FOUND' });
    assert.throws(() => t.render('../hello.html'), { code: 'ERR_TEMPLATE_NAME' });
    assert.throws(() => t.renderString('{% include "../../etc/passwd" %}'), { code: 'ERR_TEMPLATE_NAME' });
    assert.equal(t.renderString('[{% include "nope.html" ignore missing %}]'), '[]');
    assert.equal(t.renderString('{% include ["nope.html", "hello.txt"] %}', { name: 'list' }), 'Hello list!');
  });

  it('reports unknown filters and tests at compile time', () => {
    const t = new TemplateEngine();
    assert.throws(() => t.renderString('{{ x|nosuch }}'), (e: unknown) => e instanceof TemplateError && e.code === 'ERR_TEMPLATE_USAGE' && e.column === 6);
    assert.throws(() => t.renderString('{{ x is nosuch }}'), { code: 'ERR_TEMPLATE_USAGE' });
  });
});

describe('TemplateEngine caching', () => {
  it('compiles a file once and keeps using it without debug', () => {
    const file = join(dir, 'cached.html');
    writeFileSync(file, 'v1');
    const t = new TemplateEngine({ directory: dir });
    assert.equal(t.renderToString('cached.html'), 'v1');
    writeFileSync(file, 'v2 changed');
    assert.equal(t.renderToString('cached.html'), 'v1');
    t.clearCache();
    assert.equal(t.renderToString('cached.html'), 'v2 changed');
  });

  it('recompiles a changed file, and a changed parent, in debug mode', () => {
    writeFileSync(join(dir, 'dbg-base.html'), 'base1 {% block b %}{% endblock %}');
    writeFileSync(join(dir, 'dbg.html'), '{% extends "dbg-base.html" %}{% block b %}child1{% endblock %}');
    const t = new TemplateEngine({ directory: dir, debug: true });
    assert.equal(t.renderToString('dbg.html'), 'base1 child1');
    const later = new Date(Date.now() + 10_000);
    writeFileSync(join(dir, 'dbg.html'), '{% extends "dbg-base.html" %}{% block b %}child2{% endblock %}');
    utimesSync(join(dir, 'dbg.html'), later, later);
    assert.equal(t.renderToString('dbg.html'), 'base1 child2');
    writeFileSync(join(dir, 'dbg-base.html'), 'base2 {% block b %}{% endblock %}');
    utimesSync(join(dir, 'dbg-base.html'), later, later);
    assert.equal(t.renderToString('dbg.html'), 'base2 child2');
  });

  it('recompiles after addFilter, so a replaced filter takes effect', () => {
    const t = new TemplateEngine({ templates: { 'f.html': '{{ "a"|shout }}' } });
    t.addFilter('shout', (s: string) => `${s}!`);
    assert.equal(t.renderToString('f.html'), 'a!');
    t.addFilter('shout', (s: string) => `${s}!!`);
    assert.equal(t.renderToString('f.html'), 'a!!');
  });
});

describe('TemplateEngine extension points', () => {
  it('addFilter: positional, colon, keyword (trailing object, or by name with params)', () => {
    const t = new TemplateEngine();
    t.addFilter('wrap', (s: string, left = '[', right = ']') => `${left}${s}${right}`);
    t.addFilter('kw', (s: string, opts?: { sep?: string }) => `${s}${opts?.sep ?? '-'}`);
    t.addFilter('pad', (s: string, width = 5, fill = ' ') => s.padStart(width, fill), { params: ['width', 'fill'] });
    assert.equal(t.renderString('{{ "x"|wrap }} {{ "x"|wrap:"<" }} {{ "x"|wrap("(", ")") }}', {}, { autoescape: false }), '[x] <x] (x)');
    assert.equal(t.renderString('{{ "x"|kw(sep="+") }} {{ "x"|kw }}'), 'x+ x-');
    assert.equal(t.renderString('{{ "7"|pad(fill="0") }} {{ "7"|pad(3, fill="*") }}'), '00007 **7');
    assert.throws(() => t.renderString('{{ "7"|pad(nope=1) }}'), { code: 'ERR_TEMPLATE_USAGE' });
  });

  it('addFilter and addTest functions get plain strings for safe values; the result is escaped unless keepSafe', () => {
    const t = new TemplateEngine({ directory: [] });
    // The contract's own example filter, on every kind of safe value.
    t.addFilter('truncate', (x: string, length = 50) => (x.length > length ? `${x.slice(0, length)}...` : x));
    t.addFilter('kind', (x: unknown) => typeof x);
    t.addFilter('shout', (x: string) => x.toUpperCase());
    t.addFilter('shoutSafe', (x: string) => x.toUpperCase(), { keepSafe: true });
    t.addTest('short', (x: string) => x.length < 4 && x.startsWith('<'));
    const r = (s: string) => t.renderString(s);
    assert.equal(r('{% filter truncate:3 %}abcdef{% endfilter %}'), 'abc...');
    assert.equal(r('{% set body %}abcdef{% endset %}{{ body|truncate:3 }}'), 'abc...');
    assert.equal(r('{% macro m() %}abcdef{% endmacro %}{{ m()|truncate:3 }}'), 'abc...');
    assert.equal(r('{{ "abcdef"|safe|truncate:3 }}'), 'abc...');
    assert.equal(r('{{ "<b>"|safe|kind }} {{ "x"|e|kind }}'), 'string string');
    // A safe value returned unchanged stays safe; a changed one is escaped, unless keepSafe.
    assert.equal(r('{{ "<i>"|safe|truncate }}'), '<i>');
    assert.equal(r('{{ "<b>hi</b>"|safe|shout }}'), '&lt;B&gt;HI&lt;/B&gt;');
    assert.equal(r('{{ "<b>hi</b>"|safe|shoutSafe }} {{ "<b>hi</b>"|shoutSafe }}'), '<B>HI</B> &lt;B&gt;HI&lt;/B&gt;');
    assert.equal(r('{{ ("<i>"|safe) is short }}'), 'true');
  });

  it('addGlobal and the globals option; the render context wins', () => {
    const t = new TemplateEngine({ globals: { site: 'Covet' } });
    t.addGlobal('year', 2026).addGlobal('now', () => 'NOW');
    assert.equal(t.renderString('{{ site }} {{ year }} {{ now() }}'), 'Covet 2026 NOW');
    assert.equal(t.renderString('{{ site }}', { site: 'Mine' }), 'Mine');
  });

  it('addTest and the tests option', () => {
    const t = new TemplateEngine({ tests: { short: (s: string) => s.length < 3 } });
    t.addTest('admin', (u: { role: string }) => u.role === 'admin');
    assert.equal(t.renderString('{{ u is admin }} {{ v is admin }} {{ "ab" is short }} {{ "abc" is not short }}', { u: { role: 'admin' }, v: { role: 'x' } }), 'true false true true');
  });

  it('trimBlocks and lstripBlocks', () => {
    const t = new TemplateEngine({ trimBlocks: true, lstripBlocks: true });
    assert.equal(t.renderString('<ul>\n  {% for i in [1, 2] %}\n  <li>{{ i }}</li>\n  {% endfor %}\n</ul>'), '<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>');
  });
});

describe('streaming and string renders agree', () => {
  it('gives the same output for every kind of statement', async () => {
    const sources = [
      '{% for x in xs %}{{ loop.index }}{% if loop.first %}F{% endif %}{% else %}none{% endfor %}',
      '{% macro m(a) %}<{{ a }}>{% include "inc.html" %}{% endmacro %}{{ m(1) }}{% call m(2) %}c{% endcall %}',
      '{% set s %}{% for x in xs %}{% include "inc.html" %}{% endfor %}{% endset %}[{{ s }}]',
      '{% filter upper %}{% for x in xs %}{{ x }}{% endfor %}{% include "inc.html" %}{% endfilter %}',
      '{% extends "base.html" %}{% block b %}{% for x in xs %}{{ super() }}{{ x }}{% endfor %}{% endblock %}',
      '{% import "macros.html" as m %}{{ m.hi("a") }}{% from "macros.html" import hi %}{{ hi("b") }}',
      '{% for x in xs %}{% block item %}<{{ x }}>{% endblock %}{% endfor %}',
      '{% with y = 2 %}{% include "inc.html" %}{% endwith %}{% include "nope.html" ignore missing %}',
    ];
    const templates: Record<string, string> = {
      'inc.html': '(inc {{ x }}{{ y }})',
      'base.html': 'B[{% block b %}base{% endblock %}]',
      'macros.html': '{% macro hi(n) %}hi {{ n }}{% endmacro %}',
    };
    sources.forEach((s, i) => {
      templates[`t${i}.html`] = s;
    });
    const t = new TemplateEngine({ templates, directory: [] });
    for (let i = 0; i < sources.length; i++) {
      const ctx = { xs: ['a', '<b>'] };
      let streamed = '';
      for await (const chunk of t.stream(`t${i}.html`, ctx)) streamed += chunk;
      assert.equal(streamed, t.renderToString(`t${i}.html`, ctx), sources[i]);
    }
  });
});
