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

describe('str.format with format specs', () => {
  it('applies fill, align, sign, width, grouping, precision and type as Python does', () => {
    assert.equal(raw("{{ '{:>5}|{:<5}|{:^5}|{:*^7}'.format('a', 'b', 'c', 'd') }}"), '    a|b    |  c  |***d***');
    assert.equal(raw("{{ '{:.2f}|{:8.3f}|{:+.1f}|{: .1f}|{:08.2f}|{:-^10.1f}'.format(3.14159, 2.5, 1, 2, -3.14159, 1.25) }}"), '3.14|   2.500|+1.0| 2.0|-0003.14|---1.2----');
    assert.equal(raw("{{ '{:,}|{:_}|{:,.2f}|{:,d}|{:10,.2f}|{:010,.2f}'.format(1234567, 1234567, 1234567.891, -1234, 1234.5, 1234.5) }}"), '1,234,567|1_234_567|1,234,567.89|-1,234|  1,234.50|001,234.50');
    assert.equal(
      raw("{{ '{:x}|{:X}|{:#x}|{:o}|{:#o}|{:b}|{:#b}|{:08b}|{:_b}|{:#010x}'.format(255, 255, 255, 8, 8, 5, 5, 5, 255, 255) }}"),
      'ff|FF|0xff|10|0o10|101|0b101|00000101|1111_1111|0x000000ff',
    );
    assert.equal(
      raw("{{ '{:e}|{:.2E}|{:g}|{:.3g}|{:G}|{:%}|{:.1%}'.format(12345.678, 0.000123, 0.00001234, 1234567, 1e20, 0.25, 0.1234) }}"),
      '1.234568e+04|1.23E-04|1.234e-05|1.23e+06|1E+20|25.000000%|12.3%',
    );
    assert.equal(raw("{{ '{:d}|{:5d}|{:<5d}|{:05d}|{:=+6d}|{:c}'.format(42, 42, 42, -42, 42, 65) }}"), '42|   42|42   |-0042|+   42|A');
    assert.equal(raw("{{ '{a:.1f}-{b:>3}'.format(a=2.25, b='x') }}"), '2.2-  x');
    assert.equal(raw("{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{:.3}|{:10.3}|'.format('abcdef', 'abcdef') }}|{{ '{:.3}'.format(3.14159) }}"), 'aba|abc|abc       ||3.14');
    assert.equal(raw("{{ '{0!r}|{1!s}|{0!r:>5}'.format('a', 'b') }}"), "'a'|b|  'a'");
    assert.equal(raw("{{ '{:,.0f}|{:.0f}|{:.0f}|{:f}|{:e}|{:g}'.format(-0.4, 2.5, 3.5, 1e22, 0, 1000000) }}"), '-0|2|4|10000000000000000000000.000000|0.000000e+00|1e+06');
  });

  it('pads with zeros as Python does: after any alignment, and through the grouping', () => {
    // Python 3.11: format(42, '<05'), format(42, '^07'), format(-42, '<06'), format('ab', '05'), format('ab', '>05'), format(42, 'x<05')
    assert.equal(raw("{{ '{:<05}|{:^07}|{:<06}|{:05}|{:>05}|{:x<05}'.format(42, 42, -42, 'ab', 'ab', 42) }}"), '42000|0042000|-42000|ab000|000ab|42xxx');
    // format(1234, '010,'), '08,', '07,', format(-1234, '09,'), format(1234.5, '010,.1f'), format(255, '#010_x'), format(1234, '+010_'), format(1, '05,')
    assert.equal(
      raw("{{ '{:010,}|{:08,}|{:07,}|{:09,}|{:010,.1f}|{:#010_x}|{:+010_}|{:05,}'.format(1234, 1234, 1234, -1234, 1234.5, 255, 1234, 1) }}"),
      '00,001,234|0,001,234|001,234|-0,001,234|0,001,234.5|0x000_00ff|+0_001_234|0,001',
    );
    assert.throws(() => raw("{{ '{:_c}'.format(65) }}"), (err: Error & { reason?: string }) => err.reason === "Cannot specify '_' with 'c'.");
  });

  it('fills fields nested in a spec from the arguments, as Python numbers them', () => {
    // '{0:{1}}'.format(3, 5), '{:{}}'.format(3, 5), '{:{w}.{p}f}'.format(3.14159, w=8, p=2), '{a:{b}}'.format(a=1, b='>4')
    assert.equal(raw("{{ '{0:{1}}'.format(3, 5) }}|{{ '{:{}}'.format(3, 5) }}|{{ '{:{w}.{p}f}'.format(3.14159, w=8, p=2) }}|{{ '{a:{b}}'.format(a=1, b='>4') }}"), '    3|    3|    3.14|   1');
    assert.throws(() => raw("{{ '{:{}}'.format(3) }}"), (err: Error & { reason?: string }) => err.reason === 'IndexError: Replacement index 1 out of range for positional args tuple');
  });

  it('pads and then escapes, on a safe format string too (as MarkupSafe does)', () => {
    assert.equal(html("{{ '{:>4}'.format(x) }}", { x: '<b>' }), ' &lt;b&gt;');
    assert.equal(html("{{ ('<b>{:>6}</b>'|safe).format('<i>') }}|{{ ('{!r}'|safe).format('<') }}"), '<b>   &lt;i&gt;</b>|&#39;&lt;&#39;');
  });

  it('raises what Python raises instead of dropping the spec or printing nothing', () => {
    const cases: [string, string][] = [
      ["'{:d}'.format(1.5)", "Unknown format code 'd' for object of type 'float'"],
      ["'{:+}'.format('a')", 'Sign not allowed in string format specifier'],
      ["'{:=5}'.format('ab')", "'=' alignment not allowed in string format specifier"],
      ["'{:,x}'.format(255)", "Cannot specify ',' with 'x'."],
      ["'{:.2d}'.format(5)", 'Precision not allowed in integer format specifier'],
      ["'{!x}'.format(5)", 'Unknown conversion specifier x'],
      ["'{}{}'.format(1)", 'IndexError: Replacement index 1 out of range for positional args tuple'],
      ["'{a}'.format(b=1)", "KeyError: 'a'"],
      ["'{}{0}'.format(1)", 'ValueError: cannot switch between automatic field numbering and manual field specification'],
      ["'{0.real}'.format(1)", 'str.format: attribute and index lookups ({0.real}) are not supported in templates'],
    ];
    for (const [expr, message] of cases) {
      assert.throws(
        () => raw(`{{ ${expr} }}`),
        (err: Error & { code?: string; reason?: string }) => err.code === 'ERR_TEMPLATE_RUNTIME' && err.reason === message,
        expr,
      );
    }
  });

  it('bounds the width (a sandbox limit, not a huge string)', () => {
    assert.throws(() => raw("{{ '{:999999999}'.format(1) }}"), { code: 'ERR_TEMPLATE_SANDBOX' });
  });
});
