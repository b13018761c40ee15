import type { Duplex } from 'node:stream';
import { MAX_JSON_DEPTH, screenJson, TOO_DEEP } from '../body.js';
import type { QueryParams } from '../query-params.js';
import type { RequestHeaders } from '../headers.js';
import type { ClientAddress, Request, RequestURL } from '../../request.js';
import type { RequestState } from '../../types.js';
import { closePayload, encodeFrame, encodeTextFrame, OPCODES } from './frame.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { Receiver, type ReceiverHandlers } from './receiver.js';
import { WebSocketDisconnect } from './websocket-disconnect.js';
import { WebSocketError } from './websocket-error.js';
import type { ResolvedWebSocketOptions } from './websocket-options.js';
import { isValidCloseCode } from './close-codes.js';

/** Where a connection is in its life. */
export type WebSocketReadyState = 'connecting' | 'open' | 'closing' | 'closed';

/** How a connection ended: the close code and reason (see `WebSocketDisconnect`). */
export interface WebSocketClose {
  readonly code: number;
  readonly reason: string;
}

/** A message encoded once for many sockets (`PreparedMessage` fits). */
export interface PreparedMessageLike {
  readonly opcode: number;
  readonly payload: Buffer;
  readonly frame: Buffer | [Buffer, Buffer];
}

/** Options of `accept`. */
export interface AcceptOptions {
  /** Extra headers for the 101 response (cookies, say). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** How a server connection completes or refuses its handshake; the app provides it. */
export interface HandshakeControl {
  /** Sends the 101 response (with `subprotocol` and `headers`), then attaches the socket. */
  accept(subprotocol: string | null, headers: Readonly<Record<string, string>>): Promise<void>;
  /** The handler closed before accepting: refuse the upgrade (HTTP 403). */
  deny(): void;
}

/** What the app or the test client builds a WebSocket from. */
export interface WebSocketInit<Params> {
  /** Server connections expect masked frames and send unmasked ones; clients the reverse. */
  readonly isServer: boolean;
  /** The opening handshake request (for a client connection: the request it sent). */
  readonly request: Request<Params>;
  readonly options: ResolvedWebSocketOptions;
  /** Subprotocols the client offered. */
  readonly offeredProtocols: readonly string[];
  /** `null` for a connection that is open from the start (clients). */
  readonly handshake: HandshakeControl | null;
}

/** @internal Attaches the upgraded socket (the app calls it once the 101 is written). */
export const kAttach = Symbol('covet.websocket.attach');
/** @internal Marks a connection that never opened as closed (refused, or its socket vanished). */
export const kAbandon = Symbol('covet.websocket.abandon');
const kBeat = Symbol('covet.websocket.beat');

/**
 * One timer per heartbeat interval for all connections, not one per connection: 10,000 open
 * sockets cost one `setInterval`. A connection joins mid-period, so a silent peer is dropped
 * between one and two intervals after it went quiet.
 */
const heartbeats = new Map<number, { readonly timer: NodeJS.Timeout; readonly sockets: Set<WebSocket<unknown>> }>();

function watchHeartbeat(ws: WebSocket<unknown>, interval: number): void {
  let group = heartbeats.get(interval);
  if (group === undefined) {
    const sockets = new Set<WebSocket<unknown>>();
    const timer = setInterval(() => {
      for (const socket of sockets) socket[kBeat]();
    }, interval);
    timer.unref();
    heartbeats.set(interval, (group = { timer, sockets }));
  }
  group.sockets.add(ws);
}

function unwatchHeartbeat(ws: WebSocket<unknown>, interval: number): void {
  const group = heartbeats.get(interval);
  if (group === undefined) return;
  group.sockets.delete(ws);
  if (group.sockets.size === 0) {
    clearInterval(group.timer);
    heartbeats.delete(interval);
  }
}

interface Waiter {
  readonly resolve: (value: never) => void;
  readonly reject: (err: unknown) => void;
  /** For `for await`: resolve with an iterator result, and end (not throw) on a disconnect. */
  readonly iterate: boolean;
}

/** What `#writeFrame` waits for: the resolvers of one write, or `null` when nobody waits. */
type PendingWrite = { readonly resolve: () => void; readonly reject: (err: unknown) => void } | null;

const ITERATION_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const RESOLVED = Promise.resolve();

interface SendJob {
  readonly opcode: number;
  readonly payload: Buffer;
  readonly compress: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  /** For close frames: what to do once written. */
  readonly after?: () => void;
}

const MAX_REASON_BYTES = 123;

function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = reason.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}

