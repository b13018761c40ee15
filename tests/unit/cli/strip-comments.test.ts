import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripComments } from '../../../src/cli/strip-comments.js';

describe('stripComments', () => {
  it('blanks line and block comments, keeping offsets and line breaks', () => {
    const source = "a = 1; // new JWTAuth('secret')\n/* x\n * y */ b = 2;\n/** @example f() */";
    const out = stripComments(source);
    assert.equal(out.length, source.length);
    assert.equal(out, `a = 1; ${' '.repeat(24)}\n${' '.repeat(4)}\n${' '.repeat(7)} b = 2;\n${' '.repeat(19)}`);
  });

  it('leaves strings, templates and regular expressions alone, comment markers inside them included', () => {
    const code = [
      "const url = 'https://a.example//b'; const s = \"/* not a comment */\";",
      'const t = `a // b ${f("c // d", `e /* ${g} */`)} // h`;',
      "const r = /['\"\\/]+/g; const q = x.split(/\\/\\//); return /a[/]b/.test(s);",
      'const ratio = a / b / c; // divisions, then a comment',
    ].join('\n');
    const out = stripComments(code);
    assert.equal(out.split('\n').slice(0, 3).join('\n'), code.split('\n').slice(0, 3).join('\n'));
    assert.equal(out.split('\n')[3], `const ratio = a / b / c; ${' '.repeat('// divisions, then a comment'.length)}`);
  });

  it('tolerates unterminated strings, comments and regular expressions', () => {
    assert.equal(stripComments("a = 'open\nb = 1 // c"), "a = 'open\nb = 1     ");
    assert.equal(stripComments('a /* open'), 'a        ');
    assert.equal(stripComments('x = (/open\n// c'), 'x = (/open\n    ');
  });
});
