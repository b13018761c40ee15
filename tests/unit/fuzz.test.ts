import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { createApp } from '../../examples/fuzz-target/app.js';
import { CovetApp, HTTPException } from '../../src/index.js';
import { type FuzzReport, formatFuzzReport, fuzz, type OpenAPIDocumentLike } from '../../src/testing/index.js';
import { memoryLogger } from '../helpers/server.js';

function summary(report: FuzzReport): string[] {
  return report.findings.map((f) => `${f.kind} ${f.operation} ${f.status}`);
}

/** A one-operation document: GET `path` with the given query parameters and 200 schema. */
function docFor(path: string, parameters: unknown[] = [], schema?: unknown): OpenAPIDocumentLike {
  const content = schema === undefined ? undefined : { 'application/json': { schema } };
  return { openapi: '3.1.0', paths: { [path]: { get: { parameters, responses: { '200': { description: 'OK', content } } } } } };
}

describe('fuzz', () => {
  it('finds each planted bug of the example app, with a curl line and the seed', async () => {
    const report = await fuzz(createApp(), { seed: 1, runs: 200 });
    assert.deepEqual(summary(report), ['server-error POST /items 500', 'server-error GET /items/{id}/label 500', 'schema-violation GET /items/{id} 404']);
    assert.equal(report.passed, false);
    assert.equal(report.operations, 4);
    assert.equal(report.requests, 800);
    assert.equal(report.byKind.valid + report.byKind.boundary + report.byKind.invalid, 800);

    const [blank, negative, leak] = report.findings;
    // Bug 1: an empty (or blank) name crashes the SKU prefix.
    assert.equal(blank?.severity, 'error');
    assert.match(blank?.input ?? '', /^body\.name = /);
    assert.equal((JSON.parse(blank?.request.body ?? '{}') as { name: string }).name.trim(), '');
    assert.match(blank?.curl ?? '', /^curl -X POST 'http:\/\/127\.0\.0\.1:8000\/items' -H 'content-type: application\/json' --data-raw '\{"name":/);
    assert.equal(blank?.seed, '1');
    // Bug 2: a negative width is a RangeError.
    assert.match(negative?.request.url ?? '', /^\/items\/\d+\/label\?width=-/);
    assert.match(negative?.curl ?? '', /^curl 'http:\/\/127\.0\.0\.1:8000\/items\/\d+\/label\?width=-\d+'$/);
    // Bug 3: the 404 body is not the declared one.
    assert.deepEqual(leak?.details, ['$.error: required']);
    assert.ok((leak?.occurrences ?? 0) > 1, 'findings are deduplicated by operation, kind and status');

    // The recorded request reproduces the bug on a fresh app.
    const again = await createApp().inject({ method: 'POST', url: '/items', headers: blank?.request.headers ?? {}, body: blank?.request.body ?? null });
    assert.equal(again.status, 500);
  });

  it('reports no finding on the fixed app', async () => {
    for (const seed of [1, 2, 'fixed']) {
      const report = await fuzz(createApp({ fixed: true }), { seed, runs: 200 });
      assert.deepEqual(summary(report), [], formatFuzzReport(report));
      assert.equal(report.passed, true);
    }
  });

  it('reports nothing on a correct app with unions, enums, nested objects, arrays and a recursive schema', async () => {
    interface Node {
      name: string;
      children?: Node[] | undefined;
    }
    const TreeNode: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string().max(20), children: z.array(TreeNode).max(3).optional() }));
    const Order = z.object({
      customer: z.object({ email: z.email(), vip: z.boolean().optional() }),
      lines: z.array(z.object({ sku: z.string().regex(/^[A-Z]{3}-\d{2}$/), qty: z.number().int().min(1).max(99) })).min(1).max(5),
      note: z.string().max(200).nullable().optional(),
      status: z.enum(['draft', 'placed']),
      tree: TreeNode.optional(),
    });
    const app = new CovetApp({ logger: memoryLogger() });
    const Query = z.object({ discount: z.coerce.number().min(0).max(1).nullable().optional(), mode: z.enum(['fast', 'safe']).optional() });
    // A 400 is `{"errors": …}` from validation or `{"error": …}` for a body that is not JSON.
    const BadRequest = { type: 'object', anyOf: [{ required: ['errors'] }, { required: ['error'] }] };
    const response = { 201: { type: 'object', required: ['lines'] }, 400: BadRequest };
    app.post('/orders/{shop:uuid}', { body: Order, query: Query, response }, async (req) => {
      const order = await req.json();
      return new Response(JSON.stringify({ lines: order.lines.length }), { status: 201, headers: { 'content-type': 'application/json' } });
    });
    const report = await fuzz(app, { seed: 5, runs: 300 });
    assert.deepEqual(summary(report), [], formatFuzzReport(report));
    assert.ok(report.byKind.valid > 50 && report.byKind.invalid > 50, JSON.stringify(report.byKind));
  });

  it('accepts the documented 400 of a validated route: malformed JSON is not a schema violation', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    const Item = z.object({ name: z.string().min(1).max(40), qty: z.number().int().min(0).max(10) });
    app.post('/items', { body: Item, response: { 201: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } }, async () => [{ ok: true }, 201]);
    const report = await fuzz(app, { seed: 3, runs: 200 });
    assert.deepEqual(summary(report), [], formatFuzzReport(report));
    assert.ok(report.byKind.invalid > 20, JSON.stringify(report.byKind));
  });

  it('is deterministic: the same seed finds the same findings with the same requests', async () => {
    const strip = (r: FuzzReport) => ({ ...r, durationMs: 0 });
    assert.deepEqual(strip(await fuzz(createApp(), { seed: 99, runs: 60 })), strip(await fuzz(createApp(), { seed: 99, runs: 60 })));
    const random = await fuzz(createApp({ fixed: true }), { runs: 5 });
    assert.match(random.seed, /^\d+$/);
  });

  it('warns about invalid requests accepted with a 2xx; only --fail-on any fails on warnings', async () => {
    const app = new CovetApp();
    app.get('/page', () => ({ ok: true }));
    const document = docFor('/page', [{ name: 'n', in: 'query', required: true, schema: { type: 'integer', minimum: 1 } }]);
    const report = await fuzz(app, { document, seed: 1, runs: 30 });
    assert.deepEqual(summary(report), ['invalid-accepted GET /page 200']);
    assert.equal(report.findings[0]?.severity, 'warning');
    assert.equal(report.findings[0]?.message, 'accepted an invalid request with 200');
    assert.equal(report.passed, true);
    assert.equal((await fuzz(app, { document, seed: 1, runs: 30, failOn: 'any' })).passed, false);
    assert.match(formatFuzzReport(report), /^WARNING invalid-accepted GET \/page: accepted an invalid request with 200 \(\d+ requests\)$/m);
  });

  it('turns invalid-accepted checks off when no conforming request can be generated', async () => {
    const app = new CovetApp();
    app.get('/signup', () => ({ ok: true }));
    // Lookaheads are past the pattern generator: no valid password, so "invalid" means nothing.
    const strong = { type: 'string', pattern: '^(?=.*[A-Z])(?=.*\\d).{8,}$' };
    const report = await fuzz(app, { document: docFor('/signup', [{ name: 'password', in: 'query', required: true, schema: strong }]), seed: 1, runs: 20 });
    assert.deepEqual(summary(report), []);
    assert.deepEqual(report.notes, [
      { operation: 'GET /signup', message: 'no request conforming to the document could be generated; invalid-accepted checks are off' },
    ]);
  });

  it('says when every request of an operation was refused for want of credentials', async () => {
    const app = new CovetApp();
    app.get('/admin', (req) => {
      if (req.headers.get('authorization') !== 'Bearer t') throw new HTTPException(401, 'Unauthorized');
      return { ok: true };
    });
    const refused = await fuzz(app, { document: docFor('/admin'), seed: 1, runs: 3 });
    assert.deepEqual(refused.notes, [{ operation: 'GET /admin', message: 'every request was refused with 401/403: pass credentials (headers, --header)' }]);
    const allowed = await fuzz(app, { document: docFor('/admin'), seed: 1, runs: 3, headers: { authorization: 'Bearer t' } });
    assert.deepEqual(allowed.notes, []);
  });

  it('reports a response of the wrong content type as a schema violation; --fail-on 5xx passes it', async () => {
    const app = new CovetApp();
    app.get('/n', () => 'plain text');
    const document = docFor('/n', [], { type: 'object' });
    const report = await fuzz(app, { document, seed: 1, runs: 3 });
    assert.deepEqual(summary(report), ['schema-violation GET /n 200']);
    assert.deepEqual(report.findings[0]?.details, ['content-type is text/plain; charset=utf-8, the document declares JSON']);
    assert.equal((await fuzz(app, { document, seed: 1, runs: 3, failOn: '5xx' })).passed, true);
  });

  it('reports timeouts and crashes, most severe first', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/hang', () => new Promise(() => {}));
    const hang = await fuzz(app, { document: docFor('/hang'), seed: 1, runs: 2, timeoutMs: 30 });
    assert.deepEqual(summary(hang), ['timeout GET /hang null']);
    assert.equal(hang.findings[0]?.occurrences, 2);
    const broken = {
      inject: async () => {
        throw new RangeError('dispatch failed');
      },
    };
    const crash = await fuzz(broken, { document: docFor('/x'), seed: 1, runs: 1 });
    assert.deepEqual(summary(crash), ['crash GET /x null']);
    assert.equal(crash.findings[0]?.message, 'dispatch threw RangeError: dispatch failed');
  });

  it('stops at maxFailures, filters operations and adds headers', async () => {
    const report = await fuzz(createApp(), { seed: 1, runs: 200, maxFailures: 1 });
    assert.equal(report.findings.length, 1);
    assert.equal(report.stoppedEarly, true);
    assert.ok(report.requests < 800);
    const seen: string[] = [];
    const only = await fuzz(createApp(), {
      seed: 1,
      runs: 5,
      include: (op) => op === 'GET /items',
      headers: { authorization: 'Bearer t' },
      onCase: (c) => seen.push(c.request.headers.authorization ?? ''),
    });
    assert.equal(only.operations, 1);
    assert.deepEqual(seen, ['Bearer t', 'Bearer t', 'Bearer t', 'Bearer t', 'Bearer t']);
  });

  it('needs a document: the app has none without openapi()', async () => {
    const app = new CovetApp();
    await assert.rejects(fuzz({ inject: () => app.inject({ url: '/' }) }), {
      name: 'TypeError',
      message: 'fuzz needs an OpenAPI document: this app has no openapi(); pass options.document',
    });
  });
});
