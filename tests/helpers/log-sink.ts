import { Writable } from 'node:stream';

/** A log destination that keeps what it receives: the raw text, and one parsed JSON object per line. */
export function logSink(): { stream: Writable; raw: () => string; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, raw: () => text, lines: () => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}