function noop(): void {}

function toBuffer(data: Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One WebSocket connection, as a handler sees it (and as `TestClient.websocketConnect` returns
 * it): `accept`, `receive*`, `send*`, `close`, `for await`, plus the opening request's
 * `params`, `headers`, `url`, `cookies` and a per-connection `state` bag.
 *
 * Every `send*` resolves once the frame is handed to the operating system, so awaiting sends
 * paces a handler to the client; `receive*` throws `WebSocketDisconnect` once the peer has
 * closed (after the messages that came before its close frame).
 *
 * @example
 * app.websocket('/echo/{room}', async (ws) => {
 *   await ws.accept();
 *   for await (const message of ws) await ws.send(`${ws.params.room}: ${String(message)}`);
 * });
 */
export class WebSocket<Params = Record<string, unknown>> implements AsyncIterable<string | Buffer> {
  /** The opening handshake request (cookies, session, `resolve(dep)`…). */
  readonly request: Request<Params>;
  /** Path parameters of the route, converted like HTTP routes' (`{id:int}` → number). */
  readonly params: Params;
  /** Resolves once the connection is closed, with the close code and reason. Never rejects. */
  readonly closed: Promise<WebSocketClose>;
  /** Response headers of the handshake, on client connections (`null` on server ones). */
  responseHeaders: Headers | null = null;

  readonly #isServer: boolean;
  readonly #options: ResolvedWebSocketOptions;
  readonly #offered: readonly string[];
  #handshake: HandshakeControl | null;
  #readyState: WebSocketReadyState;
  #accepting: Promise<void> | null = null;
  #accepted = false;
  #socket: Duplex | null = null;
  #receiver: Receiver | null = null;
  #deflate: PerMessageDeflate | null = null;
  #subprotocol: string | null = null;
  #extensions = '';

  #closeCode: number | null = null;
  #closeReason = '';
  #closeSent = false;
  #closeWritten = false;
  /** A close (echo or failure) is about to be sent: `close()` must not send its own. */
  #closeScheduled = false;
  #endWhenWritten = false;
  #receiveDone = false;
  /**
   * The handler has been told the peer closed (a `receive*` threw `WebSocketDisconnect`, or
   * `for await` ended): from then on `send*` rejects, as in `ws` and Starlette, even while the
   * close echo waits for answers to the messages before the close frame.
   */
  #disconnectSeen = false;
  #ended = false;
  #resolveClosed: (value: WebSocketClose) => void = noop;

  #messages: (string | Buffer)[] = [];
  #head = 0;
  #queuedBytes = 0;
  #waiters: Waiter[] = [];
  #paused = false;

  #alive = true;
  #heartbeat = false;
  #closeTimer: NodeJS.Timeout | null = null;

  #jobs: SendJob[] = [];
  /** Payload bytes of the messages in `#jobs` (waiting for zlib): they count as buffered. */
  #jobBytes = 0;
  #pumping = false;
  /** One entry per write made with `#written`, oldest first from `#pendingHead`. */
  readonly #pendingWrites: PendingWrite[] = [];
  #pendingHead = 0;

  constructor(init: WebSocketInit<Params>) {
    this.#isServer = init.isServer;
    this.request = init.request;
    this.params = init.request.params;
    this.#options = init.options;
    this.#offered = init.offeredProtocols;
    this.#handshake = init.handshake;
    this.#readyState = 'connecting';
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  // ------------------------------------------------------------------ the opening request

  /** Per-connection data (the opening request's `state`: what middleware and auth put there). */
  get state(): RequestState {
    return this.request.state;
  }

  /** Headers of the opening handshake request. */
  get headers(): RequestHeaders {
    return this.request.headers;
  }

  /** The URL of the opening request: `path`, raw `query`, `raw`. */
  get url(): RequestURL {
    return this.request.url;
  }

  /** The percent-decoded path. */
  get path(): string {
    return this.request.url.path;
  }

  /** The parsed query string (`ws.queryParams.get('token')`). */
  get queryParams(): QueryParams {
    return this.request.queryParams;
  }

  /** Cookies of the opening request. */
  get cookies(): Record<string, string> {
    return this.request.cookies;
  }

  /** The peer address. */
  get client(): ClientAddress {
    return this.request.client;
  }

  // ------------------------------------------------------------------ connection state

  /** `connecting` until accepted, then `open`, `closing` once a close frame went either way, `closed`. */
  get readyState(): WebSocketReadyState {
    return this.#readyState;
  }

  /** Whether the handshake completed (the connection is or was open). */
  get accepted(): boolean {
    return this.#accepted;
  }

  /** The subprotocol agreed in the handshake, or `null`. */
  get subprotocol(): string | null {
    return this.#subprotocol;
  }

  /** Subprotocols the client offered, in its order of preference. */
  get offeredSubprotocols(): readonly string[] {
    return this.#offered;
  }

  /** The `Sec-WebSocket-Extensions` agreed (empty when none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** The close code once closing (the peer's if it closed first, else ours; 1006 for a dropped connection). */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason that goes with `closeCode`. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Bytes sent but not yet handed to the operating system (messages waiting for zlib included). */
  get bufferedAmount(): number {
    return (this.#socket?.writableLength ?? 0) + this.#jobBytes;
  }

  // ------------------------------------------------------------------ handshake

  /**
   * Completes the handshake. `subprotocol` must be one the client offered; without it the
   * route's first supported `subprotocols` entry the client offered is used (or
   * `state.subprotocol`, set by `requireWebsocketToken`). Calling it again is harmless; the first
   * `send*`/`receive*` accepts implicitly.
   */
  accept(subprotocol?: string | null, options: AcceptOptions = {}): Promise<void> {
    if (this.#accepting !== null) return this.#accepting;
    if (this.#readyState !== 'connecting' || this.#handshake === null) {
      return this.#accepted ? Promise.resolve() : Promise.reject(this.#disconnect());
    }
    let chosen: string | null = null;
    if (subprotocol !== undefined && subprotocol !== null) {
      if (!this.#offered.includes(subprotocol)) {
        return Promise.reject(
          new WebSocketError(`The client did not offer subprotocol ${JSON.stringify(subprotocol)}`, 'ERR_WEBSOCKET_SUBPROTOCOL'),
        );
      }
      chosen = subprotocol;
    } else if (subprotocol === undefined) {
      const fromState = this.request.state.subprotocol;
      if (typeof fromState === 'string' && this.#offered.includes(fromState)) chosen = fromState;
      else chosen = this.#options.subprotocols.find((p) => this.#offered.includes(p)) ?? null;
    }
    this.#accepting = this.#handshake.accept(chosen, options.headers ?? {});
    return this.#accepting;
  }

  /** @internal */
  [kAttach](socket: Duplex, head: Buffer, deflate: PerMessageDeflate | null, subprotocol: string | null, extensions: string): void {
    // The handshake's callbacks (and what they hold) are no longer needed.
    this.#handshake = null;
    if (this.#accepting !== null) this.#accepting = RESOLVED;
    this.#socket = socket;
    this.#deflate = deflate;
    this.#subprotocol = subprotocol;
    this.#extensions = extensions;
    this.#accepted = true;
    this.#readyState = 'open';
    const options = this.#options;
    this.#receiver = new Receiver(
      { isServer: this.#isServer, maxMessageSize: options.maxMessageSize, maxFrameSize: options.maxFrameSize, deflate },
      this.#receiverHandlers,
    );
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onSocketClose);
    socket.on('error', noop);
    const tcp = socket as Duplex & { setNoDelay?: (on: boolean) => void; setTimeout?: (ms: number) => void };
    tcp.setNoDelay?.(true);
    tcp.setTimeout?.(0);
    if (socket.destroyed) {
      this.#finalize();
      return;
    }
    if (options.heartbeatInterval > 0) {
      this.#heartbeat = true;
      watchHeartbeat(this as WebSocket<unknown>, options.heartbeatInterval);
    }
    if (head.length > 0) this.#onData(head);
  }

  /** @internal */
  [kAbandon](code: number, reason: string): void {
    this.#handshake = null;
    if (this.#readyState === 'closed') return;
    this.#closeCode ??= code;
    if (this.#closeReason === '') this.#closeReason = reason;
    this.#finalize();
  }

  // ------------------------------------------------------------------ receiving

  /** The next message: a `string` for text, a `Buffer` for binary. */
  receive(): Promise<string | Buffer> {
    if (this.#head < this.#messages.length) return Promise.resolve(this.#dequeue());
    if (this.#readyState === 'connecting') return this.accept().then(() => this.receive());
    if (this.#receiveDone) {
      this.#disconnectSeen = true;
      return Promise.reject(this.#disconnect());
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve: resolve as (value: never) => void, reject, iterate: false });
    });
  }

  /** The next message as text; a binary message throws `WebSocketError` (`ERR_WEBSOCKET_MESSAGE_TYPE`). */
  async receiveText(): Promise<string> {
    const message = await this.receive();
    if (typeof message !== 'string')
      throw new WebSocketError('Expected a text message, got a binary one', 'ERR_WEBSOCKET_MESSAGE_TYPE', 1003);
    return message;
  }

  /** The next message as bytes; a text message throws `WebSocketError` (`ERR_WEBSOCKET_MESSAGE_TYPE`). */
  async receiveBytes(): Promise<Buffer> {
    const message = await this.receive();
    if (typeof message === 'string')
      throw new WebSocketError('Expected a binary message, got a text one', 'ERR_WEBSOCKET_MESSAGE_TYPE', 1003);
    return message;
  }

  /**
   * The next message (text, or UTF-8 bytes) parsed as JSON with the rules of request bodies:
   * `__proto__` keys (and `constructor` keys holding a `prototype`) dropped. Invalid JSON, or
   * JSON nested more than 1000 levels deep, throws `ERR_WEBSOCKET_INVALID_JSON`.
   */
  async receiveJson<T = unknown>(): Promise<T> {
    const message = await this.receive();
    const text = typeof message === 'string' ? message : message.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new WebSocketError(`The message is not valid JSON: ${(err as Error).message}`, 'ERR_WEBSOCKET_INVALID_JSON', 1007);
    }
    value = screenJson(value, text);
    if (value === TOO_DEEP) {
      throw new WebSocketError(`The message is JSON nested more than ${MAX_JSON_DEPTH} levels deep`, 'ERR_WEBSOCKET_INVALID_JSON', 1007);
    }
    return value as T;
  }

  /** Every message until the connection closes (then the loop ends, without throwing). */
  [Symbol.asyncIterator](): AsyncIterator<string | Buffer, undefined> {
    // A plain iterator object rather than an async generator, resolving straight to iterator
    // results: one promise per message, which matters on the echo/chat hot path.
    return {
      next: () => this.#next(),
      return: () => Promise.resolve(ITERATION_DONE),
    };
  }

  #next(): Promise<IteratorResult<string | Buffer, undefined>> {
    if (this.#head < this.#messages.length) return Promise.resolve({ done: false, value: this.#dequeue() });
    if (this.#readyState === 'connecting') {
      return this.accept().then(
        () => this.#next(),
        (err: unknown) => {
          if (err instanceof WebSocketDisconnect) return ITERATION_DONE;
          throw err;
        },
      );
    }
    if (this.#receiveDone) {
      this.#disconnectSeen = true;
      return Promise.resolve(ITERATION_DONE);
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve: resolve as (value: never) => void, reject, iterate: true });
    });
  }

  #dequeue(): string | Buffer {
    const message = this.#messages[this.#head] as string | Buffer;
    this.#messages[this.#head++] = '';
    if (this.#head === this.#messages.length) {
      this.#messages = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#messages.length) {
      this.#messages = this.#messages.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= message.length;
    if (this.#paused) this.#maybeResume();
    return message;
  }

  readonly #receiverHandlers: ReceiverHandlers = {
    onMessage: (data) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        (waiter.resolve as (value: unknown) => void)(waiter.iterate ? { done: false, value: data } : data);
        return;
      }
      this.#messages.push(data);
      this.#queuedBytes += data.length;
      if (this.#paused) this.#maybeResume();
      else this.#checkBackpressure();
    },
    onPing: (payload) => {
      if (this.#readyState !== 'open') return;
      // A peer that pings and never reads would grow the send buffer with pongs: the same
      // limit as for messages applies (dropped with 1008).
      const over = this.#overflowed();
      if (over !== null) {
        over.catch(noop);
        return;
      }
      this.#writeControl(OPCODES.PONG, payload);
    },
    onPong: noop,
    onClose: (code, reason) => this.#onCloseFrame(code, reason),
    onError: (error) => this.#fail(error.closeCode, error.message),
  };

  #onData = (chunk: Buffer): void => {
    this.#alive = true;
    const receiver = this.#receiver as Receiver;
    receiver.push(chunk);
    if (!this.#paused) this.#checkBackpressure();
  };

  /** Stops reading the socket while unread messages (or bytes waiting for zlib) pile up. */
  #checkBackpressure(): void {
    const limit = this.#options.receiveHighWaterMark;
    const receiver = this.#receiver;
    if (this.#queuedBytes > limit || (receiver?.inflating && receiver.buffered > limit)) {
      this.#paused = true;
      this.#socket?.pause();
    }
  }

  #maybeResume(): void {
    const limit = this.#options.receiveHighWaterMark / 2;
    const receiver = this.#receiver;
    if (this.#queuedBytes <= limit && !(receiver?.inflating && receiver.buffered > limit)) {
      this.#paused = false;
      this.#alive = true;
      this.#socket?.resume();
    }
  }

  // ------------------------------------------------------------------ sending

  /** Sends a text message (`string`) or a binary one (bytes). */
  send(data: string | Uint8Array | ArrayBuffer): Promise<void> {
    return typeof data === 'string' ? this.sendText(data) : this.sendBytes(data);
  }

  /** Sends a text message; resolves once it is flushed to the operating system. */
  sendText(data: string): Promise<void> {
    const text = String(data);
    // The common case (an open, uncompressed server socket, a short message) skips the
    // intermediate buffer: the string is encoded straight into the frame.
    if (this.#readyState === 'open' && !this.#disconnectSeen && this.#deflate === null && this.#isServer) {
      const frame = encodeTextFrame(text);
      if (frame !== null) return this.#overflowed() ?? this.#writeFrame(frame);
    }
    return this.#send(OPCODES.TEXT, Buffer.from(text, 'utf8'));
  }

  /** Sends a binary message. */
  sendBytes(data: Uint8Array | ArrayBuffer): Promise<void> {
    return this.#send(OPCODES.BINARY, toBuffer(data));
  }

  /** Sends `JSON.stringify(value)` as a text message (or binary with `{ binary: true }`). */
  sendJson(value: unknown, options: { readonly binary?: boolean } = {}): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) return Promise.reject(new TypeError(`sendJson: a ${typeof value} has no JSON form`));
    return this.#send(options.binary ? OPCODES.BINARY : OPCODES.TEXT, Buffer.from(text, 'utf8'));
  }

  /**
   * Sends a message encoded once for many sockets (see `PreparedMessage`); what broadcasts use.
   */
  sendPrepared(message: PreparedMessageLike): Promise<void> {
    if (this.#readyState !== 'open' || this.#disconnectSeen || !this.#isServer || this.#deflate !== null || this.#jobs.length > 0) {
      return this.#send(message.opcode, message.payload);
    }
    const refused = this.#overflowed();
    if (refused !== null) return refused;
    return this.#writeFrame(message.frame);
  }

  /** Sends a ping (control frames jump the queue of compressed messages). */
  ping(data: string | Uint8Array = ''): Promise<void> {
    const payload = typeof data === 'string' ? Buffer.from(data) : toBuffer(data);
    if (payload.length > 125)
      return Promise.reject(new WebSocketError('A ping payload must not exceed 125 bytes', 'ERR_WEBSOCKET_PROTOCOL'));
    if (this.#readyState !== 'open') return Promise.reject(this.#disconnect());
    return this.#writeFrame(encodeFrame(OPCODES.PING, payload, true, false, !this.#isServer));
  }

  #send(opcode: number, payload: Buffer): Promise<void> {
    if (this.#readyState !== 'open' || this.#disconnectSeen) {
      if (this.#readyState === 'connecting') return this.accept().then(() => this.#send(opcode, payload));
      return Promise.reject(this.#disconnect());
    }
    const refused = this.#overflowed();
    if (refused !== null) return refused;
    const deflate = this.#deflate;
    if (deflate === null) return this.#writeFrame(encodeFrame(opcode, payload, true, false, !this.#isServer));
    // With compression, messages go through a queue so that they stay in order while zlib works.
    return new Promise((resolve, reject) => {
      this.#jobs.push({ opcode, payload, compress: payload.length >= deflate.threshold, resolve, reject });
      this.#jobBytes += payload.length;
      if (!this.#pumping) void this.#pump();
    });
  }

  /** A slow reader: past `maxBufferedAmount` unsent bytes the connection is dropped, not buffered further. */
  #overflowed(): Promise<void> | null {
    const socket = this.#socket as Duplex;
    // Messages waiting for zlib count too: else a burst of sends on a compressed connection
    // would queue without bound, and reach the socket past the limit.
    if (socket.writableLength + this.#jobBytes <= this.#options.maxBufferedAmount) return null;
    this.#closeCode ??= 1008;
    if (this.#closeReason === '') this.#closeReason = 'Send buffer limit exceeded';
    socket.destroy();
    return Promise.reject(this.#disconnect());
  }

  /**
   * Whether a queued message can no longer go out. One queued before the close frame goes out
   * before it (as uncompressed ones do): the close is a job further down the queue. Only a
   * connection that is gone, or whose close frame is already out, refuses it.
   */
  #sendingStopped(): boolean {
    return this.#readyState === 'closed' || this.#closeWritten;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (let job = this.#jobs.shift(); job !== undefined; job = this.#jobs.shift()) {
        if (job.opcode !== OPCODES.CLOSE) this.#jobBytes -= job.payload.length;
        if (job.opcode === OPCODES.CLOSE) {
          this.#writeFrame(encodeFrame(OPCODES.CLOSE, job.payload, true, false, !this.#isServer)).then(job.resolve, job.reject);
          job.after?.();
          continue;
        }
        if (this.#sendingStopped()) {
          job.reject(this.#disconnect());
          continue;
        }
        let payload = job.payload;
        if (job.compress) {
          try {
            payload = await (this.#deflate as PerMessageDeflate).compress(payload);
          } catch (err) {
            job.reject(err);
            continue;
          }
          if (this.#sendingStopped()) {
            job.reject(this.#disconnect());
            continue;
          }
        }
        this.#writeFrame(encodeFrame(job.opcode, payload, true, job.compress, !this.#isServer)).then(job.resolve, job.reject);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Writes a frame; resolves once it is handed to the operating system. Most writes complete
   * synchronously (the socket buffer is then empty again) and get a shared resolved promise;
   * only a write that had to queue gets a promise of its own, settled by the write callback.
   * One callback serves every write (Node batches identical callbacks), with a FIFO saying
   * which writes have someone waiting.
   */
  #writeFrame(frame: Buffer | [Buffer, Buffer]): Promise<void> {
    const socket = this.#socket;
    if (socket === null || socket.destroyed || !socket.writable) return Promise.reject(this.#disconnect());
    const pending = this.#pendingWrites;
    const slot = pending.length;
    pending.push(null);
    if (Array.isArray(frame)) {
      socket.cork();
      socket.write(frame[0]);
      socket.write(frame[1], this.#written);
      socket.uncork();
    } else {
      socket.write(frame, this.#written);
    }
    if (socket.writableLength === 0) return RESOLVED;
    return new Promise((resolve, reject) => {
      // Write callbacks run on a later tick at the earliest: the slot is still where it was.
      pending[slot] = { resolve, reject };
    });
  }

  readonly #written = (err?: Error | null): void => {
    const pending = this.#pendingWrites;
    const entry = pending[this.#pendingHead];
    pending[this.#pendingHead++] = null;
    if (this.#pendingHead >= pending.length) {
      pending.length = 0;
      this.#pendingHead = 0;
    }
    if (entry === null || entry === undefined) return;
    if (err) entry.reject(this.#disconnect());
    else entry.resolve();
  };

  /** Writes a control frame now, ignoring the outcome (pongs, heartbeat pings). */
  #writeControl(opcode: number, payload: Buffer): void {
    const socket = this.#socket;
    if (socket === null || socket.destroyed || !socket.writable) return;
    socket.write(encodeFrame(opcode, payload, true, false, !this.#isServer));
  }

  // ------------------------------------------------------------------ closing

  /**
   * Starts the closing handshake and resolves once the connection is closed (the peer answered
   * or `closeTimeout` passed). Before `accept`, it refuses the upgrade (HTTP 403).
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (!isValidCloseCode(code)) return Promise.reject(new WebSocketError(`Invalid close code ${code}`, 'ERR_WEBSOCKET_CLOSE_CODE'));
    if (Buffer.byteLength(reason) > MAX_REASON_BYTES) {
      return Promise.reject(new WebSocketError('A close reason must not exceed 123 bytes', 'ERR_WEBSOCKET_CLOSE_CODE'));
    }
    if (this.#readyState === 'connecting') {
      if (this.#accepting === null) {
        this.#closeCode = code;
        this.#closeReason = reason;
        this.#handshake?.deny();
        this.#finalize();
        return Promise.resolve();
      }
      return this.#accepting.then(
        () => this.close(code, reason),
        () => undefined,
      );
    }
    if (this.#readyState === 'open' && !this.#closeScheduled) {
      this.#closeCode = code;
      this.#closeReason = reason;
      this.#readyState = 'closing';
      this.#sendClose(code, reason);
      this.#armCloseTimer();
    }
    return this.closed.then(noop);
  }

  /** Destroys the connection at once, without a closing handshake (close code 1006). */
  terminate(): void {
    this.#closeCode ??= 1006;
    if (this.#socket === null) {
      this.#finalize();
      return;
    }
    this.#socket.destroy();
  }

  #sendClose(code: number | undefined, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    const payload = closePayload(code, truncateReason(reason));
    const written = (): void => {
      this.#closeWritten = true;
      if (this.#endWhenWritten) this.#endSocket();
    };
    if (this.#jobs.length > 0 || this.#pumping) {
      // Messages already queued for compression go out first; nothing follows the close frame.
      this.#jobs.push({ opcode: OPCODES.CLOSE, payload, compress: false, resolve: noop, reject: noop, after: written });
      return;
    }
    this.#writeFrame(encodeFrame(OPCODES.CLOSE, payload, true, false, !this.#isServer)).catch(noop);
    written();
  }

  /** Ends the TCP connection as soon as our close frame is out. */
  #endAfterClose(): void {
    this.#endWhenWritten = true;
    if (this.#closeWritten || !this.#closeSent) this.#endSocket();
  }

  #onCloseFrame(code: number, reason: string): void {
    this.#receiveDone = true;
    if (this.#closeCode === null) {
      this.#closeCode = code;
      this.#closeReason = reason;
    }
    this.#rejectWaiters();
    this.#closeScheduled = true;
    // Handlers answer messages that came before the close frame in the same read a few
    // microtasks later: let those answers out first, as a synchronous library would.
    setImmediate(() => {
      if (this.#readyState === 'open') this.#readyState = 'closing';
      // Echo the peer's code (none when it sent none); the server then closes the TCP connection,
      // a client waits for the server to do so.
      this.#sendClose(code === 1005 ? undefined : code, reason);
      if (this.#isServer) this.#endAfterClose();
      this.#armCloseTimer();
    });
  }

  /** Fails the connection (RFC 6455 §7.1.7): close frame with `code`, then the TCP connection ends. */
  #fail(code: number, reason: string): void {
    this.#receiveDone = true;
    if (this.#closeCode === null) {
      this.#closeCode = code;
      this.#closeReason = reason;
    }
    this.#rejectWaiters();
    this.#closeScheduled = true;
    // As for a close frame: answers to the messages before the bad frame go out first.
    setImmediate(() => {
      if (this.#readyState === 'open') this.#readyState = 'closing';
      this.#sendClose(code, reason);
      this.#endAfterClose();
      this.#armCloseTimer();
    });
  }

  #endSocket(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#socket?.end();
  }

  #onEnd = (): void => {
    // The peer finished writing: a close frame should have come first, else this is abnormal
    // (1006, RFC 6455 §7.1.5) — and no close frame of ours can be answered any more, so a
    // handler returning after this does not send one or replace the code with its 1000.
    this.#receiveDone = true;
    if (this.#closeCode === null) {
      this.#closeCode = 1006;
      this.#closeReason = '';
    }
    this.#closeScheduled = true;
    this.#rejectWaiters();
    this.#endSocket();
  };

  #armCloseTimer(): void {
    if (this.#closeTimer !== null || this.#socket === null) return;
    const socket = this.#socket;
    this.#closeTimer = setTimeout(() => socket.destroy(), this.#options.closeTimeout);
    this.#closeTimer.unref();
  }

  /** @internal One heartbeat tick (see `watchHeartbeat`). */
  [kBeat](): void {
    if (this.#readyState !== 'open') return;
    // Paused by us: the peer's pong may sit unread in the socket; that is not the peer's fault.
    if (this.#paused) return;
    if (!this.#alive) {
      this.#closeCode ??= 1006;
      if (this.#closeReason === '') this.#closeReason = 'Heartbeat timeout';
      this.#socket?.destroy();
      return;
    }
    this.#alive = false;
    this.#writeControl(OPCODES.PING, Buffer.alloc(0));
  }

  #onSocketClose = (): void => this.#finalize();

  #finalize(): void {
    if (this.#readyState === 'closed') return;
    this.#readyState = 'closed';
    this.#receiveDone = true;
    if (this.#heartbeat) unwatchHeartbeat(this as WebSocket<unknown>, this.#options.heartbeatInterval);
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#heartbeat = false;
    this.#closeTimer = null;
    this.#receiver?.stop();
    this.#deflate?.close();
    if (this.#closeCode === null) {
      this.#closeCode = 1006;
      this.#closeReason = '';
    }
    this.#rejectWaiters();
    this.#jobBytes = 0;
    for (const job of this.#jobs.splice(0)) job.reject(this.#disconnect());
    this.#resolveClosed({ code: this.#closeCode, reason: this.#closeReason });
  }

  #rejectWaiters(): void {
    if (this.#waiters.length === 0) return;
    this.#disconnectSeen = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (waiter.iterate) (waiter.resolve as (value: unknown) => void)(ITERATION_DONE);
      else waiter.reject(this.#disconnect());
    }
  }

  #disconnect(): WebSocketDisconnect {
    return new WebSocketDisconnect(this.#closeCode ?? 1006, this.#closeReason);
  }
}
