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
  let out = '';
  if (item.event !== undefined) out += field('event', item.event);
  if (item.id !== undefined) out += field('id', String(item.id));
  if (item.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(item.retry))}\n`;
  const data = typeof item.data === 'string' ? item.data : JSON.stringify(item.data);
  for (const line of (data ?? '').split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

async function* encode(events: AsyncIterable<string | SSEEvent> | Iterable<string | SSEEvent>): AsyncGenerator<string> {
  for await (const item of events) yield formatEvent(item);
}

/**
 * A Server-Sent Events response: each item is a string (sent as `data:`) or
 * `{ event?, id?, retry?, data }`. The stream ends when the iterable ends; when the client
 * leaves, the iterable's `finally` runs.
 *
 * @example
 * app.get('/events', () => sse((async function* () { yield { event: 'tick', data: { n: 1 } } })()))
 */
export function sse(events: AsyncIterable<string | SSEEvent> | Iterable<string | SSEEvent>): Response {
  return new Response(encode(events), {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Tell nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}
