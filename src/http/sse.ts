import { Response } from '../response.js';

/** One Server-Sent Event; an object `data` is sent as JSON. */
export interface SSEEvent {
  readonly data: unknown;
  readonly event?: string;
  readonly id?: string | number;
  /** Reconnection delay for the browser, in milliseconds. */
  readonly retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

function field(name: string, value: string): string {
  if (LINE_BREAK.test(value)) throw new TypeError(`SSE ${name} must not contain line breaks`);
  return `${name}: ${value}\n`;
}

/** Formats one event in the `text/event-stream` wire format. */
export function formatEvent(item: string | SSEEvent): string {
  if (typeof item === 'string') return `${item.split(LINE_BREAK).map((l) => `data: ${l}`).join('\n')}\n\n`;
  // Any other value without the event fields (a plain record, a number) is the data itself,
  // sent as JSON — never dropped.
  if (typeof item !== 'object' || item === null || !('data' in item || 'event' in item || 'id' in item || 'retry' in item)) {
    return formatEvent({ data: item });
  }
  let out = '';
  if (item.event !== undefined) out += field('event', item.event);
  if (item.id !== undefined) out += field('id', String(item.id));
  if (item.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(item.retry))}\n`;
  const data = typeof item.data === 'string' ? item.data : JSON.stringify(item.data);
  for (const line of (data ?? '').split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Options of `sse()`. */
export interface SSEOptions {
  /**
   * Milliseconds of silence after which a comment line (`: ping`) is sent, so proxies keep the
   * connection open and a client that left is noticed. Default 15 000; 0 turns it off.
   */
  readonly heartbeat?: number;
  /** Reconnection delay for the browser in ms, sent once at the start (`retry:`). */
  readonly retry?: number;
}

const HEARTBEAT = Symbol('heartbeat');

type EventSourceLike = AsyncIterable<string | SSEEvent> | Iterable<string | SSEEvent>;

async function* encode(events: EventSourceLike, options: SSEOptions): AsyncGenerator<string> {
  // The first bytes make the browser's EventSource fire `open` right away.
  yield options.retry === undefined ? ': connected\n\n' : `retry: ${Math.max(0, Math.floor(options.retry))}\n\n`;
  const iterator =
    Symbol.asyncIterator in events
      ? (events as AsyncIterable<string | SSEEvent>)[Symbol.asyncIterator]()
      : (events as Iterable<string | SSEEvent>)[Symbol.iterator]();
  const heartbeat = options.heartbeat ?? 15_000;
  let done = false;
  try {
    let pending = Promise.resolve(iterator.next());
    for (;;) {
      let step: IteratorResult<string | SSEEvent> | typeof HEARTBEAT;
      if (heartbeat > 0) {
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<typeof HEARTBEAT>((resolve) => {
          timer = setTimeout(resolve, heartbeat, HEARTBEAT);
        });
        step = await Promise.race([pending, tick]);
        clearTimeout(timer);
      } else {
        step = await pending;
      }
      if (step === HEARTBEAT) {
        yield ': ping\n\n';
        continue; // the same `pending` is still on its way
      }
      if (step.done) {
        done = true;
        return;
      }
      yield formatEvent(step.value);
      pending = Promise.resolve(iterator.next());
    }
  } finally {
    // The client left (or the stream failed): let the source run its `finally`.
    if (!done) void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}

/**
 * A Server-Sent Events response: each item is a string (sent as `data:`) or
 * `{ event?, id?, retry?, data }`. Heartbeat comments keep idle connections open; when the
 * client leaves, the source's `finally` runs. A reconnecting browser sends the last `id` it
 * saw as `req.lastEventId`.
 *
 * @example
 * app.get('/events', (req) => sse(feed.since(req.lastEventId), { heartbeat: 10_000 }))
 */
export function sse(events: EventSourceLike, options: SSEOptions = {}): Response {
  return new Response(encode(events, options), {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Tell nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}
