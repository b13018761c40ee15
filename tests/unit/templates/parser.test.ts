import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from '../../../src/templates/parser.js';
import { TemplateError } from '../../../src/templates/template-error.js';

function error(src: string): string {
  try {
    parse(src, 'page.html');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.code, 'ERR_TEMPLATE_SYNTAX');
    assert.equal(e.template, 'page.html');
    return `${e.line}:${e.column} ${e.reason}`;
  }
  return 'parsed';
}

describe('parse', () => {
  it('builds statements with Jinja precedence', () => {
    const [out] = parse('{{ a or b and not c == d + e * f ** g|h }}', 't');
    assert.equal(out?.kind, 'output');
    const e = out?.kind === 'output' ? out.expr : null;
    assert.equal(e?.kind, 'or');
    const right = e?.kind === 'or' ? e.right : null;
    assert.equal(right?.kind, 'and');
    const filtered = parse('{{ -x|abs }}', 't')[0];
    assert.equal(filtered?.kind === 'output' ? filtered.expr.kind : '', 'filter');
  });

  it('parses the seed filter forms: |f, |f:arg, |f(args, kw=v)', () => {
    const filters = (src: string) => {
      const s = parse(src, 't')[0];
      const e = s?.kind === 'output' ? s.expr : null;
      return e?.kind === 'filter' ? [e.filter.name, e.filter.args.length, e.filter.kwargs.map(([k]) => k)] : null;
    };
    assert.deepEqual(filters('{{ d|truncate:30 }}'), ['truncate', 1, []]);
    assert.deepEqual(filters('{{ d|truncate(30, end="…") }}'), ['truncate', 1, ['end']]);
    assert.deepEqual(filters('{{ d|upper }}'), ['upper', 0, []]);
  });

  it('names line and column of syntax errors', () => {
    assert.equal(error('{% if %}'), '1:7 expected an expression, got \'%}\'');
    assert.equal(error('a\n{% for x in xs %}\n{{ x }}'), "3:8 unexpected end of template: '{% for %}' at line 2 was not closed (expected '{% else %}' or '{% endfor %}')");
    assert.equal(error('{% if a %}\n{% endfor %}'), "2:4 unexpected '{% endfor %}' (inside '{% if %}', expected '{% elif %}' or '{% else %}' or '{% endif %}')");
    assert.equal(error('{% frobnicate %}'), "1:4 unknown tag 'frobnicate'");
    assert.equal(error('{% block a %}{% endblock b %}'), "1:26 '{% endblock b %}' closes 'a', not 'b'");
    assert.equal(error('{% break %}'), "1:4 '{% break %}' outside of a loop");
    assert.equal(error('{% for x in y %}{% set z %}{% break %}{% endset %}{% endfor %}'), "1:31 '{% break %}' outside of a loop");
    assert.equal(error('{{ f(a=1, 2) }}'), '1:11 a positional argument follows a keyword argument');
    assert.equal(error('{% macro m(a=1, b) %}{% endmacro %}'), "1:17 parameter 'b' without a default follows one with a default");
    assert.equal(error('{{ x[1:2:3:4] }}'), "1:12 too many ':' in a slice");
    assert.equal(error('{% call foo %}{% endcall %}'), "1:9 '{% call %}' expects a macro call such as 'render_list(items)'");
    assert.equal(error('{{ if }}'), "1:4 unexpected 'if'");
    assert.equal(error('{% set true = 1 %}'), "1:8 'true' cannot be used as a variable name");
  });

  it('refuses nesting deeper than 200 levels', () => {
    assert.match(error(`{{ ${'['.repeat(300)}${']'.repeat(300)} }}`), /nested more than 200 levels/);
    assert.match(error(`${'{% if x %}'.repeat(300)}`), /nested more than 200 levels/);
    assert.equal(error(`{{ ${'('.repeat(150)}1${')'.repeat(150)} }}`), 'parsed');
  });
});
