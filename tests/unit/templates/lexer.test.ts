import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenize } from '../../../src/templates/lexer.js';
import { TemplateError } from '../../../src/templates/template-error.js';

const kinds = (src: string) => tokenize(src, 't').map((t) => (t.type === 'text' ? `T(${t.value})` : t.type === 'eof' ? 'EOF' : t.value));

describe('tokenize', () => {
  it('splits text, variable tags and block tags, with positions', () => {
    const tokens = tokenize('a{{ x.y }}b{% if z %}c', 't');
    assert.deepEqual(
      tokens.map((t) => [t.type, t.value, t.pos]),
      [
        ['text', 'a', 0],
        ['var_start', '{{', 1],
        ['name', 'x', 4],
        ['op', '.', 5],
        ['name', 'y', 6],
        ['var_end', '}}', 8],
        ['text', 'b', 10],
        ['block_start', '{%', 11],
        ['name', 'if', 14],
        ['name', 'z', 17],
        ['block_end', '%}', 19],
        ['text', 'c', 21],
        ['eof', '', 22],
      ],
    );
  });

  it('decodes string escapes and keeps }} inside strings and dict literals', () => {
    assert.deepEqual(kinds(`{{ "a\\"b\\n\\u0041" ~ '}}' }}`), ['{{', 'a"b\nA', '~', '}}', '}}', 'EOF']);
    assert.deepEqual(kinds("{{ {'a': {'b': 1}} }}"), ['{{', '{', 'a', ':', '{', 'b', ':', '1', '}', '}', '}}', 'EOF']);
  });

  it('reads numbers, two-character operators and integer subscripts after a dot', () => {
    assert.deepEqual(kinds('{{ 1.5e3 ** 2 // 3 != x.0.1 }}'), ['{{', '1.5e3', '**', '2', '//', '3', '!=', 'x', '.', '0', '.', '1', '}}', 'EOF']);
  });

  it('drops comments and applies {%- -%} {{- -}} {#- -#}', () => {
    assert.deepEqual(kinds('a {# c #} b'), ['T(a )', 'T( b)', 'EOF']);
    assert.deepEqual(kinds('a  \n {%- if x -%} \n b'), ['T(a)', '{%', 'if', 'x', '%}', 'T(b)', 'EOF']);
    assert.deepEqual(kinds('a {{- x -}} b'), ['T(a)', '{{', 'x', '}}', 'T(b)', 'EOF']);
    assert.deepEqual(kinds('a {#- c -#} b'), ['T(a)', 'T(b)', 'EOF']);
  });

  it('turns {% raw %} into text, with its own whitespace control', () => {
    assert.deepEqual(kinds('{% raw %}{{ x }}{% y %}{% endraw %}'), ['T({{ x }}{% y %})', 'EOF']);
    assert.deepEqual(kinds('a {%- raw -%}  {{ x }}  {%- endraw -%} b'), ['T(a)', 'T({{ x }})', 'T(b)', 'EOF']);
  });

  it('trimBlocks removes the newline after a block tag; lstripBlocks the indentation before it', () => {
    const src = 'x\n  {% if a %}\n  y\n  {% endif %}\nz';
    const text = (opts: object) =>
      tokenize(src, 't', opts)
        .filter((t) => t.type === 'text')
        .map((t) => t.value);
    assert.deepEqual(text({}), ['x\n  ', '\n  y\n  ', '\nz']);
    assert.deepEqual(text({ trimBlocks: true }), ['x\n  ', '  y\n  ', 'z']);
    assert.deepEqual(text({ trimBlocks: true, lstripBlocks: true }), ['x\n', '  y\n', 'z']);
    // {%+ keeps the indentation; variable tags are never stripped.
    assert.deepEqual(
      tokenize('  {%+ if a %}', 't', { lstripBlocks: true })
        .filter((t) => t.type === 'text')
        .map((t) => t.value),
      ['  '],
    );
    assert.deepEqual(
      tokenize('  {{ a }}', 't', { lstripBlocks: true })
        .filter((t) => t.type === 'text')
        .map((t) => t.value),
      ['  '],
    );
  });

  it('reports unclosed tags, comments, strings and raw blocks where they start', () => {
    const at = (src: string) => {
      try {
        tokenize(src, 't');
      } catch (e) {
        assert.ok(e instanceof TemplateError);
        assert.equal(e.code, 'ERR_TEMPLATE_SYNTAX');
        return `${e.line}:${e.column} ${e.reason}`;
      }
      return 'no error';
    };
    assert.equal(at('ab\n{{ x'), "2:1 unclosed tag, expected '}}'");
    assert.equal(at('{# never'), '1:1 unclosed comment');
    assert.equal(at('{{ "abc }}'), '1:4 unclosed string literal');
    assert.equal(at('{% raw %}x'), "1:1 unclosed '{% raw %}', expected '{% endraw %}'");
    assert.equal(at('{{ a ; b }}'), '1:6 unexpected character ";"');
    assert.equal(at('{{ (a + b }}\n<p>it\'s</p>'), 'no error');
  });
});
