// Adversarial templates: the known Nunjucks and Jinja escape payloads, and attempts to inject
// JavaScript into the generated code. None may reach a constructor, a prototype, `process`,
// `require` or `globalThis`, and none may run code of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateEngine, TemplateError } from '../../../src/templates/index.js';

const templates = new TemplateEngine({ directory: [] });

function refuses(source: string, context: object = {}, code: string | RegExp = 'ERR_TEMPLATE_SANDBOX'): void {
  assert.throws(
    () => templates.renderString(source, context),
    (err: unknown) => {
      assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
      if (typeof code === 'string') assert.equal(err.code, code, `${source}: ${err.message}`);
      else assert.match(err.code, code);
      return true;
    },
    source,
  );
}

/** A payload that must neither throw a non-template error nor print anything dangerous. */
function harmless(source: string, context: object = {}): void {
  let out = '';
  try {
    out = templates.renderString(source, context);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `${source}: ${String(err)}`);
    return;
  }
  assert.doesNotMatch(out, /function|native code|\[object process\]|uid=/, source);
}

describe('sandbox: constructors and prototypes', () => {
  it('refuses the Nunjucks RCE payload range.constructor("return process")()', () => {
    refuses('{{ range.constructor("return global.process.mainModule.require(\'child_process\').execSync(\'id\')")() }}');
    refuses('{{ cycler.constructor("return process")() }}');
    refuses('{{ joiner.constructor.constructor("return this")() }}');
  });

  it('refuses constructor, __proto__ and prototype on every kind of value', () => {
    const context = { obj: {}, arr: [], str: 's', num: 1, fn: () => 1, cls: class {} };
    for (const v of ['obj', 'arr', 'str', 'num', 'fn', 'cls', '"literal"', '[]', '{}', '1']) {
      for (const name of ['constructor', '__proto__', 'prototype', '__defineGetter__', '__lookupGetter__', '__defineSetter__', '__lookupSetter__']) {
        refuses(`{{ ${v}.${name} }}`, context);
        refuses(`{{ ${v}["${name}"] }}`, context);
        refuses(`{{ ${v}.${name}() }}`, context);
      }
    }
  });

  it('refuses computed keys that spell constructor: concatenation, Markup, variables', () => {
    refuses('{{ x["con" ~ "structor"] }}', { x: {} });
    refuses('{{ x[k] }}', { x: {}, k: 'constructor' });
    refuses('{{ x[k|safe] }}', { x: {}, k: 'prototype' });
    refuses('{{ x["__proto__"]["polluted"] }}', { x: {} });
  });

  it('finds no item under a list or dict key, whose JavaScript string form could spell a name (Jinja: unhashable)', () => {
    assert.equal(templates.renderString('[{{ x[["constructor"]] }}][{{ x[k] }}][{{ x[k] is defined }}][{{ x[{}] }}]', { x: {}, k: ['__proto__'] }), '[][][false][]');
    assert.equal(templates.renderString('{{ x[["a"]] }}', { x: { a: 1, "['a']": 2 } }), '');
    assert.throws(() => new TemplateEngine({ strict: true }).renderString('{{ x[["constructor"]] }}', { x: {} }), { code: 'ERR_TEMPLATE_UNDEFINED' });
  });

  it('refuses the attribute-taking filters as a way round: attr, map, sort, join, selectattr, groupby', () => {
    refuses('{{ x|attr("constructor") }}', { x: {} });
    refuses('{{ xs|map(attribute="constructor")|list }}', { xs: [{}] });
    refuses('{{ xs|sort(attribute="__proto__")|list }}', { xs: [{}, {}] });
    refuses('{{ xs|join(",", "constructor") }}', { xs: [{}] });
    refuses('{{ xs|selectattr("constructor")|list }}', { xs: [{}] });
    refuses('{{ xs|groupby("__proto__")|list }}', { xs: [{}] });
    refuses('{{ xs|sum(attribute="constructor") }}', { xs: [{}] });
  });

  it('refuses call, apply, bind, caller and toString on functions', () => {
    const context = { fn: (x: unknown) => x, obj: { m() { return 1; } } };
    for (const name of ['call', 'apply', 'bind', 'caller', 'arguments', 'toString', 'name.constructor']) {
      refuses(`{{ fn.${name} }}`, context);
    }
    refuses('{{ obj.m.call(none) }}', context);
    refuses('{{ "".concat.call }}');
    refuses('{{ [].map.bind }}');
  });

  it('cannot assign attributes except on namespace(), and never __proto__', () => {
    refuses('{% set ns = namespace() %}{% set ns.__proto__ = 1 %}');
    refuses('{% set ns = namespace() %}{% set ns.constructor = 1 %}');
    assert.throws(() => templates.renderString('{% set d = {} %}{% set d.x = 1 %}'), { code: 'ERR_TEMPLATE_RUNTIME' });
    assert.equal(templates.renderString('{% set d = dict(__proto__=1) %}{{ d.polluted }}{{ {}.polluted }}'), '');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('sandbox: process, require and globalThis', () => {
  it('has no process, require, globalThis, global, module or eval to find by name', () => {
    for (const name of ['process', 'require', 'globalThis', 'global', 'module', 'exports', 'eval', 'Function', 'this', 'window', 'Buffer', 'import']) {
      assert.equal(templates.renderString(`{{ ${name} }}`), '', name);
      refuses(`{{ ${name}() }}`, {}, 'ERR_TEMPLATE_RUNTIME');
    }
  });

  it('refuses to look into or call the global objects even when the application passes them', () => {
    refuses('{{ p.env }}', { p: process });
    refuses('{{ p.exit(1) }}', { p: process });
    refuses('{{ p.mainModule }}', { p: process });
    refuses('{{ g.process }}', { g: globalThis });
    refuses('{{ g["process"] }}', { g: globalThis });
    refuses('{{ holder.p.env.HOME }}', { holder: { p: process } });
    refuses('{% for k in g %}{{ k }}{% endfor %}', { g: globalThis });
    refuses('{{ f("return process")() }}', { f: Function });
    refuses('{{ e("1+1") }}', { e: eval });
    refuses('{{ t(f, 0) }}', { t: setTimeout, f: () => 1 });
    refuses('{{ o.getPrototypeOf(x) }}', { o: Object, x: {} });
    refuses('{{ r.apply(f, none, []) }}', { r: Reflect, f: () => 1 });
    refuses('{{ leak() }}', { leak: () => globalThis });
    refuses('{{ leak().env }}', { leak: () => process });
  });

  it('survives the classic Jinja SSTI payloads without reaching anything', () => {
    for (const payload of [
      "{{ ''.__class__.__mro__[1].__subclasses__() }}",
      "{{ ''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read() }}",
      "{{ config.__class__.__init__.__globals__['os'].popen('id').read() }}",
      "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
      "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
      "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
      "{{ lipsum.__globals__['os'].popen('id').read() }}",
      "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
      "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
      "{{ range.__call__ }}",
      '{{ [].slice.constructor }}',
      '{{ "x".sub.call.call }}',
      '{{ x.valueOf().constructor }}',
      '{{ x.hasOwnProperty.constructor("return process")() }}',
      '{{ x.toString.constructor }}',
    ]) {
      harmless(payload, { x: {} });
    }
  });
});

describe('sandbox: template source never becomes code', () => {
  it('keeps quotes, backslashes, backticks and line separators inside string literals', () => {
    const nasty = [
      '"); globalThis.pwned = 1; ("',
      "'); globalThis.pwned = 1; ('",
      '`${globalThis.pwned = 1}`',
      '\\"); globalThis.pwned = 1; //',
      '\u2028globalThis.pwned = 1\u2029',
      '</script><script>globalThis.pwned = 1</script>',
      '*/ globalThis.pwned = 1; /*',
    ];
    for (const s of nasty) {
      const quoted = JSON.stringify(s);
      const out = templates.renderString(`{{ ${quoted} }}|{% set v = ${quoted} %}{{ v }}|{{ {${quoted}: 1}|list|first }}`, {}, { autoescape: false });
      assert.equal(out, `${s}|${s}|${s}`);
      templates.renderString(`${s}{# ${s.replace(/#}/g, '')} #}{% raw %}${s}{% endraw %}`);
    }
    assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
  });

  it('treats names that are JavaScript keywords or runtime identifiers as plain variables', () => {
    const context = { out: 'O', c: 'C', s: 'S', rt: 'RT', F: 'F', p: 'P', b: 'B', v1: 'V', t1: 'T', function: 'FN', return: 'R', let: 'L', await: 'A', yield: 'Y', arguments: 'ARGS' };
    const names = Object.keys(context);
    const source = names.map((n) => `{{ ${n} }}{% set ${n} = ${n} ~ "!" %}{{ ${n} }}`).join(',');
    const expected = names.map((n) => `${(context as Record<string, string>)[n]}${(context as Record<string, string>)[n]}!`).join(',');
    assert.equal(templates.renderString(source, context), expected);
    assert.equal(templates.renderString('{% for out in [1, 2] %}{{ out }}{% endfor %}{% macro return(c) %}{{ c }}{% endmacro %}{{ return(3) }}'), '123');
  });

  it('refuses template and block names that try to break out, and numbers that are not numbers', () => {
    assert.throws(() => templates.renderString('{% include "a\\"); globalThis.pwned = (1" %}'), TemplateError);
    assert.throws(() => templates.renderString('{% block a-b %}{% endblock %}'), { code: 'ERR_TEMPLATE_SYNTAX' });
    // Python's prefixed literals are numbers (as in Jinja); a prefix without digits is not.
    assert.equal(templates.renderString('{{ 0x10 }}'), '16');
    assert.throws(() => templates.renderString('{{ 0x }}'), { code: 'ERR_TEMPLATE_SYNTAX' });
    assert.throws(() => templates.renderString('{{ 0xg1 }}'), { code: 'ERR_TEMPLATE_SYNTAX' });
    assert.equal(templates.renderString('{{ 1e999 }} {{ 1.5e3 }}', {}), 'Infinity 1500');
    assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
  });

  it('names filters and tests only from the registry', () => {
    assert.throws(() => templates.renderString('{{ x|constructor }}'), { code: 'ERR_TEMPLATE_USAGE' });
    assert.throws(() => templates.renderString('{{ x|__proto__ }}'), { code: 'ERR_TEMPLATE_USAGE' });
    assert.throws(() => templates.renderString('{{ x is constructor }}'), { code: 'ERR_TEMPLATE_USAGE' });
    assert.throws(() => templates.renderString('{{ x is toString }}'), { code: 'ERR_TEMPLATE_USAGE' });
  });
});

describe('sandbox: resource limits', () => {
  it('bounds range() and string or list repetition', () => {
    refuses('{{ range(100000000)|length }}');
    refuses('{{ "x" * 100000000 }}');
    refuses('{{ [1, 2] * 100000000 }}');
    assert.equal(templates.renderString('{{ range(3)|join }} {{ "ab" * 2 }} {{ ([0] * 3)|join }}'), '012 abab 000');
  });

  it('caps strings and lists grown in a loop at 10 million before building them (V8 would abort the process)', () => {
    const limited = (source: string, reason: string) =>
      assert.throws(() => templates.renderString(source), (err: unknown) => {
        assert.ok(err instanceof TemplateError, String(err));
        assert.equal(err.code, 'ERR_TEMPLATE_SANDBOX', err.message);
        assert.equal(err.reason, reason);
        return true;
      });
    const doubling = (init: string, body: string) =>
      `{% set ns = namespace(s=${init}) %}{% for i in range(40) %}{% set ns.s = ${body} %}{% endfor %}{{ ns.s|length }}`;
    const chars = 'longer than 10000000 characters';
    limited(doubling('[1]', 'ns.s + ns.s'), 'list concatenation longer than 10000000 items');
    limited(doubling('[1]', 'ns.s * 2'), 'list repetition longer than 10000000 items');
    limited(doubling('[1]', 'ns.s.concat(ns.s)'), 'list concatenation longer than 10000000 items');
    limited('{% set ns = namespace(l=[1]) %}{% for i in range(30) %}{% do ns.l.extend(ns.l) %}{% endfor %}', 'extended list longer than 10000000 items');
    limited(doubling('"xx"', 'ns.s|replace("x", "xx")'), `replace result ${chars}`);
    limited(doubling('"xx"', 'ns.s.replace("x", "xx")'), `replace result ${chars}`);
    limited(doubling('"xx"', '"%s%s"|format(ns.s, ns.s)'), `format result ${chars}`);
    limited(doubling('"xx"', '"%s%s" % (ns.s, ns.s)'), `format result ${chars}`);
    limited(doubling('"xx"', '"{}{}".format(ns.s, ns.s)'), `format result ${chars}`);
    limited(doubling('"xx"', 'ns.s ~ ns.s'), `string concatenation ${chars}`);
    limited(doubling('"xx"', 'ns.s + ns.s'), `string concatenation ${chars}`);
    limited(doubling('"xx"', '[ns.s, ns.s]|join'), `join result ${chars}`);
    limited(doubling('"xx"', 'ns.s.join([ns.s, ns.s])'), `join result ${chars}`);
    limited(doubling('"xx"', 'ns.s.concat(ns.s)'), `'concat' result ${chars}`);
    limited(doubling('"\'"', 'ns.s|pprint'), `pprint result ${chars}`);
    limited(doubling('"x"', 'ns.s|tojson'), `tojson result ${chars}`);
    limited('{% macro m(s, n) %}{% if n %}{{ m(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ m("x", 60) }}', `string concatenation ${chars}`);
    // JavaScript's own methods and the padding conversions, each past the limit at once.
    limited('{{ "ab".repeat(100000000) }}', `string repetition ${chars}`);
    limited('{{ "ab".padStart(100000000) }}', `padded string ${chars}`);
    limited('{{ "ab".padEnd(100000000, "x") }}', `padded string ${chars}`);
    limited('{{ ("x" * 9000000).replaceAll("x", "$`") }}', `replace result ${chars}`);
    limited('{{ "%100000000s"|format("x") }}', `format result ${chars}`);
    limited('{{ "%.100000000f" % 1 }}', `format result ${chars}`);
    limited('{{ ("x\n" * 100)|indent(1000000) }}', `indent result ${chars}`);
    limited('{{ ("x " * 100)|wordwrap(1, wrapstring="y" * 1000000) }}', `wordwrap result ${chars}`);
    // One long string many times in a list: printing, tojson and join refuse before copying it.
    limited('{{ ["x" * 9000000] * 1000 }}', `repr ${chars}`);
    limited('{{ (["x" * 9000000] * 1000)|tojson }}', `tojson result ${chars}`);
    limited('{{ (["x" * 9000000] * 1000)|join }}', `join result ${chars}`);
    // Below the limits all of these still work.
    assert.equal(
      templates.renderString('{{ ([1] + [2])|join }} {{ "a" + "b" }} {{ "xx"|replace("x", "yy") }} {{ "ab".repeat(2) }} {{ "%3s"|format("a") }} {{ "{}-{}".format(1, 2) }}'),
      '12 ab yyyy abab   a 1-2',
    );
  });

  it('stops a render past maxLoopIterations (default 10 million) loop iterations and macro calls', () => {
    const reason = (n: number) => `more than ${n} loop iterations and macro calls in one render (maxLoopIterations)`;
    // Three nested range(100000) loops would block the event loop for days.
    const nested = '{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}';
    assert.throws(() => templates.renderString(nested), { code: 'ERR_TEMPLATE_SANDBOX', reason: reason(10_000_000) });
    const small = new TemplateEngine({ directory: [], maxLoopIterations: 5 });
    assert.equal(small.renderString('{% for i in range(5) %}{{ i }}{% endfor %}'), '01234');
    // Per render, not per engine: the same template renders again.
    assert.equal(small.renderString('{% for i in range(5) %}{{ i }}{% endfor %}'), '01234');
    for (const source of [
      '{% for i in range(6) %}{% endfor %}',
      '{% for i in range(3) %}{% endfor %}{% for i in range(3) %}{% endfor %}',
      '{% for i in range(3) if i > 5 %}{% endfor %}{% for i in range(3) %}{% endfor %}',
      '{% macro m() %}{% endmacro %}{% for i in range(3) %}{{ m() }}{% endfor %}',
    ])
      assert.throws(() => small.renderString(source), { code: 'ERR_TEMPLATE_SANDBOX', reason: reason(5) }, source);
  });

  it('stops recursive macros, includes and extends with ERR_TEMPLATE_RECURSION', () => {
    const t = new TemplateEngine({
      directory: [],
      maxDepth: 20,
      templates: { 'self.html': '{% include "self.html" %}', 'a.html': '{% extends "b.html" %}', 'b.html': '{% extends "a.html" %}', 'imp.html': '{% import "imp.html" as m %}' },
    });
    refuses('{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}', {}, /RECURSION/);
    for (const name of ['self.html', 'a.html', 'imp.html']) {
      assert.throws(() => t.renderToString(name), (err: unknown) => err instanceof TemplateError && err.code === 'ERR_TEMPLATE_RECURSION' && /→/.test(err.message));
    }
  });

  it('refuses absurdly nested expressions at parse time instead of overflowing the stack', () => {
    assert.throws(() => templates.renderString(`{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`), { code: 'ERR_TEMPLATE_SYNTAX' });
    assert.throws(() => templates.renderString(`{{ ${'-'.repeat(5000)}1 }}`), { code: 'ERR_TEMPLATE_SYNTAX' });
    assert.throws(() => templates.renderString(`${'{% if true %}'.repeat(5000)}${'{% endif %}'.repeat(5000)}`), { code: 'ERR_TEMPLATE_SYNTAX' });
    assert.throws(() => templates.renderString(`{{ ${'not '.repeat(5000)}1 }}`), { code: 'ERR_TEMPLATE_SYNTAX' });
    // Long operator chains compile up to the stack's limit, then fail as a TemplateError.
    assert.equal(templates.renderString(`{{ ${Array.from({ length: 500 }, () => '1').join(' + ')} }}`), '500');
    assert.throws(() => templates.renderString(`{{ ${Array.from({ length: 20000 }, () => '1').join(' + ')} }}`), { code: 'ERR_TEMPLATE_SYNTAX' });
  });
});
