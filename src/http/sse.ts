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
const CLOSED = Symbol('closed');

type EventSourceLike = AsyncIterable<string | SSEEvent> | Iterable<string | SSEEvent>;

/**
 * The SSE body: the opening bytes, then the source's events with heartbeat comments between
 * them. An iterator object rather than an async generator, so that `return()` — the client
 * left — acts at once, even while an event is awaited: a generator busy in an `await` would
 * only return after it, keeping the source (a subscription) open until its next event.
 */
class EventStream implements AsyncIterableIterator<string> {
  readonly #source: Iterator<string | SSEEvent> | AsyncIterator<string | SSEEvent>;
  readonly #heartbeat: number;
  #opening: string | null;
  #pending: Promise<IteratorResult<string | SSEEvent>> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #wake: ((step: typeof HEARTBEAT | typeof CLOSED) => void) | null = null;
  #closed = false;

  constructor(events: EventSourceLike, options: SSEOptions) {
    // The first bytes make the browser's EventSource fire `open` right away.
    this.#opening = options.retry === undefined ? ': connected\n\n' : `retry: ${Math.max(0, Math.floor(options.retry))}\n\n`;
    this.#source =
      Symbol.asyncIterator in events
        ? (events as AsyncIterable<string | SSEEvent>)[Symbol.asyncIterator]()
        : (events as Iterable<string | SSEEvent>)[Symbol.iterator]();
    this.#heartbeat = options.heartbeat ?? 15_000;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.#closed) return { done: true, value: undefined };
    if (this.#opening !== null) {
      const opening = this.#opening;
      this.#opening = null;
      return { done: false, value: opening };
    }
    // A heartbeat leaves the same request for the next event on its way.
    this.#pending ??= Promise.resolve(this.#source.next());
    const wait = new Promise<typeof HEARTBEAT | typeof CLOSED>((resolve) => {
      this.#wake = resolve;
      if (this.#heartbeat > 0) this.#timer = setTimeout(resolve, this.#heartbeat, HEARTBEAT);
    });
    let step: IteratorResult<string | SSEEvent> | typeof HEARTBEAT | typeof CLOSED;
    try {
      step = await Promise.race([this.#pending, wait]);
    } catch (err) {
      this.#closed = true;
      throw err;
    } finally {
      clearTimeout(this.#timer);
      this.#wake = null;
    }
    if (step === CLOSED || this.#closed) return { done: true, value: undefined };
    if (step === HEARTBEAT) return { done: false, value: ': ping\n\n' };
    this.#pending = null;
    if (step.done) {
      this.#closed = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: formatEvent(step.value) };
  }

  /** The client left (or the stream failed): ends now and lets the source run its `finally`. */
  async return(): Promise<IteratorResult<string>> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#wake?.(CLOSED);
      void Promise.resolve(this.#source.return?.()).catch(() => {});
    }
    return { done: true, value: undefined };
  }
}

/** Whether `body` is the body `sse()` made: the server ends such streams when it shuts down. */
export function isEventStream(body: unknown): body is AsyncIterableIterator<string> {
  return body instanceof EventStream;
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
  return new Response(new EventStream(events, options), {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Tell nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}
