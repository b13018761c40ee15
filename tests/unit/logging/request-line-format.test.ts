// A request line written to a file goes out as bytes written one by one, never as text; these
// tests hold those bytes to the text the same line makes (which request-line.test.ts holds to
// the general writer), for every kind of value a request brings, and check a logger writing
// to a file end to end.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { StructuredLogger } from '../../../src/logging/index.js';
import { Redactor } from '../../../src/logging/redact.js';
import { type RequestLineFields, requestLineFormat } from '../../../src/logging/request-line-format.js';
import { logSink } from '../../helpers/log-sink.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

const base: RequestLineFields = {
  time: Date.UTC(2026, 10, 27, 8, 0, 0, 123),
  level: 'INFO',
  message: 'Request completed',
  id: '1b4e28ba-2fa1-4d2e-883f-0016d3cca427',
  generatedId: true,
  method: 'GET',
  path: '/items/7',
  route: '/items/{id}',
  status: 200,
  durationMs: 0.042,
  userAgentJson: JSON.stringify('curl/8.5'),
};

const variants: Partial<RequestLineFields>[] = [
  {},
  { id: undefined, route: undefined, durationMs: undefined, userAgentJson: undefined },
  { level: 'ERROR', message: 'Request failed', status: 503 },
  { id: 'abc-1', generatedId: false },
  { id: JWT, generatedId: false },
  { path: '/caf\u00e9/\u{1f600}/\u65e5\u672c' },
  { path: '/q"uote\\back\u0001ctl\u007f' },
  { path: '/items/x;token=s3cr3t-value' },
  { path: '/lone\ud800surrogate' },
  { path: `/${'long-segment/'.repeat(400)}` },
  { route: '/caf\u00e9/{name}', method: 'PROPFIND' },
  { durationMs: 0 },
  { durationMs: 0.001 },
  { durationMs: 0.5 },
  { durationMs: 12.25 },
  { durationMs: 1234.567 },
  { durationMs: 86_400_000.001 },
  { durationMs: 1e-7 },
  { userAgentJson: JSON.stringify('Mozilla/5.0 (X11) "q" \u00fc') },
  { time: Date.UTC(2026, 0, 1) },
];

function bytesOf(format: ReturnType<typeof requestLineFormat>, line: RequestLineFields, size = 1024 * 1024): string | null {
  const buf = Buffer.alloc(size);
  const end = format.write(line, buf, 3);
  return end === -1 ? null : buf.toString('utf8', 3, end);
}

describe('request line bytes', () => {
  for (const [name, redactor] of [
    ['built-in redaction', new Redactor()],
    ['a custom pattern with a long censor', new Redactor({ patterns: [/e/g], censor: '<<removed by policy>>' })],
  ] as const) {
    it(`are the line’s text, for every kind of value (${name})`, () => {
      for (const logger of [undefined, 'api "v2"']) {
        const format = requestLineFormat(logger, redactor);
        for (const v of variants) {
          const line = { ...base, ...v };
          const text = format.text(line);
          assert.equal(bytesOf(format, line), text, JSON.stringify(v));
          // Each one is a JSON object on its own line.
          assert.equal(typeof JSON.parse(text), 'object');
          assert.ok(text.endsWith('}\n'));
        }
      }
    });
  }

  it('writes nothing and answers -1 when the buffer is too small', () => {
    const format = requestLineFormat(undefined, new Redactor());
    const buf = Buffer.alloc(120, 0x78);
    assert.equal(format.write(base, buf, 0), -1);
    assert.equal(buf.toString('latin1'), 'x'.repeat(120));
    assert.equal(bytesOf(format, { ...base, path: '/a'.repeat(5000) }, 1024), null);
  });

  it('go to a file as the same lines a stream destination gets, whatever the batch size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-line-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'requests.log');
    const file = createWriteStream(path);
    await new Promise((resolve) => file.once('open', resolve));
    const sink = logSink();
    const loggers = [new StructuredLogger({ destination: file }), new StructuredLogger({ destination: sink.stream })];
    for (const logger of loggers) {
      const app = new CovetApp({ logger: { info() {}, error() {} } });
      app.addMiddleware(logger.middleware());
      app.get('/{any:path}', () => ({ ok: true }));
      // Enough requests that batches outgrow their first buffer; a long path among them.
      for (let i = 0; i < 600; i++) {
        const url = i === 300 ? `/${'x'.repeat(20_000)}` : `/caf%C3%A9/${i}?q=1`;
        await app.inject({ url, headers: { 'x-request-id': `r-${i}`, 'user-agent': i % 2 ? 'a "b"' : 'c' } });
      }
      await logger.flush();
    }
    await new Promise((resolve) => file.end(resolve));
    const strip = (line: string) => line.replace(/"timestamp":"[^"]+"/, '').replace(/"durationMs":[0-9.e-]+/, '');
    const fromFile = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const fromStream = sink.raw().split('\n').filter(Boolean);
    assert.equal(fromFile.length, 600);
    assert.deepEqual(fromFile.map(strip), fromStream.map(strip));
    assert.equal((JSON.parse(fromFile[1] as string) as { path: string }).path, '/café/1');
    assert.equal((JSON.parse(fromFile[300] as string) as { path: string }).path.length, 20_001);
  });
});
