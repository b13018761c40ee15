// A logger writing to a file (a file stream, or stdout redirected to a file) writes each batch
// straight to the file instead of through the stream's thread-pool writes — in order, and
// never to a descriptor the stream has closed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StructuredLogger } from '../../../src/logging/index.js';

const dir = mkdtempSync(join(tmpdir(), 'covet-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function opened(path: string, options?: Parameters<typeof createWriteStream>[1]) {
  const stream = createWriteStream(path, options);
  await new Promise((resolve) => stream.once('open', resolve));
  return stream;
}

const messages = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { message: unknown; i?: number }).i ?? (JSON.parse(l) as { message: unknown }).message);

describe('StructuredLogger to a file', () => {
  it('writes batches to a file stream’s file directly, every line in order', async () => {
    const path = join(dir, 'direct.log');
    const stream = await opened(path);
    const logger = new StructuredLogger({ destination: stream });
    for (let i = 0; i < 3000; i++) logger.info('line', { i });
    await logger.flush();
    assert.deepEqual(messages(path), Array.from({ length: 3000 }, (_, i) => i));
    // The stream itself wrote nothing: no thread-pool round trip per batch.
    assert.equal(stream.bytesWritten, 0);
    stream.end();
  });

  it('appends after what the stream still has queued, and after earlier content in append mode', async () => {
    const path = join(dir, 'append.log');
    writeFileSync(path, `${JSON.stringify({ message: 'before' })}\n`);
    const stream = await opened(path, { flags: 'a' });
    stream.write(`${JSON.stringify({ message: 'queued in the stream' })}\n`);
    const logger = new StructuredLogger({ destination: stream });
    logger.info('from the logger');
    await logger.flush();
    await new Promise((resolve) => stream.end(resolve));
    assert.deepEqual(messages(path), ['before', 'queued in the stream', 'from the logger']);
  });

  it('leaves a stream that writes at its own offset (start) to the stream', async () => {
    const path = join(dir, 'start.log');
    writeFileSync(path, 'x'.repeat(10));
    const stream = await opened(path, { flags: 'r+', start: 4 });
    const logger = new StructuredLogger({ destination: stream });
    logger.info('at four');
    await logger.flush();
    await new Promise((resolve) => stream.end(resolve));
    const text = readFileSync(path, 'utf8');
    assert.equal(text.slice(0, 4), 'xxxx');
    assert.equal((JSON.parse(text.slice(4).split('\n')[0] as string) as { message: string }).message, 'at four');
  });

  it('never writes to the descriptor of a stream that was closed', async () => {
    const path = join(dir, 'closed.log');
    const stream = await opened(path);
    const logger = new StructuredLogger({ destination: stream });
    logger.info('first');
    await logger.flush();
    const oldFd = (stream as unknown as { fd: number | null }).fd;
    await new Promise((resolve) => stream.end(resolve));
    if (!stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
    // The number is free again: the next file opened gets it.
    const other = join(dir, 'other.log');
    const fd = openSync(other, 'w');
    assert.equal(fd, oldFd);
    const quietError = (err: Error) => assert.equal((err as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
    stream.on('error', quietError);
    logger.info('second');
    // Not `flush()`: the ended stream never drains. The batch goes out within 5 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
    closeSync(fd);
    assert.equal(readFileSync(other, 'utf8'), '');
    assert.deepEqual(messages(path), ['first']);
  });

  it('writes stdout redirected to a file the same way', () => {
    const path = join(dir, 'stdout.log');
    const entry = fileURLToPath(new URL('../../../src/logging/index.ts', import.meta.url));
    const script = `import { StructuredLogger } from ${JSON.stringify(entry)};
const logger = new StructuredLogger();
for (let i = 0; i < 500; i++) logger.info('line', { i });
await logger.flush();
for (let i = 500; i < 510; i++) logger.info('line', { i });`;
    const fd = openSync(path, 'w');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    closeSync(fd);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(messages(path), Array.from({ length: 510 }, (_, i) => i));
  });
});
