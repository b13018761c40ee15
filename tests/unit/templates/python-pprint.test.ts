// The expected strings are what Python's pprint.pformat (Jinja 3.1's `pprint` filter) prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateEngine } from '../../../src/templates/index.js';
import { pformat } from '../../../src/templates/python-pprint.js';

const t = new TemplateEngine({ directory: [] });

describe('pformat', () => {
  it('is the repr, dict keys sorted, when it fits in 80 columns', () => {
    assert.equal(pformat({ b: 1, a: 'x' }), "{'a': 'x', 'b': 1}");
    assert.equal(pformat([1, [2, { d: 1, c: 2 }]]), "[1, [2, {'c': 2, 'd': 1}]]");
  });

  it('puts one item a line, indented under its bracket, when it does not', () => {
    const x = 'x'.repeat(80);
    assert.equal(pformat({ b: 1, a: x, c: [1, 2] }), `{'a': '${x}',\n 'b': 1,\n 'c': [1, 2]}`);
    assert.equal(pformat(Array.from({ length: 28 }, (_, i) => i)), `[${Array.from({ length: 28 }, (_, i) => i).join(',\n ')}]`);
    assert.equal(
      pformat({
        key: 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore',
        n: [{ deep: 'value value value value value value value value', other: [1, 2, 3] }, 'short'],
      }),
      "{'key': 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '\n        'tempor incididunt ut labore',\n 'n': [{'deep': 'value value value value value value value value',\n        'other': [1, 2, 3]},\n       'short']}",
    );
  });

  it('splits a long string at spaces and line ends into adjacent literals', () => {
    assert.equal(
      pformat('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore\nsecond line'),
      "('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '\n 'incididunt ut labore\\n'\n 'second line')",
    );
  });
});

describe('pprint in templates', () => {
  it('prints tuples and escapes under autoescape', () => {
    assert.equal(
      t.renderString('{{ (x|dictsort)|pprint }}', { x: { aaaaaaaaaaaaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb', ccccccccccccccccccccccccc: 'ddddddddddddddddddddddd' } }, { autoescape: false }),
      "[('aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb'),\n ('ccccccccccccccccccccccccc', 'ddddddddddddddddddddddd')]",
    );
    assert.equal(t.renderString('{{ x|pprint }}', { x: { b: 1, a: 'x' } }), '{&#39;a&#39;: &#39;x&#39;, &#39;b&#39;: 1}');
  });
});
