// The seed's "Template Engine" section, every example, in its TypeScript form. The two
// templates are the seed's own files (tests/fixtures/templates/seed-*), rendered by Covet and by
// Nunjucks (the Jinja-semantics oracle) and compared byte for byte.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { CovetApp } from '../../../src/index.js';
import { TemplateEngine } from '../../../src/templates/index.js';
import { TestClient } from '../../../src/testing/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/templates/', import.meta.url));
const SYNTAX = join(FIXTURES, 'seed-syntax');
const INHERITANCE = join(FIXTURES, 'seed-inheritance');

function nunjucksRender(dir: string, name: string, context: object): string {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: true }), { autoescape: true });
  return env.render(name, context);
}

const PAGE_WITH_USERS = `<!DOCTYPE html>
<html>
<head>
    <title>My Page</title>
</head>
<body>
    <h1>My Page</h1>
    
    
        <ul>
        
            <li>Alice</li>
        
            <li>Bob</li>
        
        </ul>
    
</body>
</html>
`;

describe('seed: Zero-Dependency Templates', () => {
  it('serves templates.render("page.html", context) from a route as text/html', async () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    const app = new CovetApp();
    app.route('/page', async () => {
      const context = { title: 'My Page', users: [{ name: 'Alice' }, { name: 'Bob' }] };
      return templates.render('page.html', context);
    });
    await using client = new TestClient(app);
    const res = await client.get('/page');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.text, PAGE_WITH_USERS);
  });
});

describe('seed: Template Syntax (page.html)', () => {
  it('renders exactly what Nunjucks renders for the seed page', () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    const context = { title: 'My Page', users: [{ name: 'Alice' }, { name: 'Bob' }] };
    const ours = templates.renderToString('page.html', context);
    assert.equal(ours, nunjucksRender(SYNTAX, 'page.html', context));
    assert.equal(ours, PAGE_WITH_USERS);
  });

  it('escapes the title and the names', () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    const context = { title: 'Tom & <Jerry>', users: [{ name: '<script>alert(1)</script>' }] };
    const ours = templates.renderToString('page.html', context);
    assert.equal(ours, nunjucksRender(SYNTAX, 'page.html', context));
    assert.match(ours, /<title>Tom &amp; &lt;Jerry&gt;<\/title>/);
    assert.match(ours, /<li>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/li>/);
  });

  it('renders "No users found." for an empty list (Jinja truthiness; Nunjucks treats [] as true)', () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    for (const users of [[], undefined, null]) {
      const out = templates.renderToString('page.html', { title: 'Empty', users });
      assert.match(out, /<p>No users found\.<\/p>/);
      assert.doesNotMatch(out, /<ul>/);
    }
    // Where both agree (no users variable at all), the outputs are identical.
    assert.equal(templates.renderToString('page.html', { title: 'Empty' }), nunjucksRender(SYNTAX, 'page.html', { title: 'Empty' }));
  });
});

describe('seed: Template Inheritance (base.html, page.html)', () => {
  const EXPECTED = `<!DOCTYPE html>
<html>
<head>
    <title>My Page</title>
</head>
<body>
    <nav></nav>
    <main>
<h1>Page Content</h1>
</main>
</body>
</html>
`;

  it('fills the blocks of base.html, keeps the empty nav, and matches Nunjucks byte for byte', () => {
    const templates = new TemplateEngine({ directory: INHERITANCE });
    const ours = templates.renderToString('page.html', {});
    assert.equal(ours, nunjucksRender(INHERITANCE, 'page.html', {}));
    assert.equal(ours, EXPECTED);
  });

  it('renders base.html on its own with the default title', () => {
    const templates = new TemplateEngine({ directory: INHERITANCE });
    const ours = templates.renderToString('base.html', {});
    assert.equal(ours, nunjucksRender(INHERITANCE, 'base.html', {}));
    assert.match(ours, /<title>Default Title<\/title>/);
  });
});

describe('seed: Custom Filters', () => {
  it('add_filter("upper", …): {{ name|upper }}', () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    templates.addFilter('upper', (x: string) => x.toUpperCase());
    assert.equal(templates.renderString('{{ name|upper }}', { name: 'alice' }), 'ALICE');
  });

  it('add_filter("truncate", …) with the seed colon syntax: {{ description|truncate:30 }}', () => {
    const templates = new TemplateEngine({ directory: SYNTAX });
    templates.addFilter('truncate', (x: string, length = 50) => (x.length > length ? `${x.slice(0, length)}...` : x));
    const description = 'A zero-dependency web framework for Node.js, written in TypeScript.';
    assert.equal(templates.renderString('{{ description|truncate:30 }}', { description }), `${description.slice(0, 30)}...`);
    assert.equal(templates.renderString('{{ description|truncate }}', { description }), `${description.slice(0, 50)}...`);
    assert.equal(templates.renderString('{{ description|truncate(30) }}', { description }), `${description.slice(0, 30)}...`);
    assert.equal(templates.renderString('{{ "short"|truncate:30 }}'), 'short');
  });

  it('the API.md form: addFilter("truncate", (x, length = 50) => …) replaces the built-in', () => {
    const templates = new TemplateEngine();
    assert.equal(templates.renderString('{{ "abcdefghij"|truncate(5, true, "…", 0) }}'), 'abcd…');
    templates.addFilter('truncate', (x: string, length = 50) => (x.length > length ? `${x.slice(0, length)}...` : x));
    assert.equal(templates.renderString('{{ "abcdefghij"|truncate:5 }}'), 'abcde...');
  });
});
