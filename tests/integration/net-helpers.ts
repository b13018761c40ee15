// Small socket-level helpers for the integration tests: raw TCP exchanges (for what `fetch`
// cannot send or cannot see), `node:http` requests with full control over the connection, and
// promise utilities that fail loudly instead of hanging.
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type Socket } from 'node:net';

/** A promise with its resolve/reject exposed (Node 20 lacks `Promise.withResolvers`). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = (v) => {
      settled = true;
      res(v);
    };
    reject = (e) => {
      settled = true;
      rej(e);
    };
  });
  return {
    promise,
    resolve,
    reject,
    get settled() {
      return settled;
    },
  };
}

/** Rejects with a descriptive error when `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `read` until its value stops changing for `quietMs` (or `maxMs` passes); returns it. */
export async function waitUntilStable(read: () => number, quietMs: number, maxMs: number): Promise<number> {
  const start = Date.now();
  let last = read();
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 25));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  return read();
}

/** What a raw exchange saw: every byte received, and when and how the socket ended. */
export interface RawResult {
  readonly text: string;
  readonly status: number | null;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Milliseconds from connect to the socket closing. */
  readonly elapsed: number;
  /** A socket error seen on the way (EPIPE/ECONNRESET after the server hung up). */
  readonly error: (Error & { code?: string }) | null;
}

function parseRaw(text: string): Pick<RawResult, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: m ? Number(m[1]) : null, headers, body: end === -1 ? '' : text.slice(end + 4) };
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, lets `drive` write to it, and resolves with
 * everything received once the server closes the connection.
 */
export function rawExchange(port: number, drive: (socket: Socket) => void, timeoutMs = 15_000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const chunks: Buffer[] = [];
    let error: (Error & { code?: string }) | null = null;
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      error = err;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, ...parseRaw(text), elapsed: Date.now() - start, error });
    });
    socket.once('connect', () => drive(socket));
  });
}

/** A finished `node:http` response. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  readonly socket: Socket;
  readonly reusedSocket: boolean;
}

/** One request with `node:http` (an `agent` to control connection reuse); reads the whole body. */
export function request(
  port: number,
  options: http.RequestOptions & { body?: string | Buffer } = {},
): Promise<HttpResult> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...rest }, (res) => {
      // Captured now: a keep-alive agent detaches the socket from `res` once the body ends.
      const socket = res.socket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          text: buf.toString('utf8'),
          socket,
          reusedSocket: req.reusedSocket,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
