// The expected strings are what Python 3 (and so Jinja 3.1) prints for the same format and values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateEngine } from '../../../src/templates/index.js';
import { percentFormat } from '../../../src/templates/percent-format.js';
import { tuple } from '../../../src/templates/tuple.js';

const t = new TemplateEngine({ directory: [] });
const raw = (source: string, ctx: object = {}) => t.renderString(source, ctx, { autoescape: false });
const html = (source: string, ctx: object = {}) => t.renderString(source, ctx);
const fmt = (f: string, ...values: unknown[]) => percentFormat(f, tuple(values), { text: String });

describe('percentFormat', () => {
  it('formats every conversion with flags, widths and precisions', () => {
    assert.equal(
      fmt('%5.2f|%-5d|%05d|%+d|% d|%x|%#X|%o|%#o|%e|%E|%g|%G|%c|%c|%%', 3.14159, 42, 42, 5, 5, 255, 255, 8, 8, 12345.678, 0.5, 0.0001234, 1e20, 65, 'z'),
      ' 3.14|42   |00042|+5| 5|ff|0XFF|10|0o10|1.234568e+04|5.000000E-01|0.0001234|1E+20|A|z|%',
    );
    assert.equal(fmt('%.3s|%10s|%-10s|%*d|%.*f|%.3d|%+.3d|%#08x', 'abcdef', 'r', 'l', 5, 3, 2, 3.14159, 5, 5, 255), 'abc|         r|l         |    3|3.14|005|+005|0x0000ff');
    assert.equal(fmt('%f|%d|%i|%ld', 1e22, -0.4, 1e20, 5), '10000000000000000000000.000000|0|100000000000000000000|5');
    assert.equal(fmt('%a|%r|%r', 'é', 'é', [1, 'x']), "'\\xe9'|'é'|[1, 'x']");
  });

  it('rounds half to even on exact ties, as Python does', () => {
    assert.equal(
      fmt('%.0f %.0f %.2f %.1f %.0e %.3g %.3g %#g %g %g', 0.5, 2.5, 0.125, 0.25, 2.5, 1234.5, 0.00012345, 1, 100000, 1000000),
      '0 2 0.12 0.2 2e+00 1.23e+03 0.000123 1.00000 100000 1e+06',
    );
  });

  it('takes arguments by key from a dict or a Map', () => {
    assert.equal(percentFormat('%(a)s-%(b)03d', { a: 'x', b: 7 }, { text: String }), 'x-007');
    assert.equal(percentFormat('%(a(b))s', new Map([['a(b)', 1]]), { text: String }), '1');
  });

  it('takes anything but a tuple as one argument', () => {
    assert.equal(percentFormat('%s', [1, 2], { text: (v) => JSON.stringify(v) }), '[1,2]');
    assert.equal(percentFormat('abc', { a: 1 }, { text: String }), 'abc');
  });

  it('raises the errors Python raises', () => {
    for (const [f, values, message] of [
      ['%s %s', tuple([1]), /not enough arguments for format string/],
      ['%s', tuple([1, 2]), /not all arguments converted during string formatting/],
      ['%d', 'x', /%d format: a real number is required, not str/],
      ['%x', 3.5, /%x format: an integer is required, not float/],
      ['%(a)s', {}, /KeyError: 'a'/],
      ['%(a)s', tuple([1]), /format requires a mapping/],
      ['%y', 1, /unsupported format character 'y' \(0x79\) at index 1/],
      ['%', tuple([]), /incomplete format/],
      ['%c', 'ab', /%c requires int or char/],
    ] as const) {
      assert.throws(() => percentFormat(f, values, { text: String }), { code: 'ERR_TEMPLATE_RUNTIME', message }, f);
    }
  });
});

describe('% and the format filter in templates', () => {
  it('formats with a dict, a tuple, or one value', () => {
    assert.equal(html("{{ '%(a)s-%(b)d' % {'a': 'x', 'b': 3} }}"), 'x-3');
    assert.equal(html("{{ '%(name)s is %(age)03d' % user }}", { user: { name: 'Ada', age: 7 } }), 'Ada is 007');
    assert.equal(html("{{ '%s' % {'a': 1} }}"), '{&#39;a&#39;: 1}');
    assert.equal(html("{{ '%s' % [1, 'a'] }} {{ '%s|%r' % ('x', 'x') }}"), '[1, &#39;a&#39;] x|&#39;x&#39;');
  });

  it('format takes positional or keyword arguments, not both', () => {
    assert.equal(html("{{ '%(a)s'|format(a='<b>') }} {{ '%s and %s'|format('<', 1) }}"), '&lt;b&gt; &lt; and 1');
    assert.equal(html("{{ '%s'|format(a=1) }}"), '{&#39;a&#39;: 1}');
    assert.equal(html("{{ '%s'|format(d) }}", { d: { a: 1 } }), '{&#39;a&#39;: 1}');
    assert.throws(() => html("{{ '%s'|format(1, a=2) }}"), { code: 'ERR_TEMPLATE_RUNTIME', message: /can't handle positional and keyword arguments at the same time/ });
  });

  it('escapes the values a safe format formats, as Markup does', () => {
    assert.equal(html("{{ '<%s>'|safe|format('<') }} {{ '<%(x)s>'|safe|format(x='&') }} {{ '%r'|safe|format('<') }}"), '<&lt;> <&amp;> &#39;&lt;&#39;');
    assert.equal(html("{{ '<b>%s</b>'|safe % x }}", { x: '<i>' }), '<b>&lt;i&gt;</b>');
  });

  it('str.format tells keyword arguments from a dict passed by position', () => {
    assert.equal(raw("{{ '{} {a}'.format(1, a=2) }} {{ '{}'.format({'a': 1}) }} {{ '{}'.format([1, 'a']) }}"), "1 2 {'a': 1} [1, 'a']");
  });
});
