// Routes whose streamed body fails before its first chunk, shared by the socket test
// (tests/integration/server.test.ts) and the in-process one (tests/unit/in-process-stream-errors.test.ts),
// so both paths are held to the same answers.
import { type CovetApp, Depends, HTTPException, stream } from '../../src/index.js';

/** A generator dependency that records `commit` or `rollback: <message>` in `events`. */
export function recordingTx(events: string[]): () => AsyncGenerator<null> {
  return async function* tx() {
    try {
      yield null;
      events.push('commit');
    } catch (err) {
      events.push(`rollback: ${(err as Error).message}`);
      throw err;
    }
  };
}

/**
 * Adds `/fails` (throws before any chunk, behind a recording transaction), `/gone` (an empty
 * chunk, then a 404 `HTTPException`) and `/empty` (no chunks at all) to `app`.
 */
export function addFailingStreams(app: CovetApp, events: string[]): void {
  app.get('/fails', { deps: { tx: Depends(recordingTx(events)) } }, () =>
    stream(
      (async function* () {
        throw new Error('no data');
      })(),
    ),
  );
  app.get('/gone', () =>
    stream(
      (async function* () {
        yield '';
        throw new HTTPException(404, 'Nothing to stream');
      })(),
    ),
  );
  app.get('/empty', () => stream((async function* () {})(), 'text/plain'));
}
