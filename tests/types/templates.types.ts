// Type tests for covet/templates: checked by `tsc --noEmit`, never executed.
import { expectTypeOf } from 'expect-type';
import { CovetApp } from '../../src/index.js';
import type { Response } from '../../src/response.js';
import { Markup, TemplateEngine, TemplateError, type TemplateErrorCode } from '../../src/templates/index.js';

const templates = new TemplateEngine({ directory: 'templates' });

// API.md: render → an HTML Response; renderString → a string; the async forms are Promises.
expectTypeOf(templates.render('page.html', { title: 'x' })).toEqualTypeOf<Response>();
expectTypeOf(templates.renderString('{{ x }}', { x: 1 })).toEqualTypeOf<string>();
expectTypeOf(templates.renderToString('page.html')).toEqualTypeOf<string>();
expectTypeOf(templates.renderAsync('page.html', { rows: Promise.resolve([]) })).toEqualTypeOf<Promise<Response>>();
expectTypeOf(templates.stream('page.html')).toEqualTypeOf<AsyncIterable<string>>();
expectTypeOf(templates.renderStream('page.html')).toEqualTypeOf<Response>();

// The seed's filters, typed as the application writes them.
templates.addFilter('upper', (x: string) => x.toUpperCase());
templates.addFilter('truncate', (x: string, length = 50) => (x.length > length ? `${x.slice(0, length)}...` : x));
templates.addTest('admin', (u: { role: string }) => u.role === 'admin').addGlobal('site', 'Covet');
// @ts-expect-error -- a filter is a function
templates.addFilter('nope', 'not a function');

// A handler may return the Response directly.
new CovetApp().route('/page', async () => templates.render('page.html', { title: 'My Page' }));

expectTypeOf(new Markup('<b>').value).toEqualTypeOf<string>();
declare const err: TemplateError;
expectTypeOf(err.code).toEqualTypeOf<TemplateErrorCode>();
expectTypeOf(err.line).toEqualTypeOf<number | undefined>();
// @ts-expect-error -- codes are a closed set
const bad: TemplateErrorCode = 'ERR_NOPE';
void bad;
