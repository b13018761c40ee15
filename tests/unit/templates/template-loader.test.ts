import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { normalizeTemplateName, TemplateLoader } from '../../../src/templates/template-loader.js';
import { TemplateEngine, TemplateError } from '../../../src/templates/index.js';

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'covet-loader-'));
  mkdirSync(join(root, 'views', 'emails'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  writeFileSync(join(root, 'secret.txt'), 'TOP SECRET');
  writeFileSync(join(root, 'views', 'page.html'), 'views page');
  writeFileSync(join(root, 'views', 'emails', 'welcome.html'), 'welcome');
  writeFileSync(join(root, 'shared', 'page.html'), 'shared page');
  writeFileSync(join(root, 'shared', 'footer.html'), 'shared footer');
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('normalizeTemplateName', () => {
  it('normalises harmless forms', () => {
    assert.equal(normalizeTemplateName('./emails//welcome.html'), 'emails/welcome.html');
    assert.equal(normalizeTemplateName('a/./b.html'), 'a/b.html');
  });

  it('refuses traversal, absolute paths, backslashes, NUL and empty names', () => {
    for (const bad of ['../secret.txt', 'emails/../../secret.txt', '..', '/etc/passwd', 'C:/x', 'c:\\x', '..\\secret.txt', 'a\\b', 'a\0.html', '', '.', './', 'x'.repeat(2000)]) {
      assert.throws(() => normalizeTemplateName(bad), { code: 'ERR_TEMPLATE_NAME' }, JSON.stringify(bad));
    }
  });
});

describe('TemplateLoader', () => {
  it('searches folders in order, in-memory templates first', () => {
    const loader = new TemplateLoader([join(root, 'views'), join(root, 'shared')], { 'mem.html': 'in memory' });
    assert.equal(loader.load('page.html')?.source, 'views page');
    assert.equal(loader.load('footer.html')?.source, 'shared footer');
    assert.equal(loader.load('emails/welcome.html')?.source, 'welcome');
    assert.equal(loader.load('mem.html')?.source, 'in memory');
    assert.equal(loader.load('missing.html'), null);
    assert.equal(loader.load('emails'), null);
  });

  it('never reads outside its folders, whatever the name', () => {
    const t = new TemplateEngine({ directory: join(root, 'views') });
    for (const name of ['../secret.txt', 'emails/../../secret.txt', `${root}/secret.txt`, '%2e%2e/secret.txt', '....//secret.txt']) {
      assert.throws(() => t.renderToString(name), (e: unknown) => e instanceof TemplateError && /ERR_TEMPLATE_(NAME|NOT_FOUND)/.test(e.code), name);
    }
    assert.throws(() => t.renderString('{% include "../secret.txt" %}'), { code: 'ERR_TEMPLATE_NAME' });
    assert.throws(() => t.renderString('{% include name %}', { name: '../secret.txt' }), { code: 'ERR_TEMPLATE_NAME' });
    assert.throws(() => t.renderString('{% extends "/etc/passwd" %}'), { code: 'ERR_TEMPLATE_NAME' });
    assert.throws(() => t.renderString('{% import "..\\\\secret.txt" as s %}'), { code: 'ERR_TEMPLATE_NAME' });
  });

  it('follows a symlink only as far as the file system does (the folder is trusted)', () => {
    try {
      symlinkSync(join(root, 'shared', 'footer.html'), join(root, 'views', 'link.html'));
    } catch {
      return; // no symlinks here
    }
    assert.equal(new TemplateLoader([join(root, 'views')], undefined).load('link.html')?.source, 'shared footer');
  });
});
