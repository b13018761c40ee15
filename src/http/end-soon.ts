import { AsyncResource } from 'node:async_hooks';
import { IncomingMessage, type ServerResponse } from 'node:http';

// Responses ended in this turn of the event loop, as pairs: the response, then its body.
let pending: (ServerResponse | string | Uint8Array | undefined)[] = [];

function flush(): void {
  const batch = pending;
  pending = [];
  for (let i = 0; i < batch.length; i += 2) {
    const res = batch[i] as ServerResponse;
    const body = batch[i + 1] as string | Uint8Array | undefined;
    skipDump(res.req);
    try {
      if (body === undefined) res.end();
      else res.end(body);
    } catch {
      // A response whose connection broke meanwhile: the others still go out.
      res.destroy();
    }
  }
}

/**
 * Spares Node the work of draining a request stream that has nothing left to drain. After a
 * response, Node's server "dumps" a request nobody read (`_dump`: resume, read to the end,
 * destroy), so that unread body bytes are pulled off the connection. A request that arrived
 * whole with nothing buffered (every GET) has no such bytes, yet the dump still costs seven
 * `process.nextTick`s — each one running the async-hooks callbacks while `AsyncLocalStorage`
 * is in use. Node skips the dump for a request marked as being read; this marks only those.
 * (Without the internal flag, as on a future Node, the dump simply happens.)
 */
function skipDump(req: unknown): void {
  if (req instanceof IncomingMessage && req.complete && req.readableLength === 0) (req as IncomingMessage & { _consuming: boolean })._consuming = true;
}

// The writes run in no request's async context: what they trigger (`finish` listeners) must not
// see the context of the request that happened to schedule the batch.
const flushOutsideRequests = AsyncResource.bind(flush);

/**
 * Ends `res` (its head already written with `writeHead`) at the end of this turn of the event
 * loop, together with every other response finished in it, as uWebSockets corks its writes.
 *
 * A server under load reads many requests per turn. Written one by one, between reads, each
 * response's system call usually has to wake the client up again; written back to back, only
 * the first does. On loopback with the load generator on another CPU that wake-up cost more
 * than the rest of a small request, and it grew with every microsecond a handler took.
 */
export function endSoon(res: ServerResponse, body?: string | Uint8Array): void {
  if (pending.length === 0) setImmediate(flushOutsideRequests);
  pending.push(res, body);
}

/** Whether `res` was handed to `endSoon` and waits for this turn's batch to be written. */
export function isEndingSoon(res: ServerResponse): boolean {
  return pending.includes(res);
}
