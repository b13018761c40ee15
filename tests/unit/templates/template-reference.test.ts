// The expected strings are what Jinja 3.1 renders for the same templates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateEngine } from '../../../src/templates/index.js';

const templates = {
  'base.html': '<title>{% block title %}Base{% endblock %}</title><h1>{{ self.title() }}</h1>{% block body %}{% endblock %}',
  'child.html': '{% extends "base.html" %}{% block title %}Child & <b>{{ x }}</b>{% endblock %}{% block body %}[{{ self.title() }}]{% endblock %}',
  'loop.html': '{% block a %}A{{ y }}{% endblock %}{% for y in [1, 2] %}{{ self.a() }}{% endfor %}{% set z = 5 %}{{ self.b() }}{% block b %}B{{ z }}{% endblock %}',
  'macro.html': '{% macro m() %}{{ self.a() }}{% endmacro %}{% block a %}A{% endblock %}{{ m() }}',
  'import.html': '{% import "macro.html" as mm %}{{ mm.m() }}',
  'safe.html': '{% block a %}<{% endblock %}{{ self.a()|length }} {{ self.a() ~ "<" }}',
  'print.html': '{{ self }}{% block a %}A{% endblock %}',
  'missing.html': '{{ self.nope() }}',
  'include.html': '{% block a %}A{% endblock %}{% include "included.html" %}',
  'included.html': '{{ self.a() }}',
  'recursive.html': '{% block a %}{{ self.a() }}{% endblock %}',
};
const t = new TemplateEngine({ templates, directory: [] });

async function streamed(name: string, ctx: object = {}): Promise<string> {
  let out = '';
  for await (const chunk of t.stream(name, ctx)) out += chunk;
  return out;
}

describe('self', () => {
  it('renders a block again, its most derived version, already escaped', async () => {
    assert.equal(t.renderToString('base.html'), '<title>Base</title><h1>Base</h1>');
    const child = '<title>Child & <b>&lt;i&gt;</b></title><h1>Child & <b>&lt;i&gt;</b></h1>[Child & <b>&lt;i&gt;</b>]';
    assert.equal(t.renderToString('child.html', { x: '<i>' }), child);
    assert.equal(await streamed('child.html', { x: '<i>' }), child);
  });

  it('renders with the template context, not the loop variables around the call', () => {
    assert.equal(t.renderToString('loop.html'), 'AAAB5B5');
  });

  it('inside a macro means the macro’s own template, imported or not', () => {
    assert.equal(t.renderToString('macro.html'), 'AA');
    assert.equal(t.renderToString('import.html'), 'A');
  });

  it('returns safe markup that concatenates by escaping the other side', () => {
    assert.equal(t.renderToString('safe.html'), '<1 <&lt;');
    assert.equal(t.renderToString('print.html'), '&lt;TemplateReference &#39;print.html&#39;&gt;A');
  });

  it('has no block of another template, and stops a block that renders itself', () => {
    assert.throws(() => t.renderToString('missing.html'), { code: 'ERR_TEMPLATE_RUNTIME', message: /'self' has no method 'nope'/ });
    assert.throws(() => t.renderToString('include.html'), { code: 'ERR_TEMPLATE_RUNTIME', message: /'self' has no method 'a'/ });
    assert.throws(() => t.renderToString('recursive.html'), { code: 'ERR_TEMPLATE_RECURSION' });
  });

  it('hides a context variable named self, and yields to a local one', () => {
    assert.equal(t.renderString('{% block a %}A{% endblock %}{{ self.a() }}', { self: { a: () => 'ctx' } }), 'AA');
    assert.equal(t.renderString('{{ "y" if self.a is defined }}{% set self = "set" %}|{{ self }}{% block a %}{% endblock %}'), 'y|set');
    assert.equal(t.renderString('{% for self in [1] %}{{ self }}{% endfor %}{% macro m(self) %}{{ self }}{% endmacro %}{{ m(2) }}'), '12');
  });
});
