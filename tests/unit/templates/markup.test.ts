import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, Markup } from '../../../src/templates/markup.js';

describe('escapeHtml', () => {
  it('escapes the five HTML characters as Nunjucks does and leaves the rest', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    assert.equal(escapeHtml('plain text, é ü 日本'), 'plain text, é ü 日本');
    assert.equal(escapeHtml(''), '');
    assert.equal(escapeHtml('&'), '&amp;');
    assert.equal(escapeHtml('a&'), 'a&amp;');
  });
});

describe('Markup', () => {
  it('holds safe text, converts like a string and escapes only plain values', () => {
    const m = new Markup('<b>');
    assert.equal(String(m), '<b>');
    assert.equal(`${m}`, '<b>');
    assert.equal(m.length, 3);
    assert.equal(JSON.stringify({ m }), '{"m":"<b>"}');
    assert.equal(Markup.escape('<b>').value, '&lt;b&gt;');
    assert.equal(Markup.escape(m), m);
    assert.equal(new Markup(m).value, '<b>');
    assert.equal(new Markup(null).value, '');
    assert.equal(Markup.escape(42).value, '42');
  });
});
