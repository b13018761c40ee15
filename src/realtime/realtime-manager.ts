import { isReplyError, loadIoredis } from '../internal/load-ioredis.js';
import { withDeadline } from '../internal/with-deadline.js';
import { CovetError, HTTPException } from '../errors.js';
import { PreparedMessage } from '../http/websocket/prepared-message.js';
import type { PreparedMessageLike, WebSocketReadyState } from '../http/websocket/websocket.js';

/**
 * The Redis commands `RealtimeManager` uses; an `ioredis` client has them. A client in
 * subscriber mode can only subscribe, so the manager uses a second connection (`duplicate()`).
 */
export interface RedisPubSubLike {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  duplicate(): RedisPubSubLike;
  quit(): Promise<unknown>;
  /** Drops the connection at once (what `close()` does when `QUIT` cannot be answered). */
  disconnect?(): void;
  /** `ioredis`'s connection state (`ready`, `reconnecting`…). */
  readonly status?: string;
}

/** What the manager needs of a connection; Covet's `WebSocket` fits. */
export interface RealtimeSocket {
  readonly readyState: WebSocketReadyState;
  readonly closed: Promise<unknown>;
  accept(): Promise<void>;
  receive(): Promise<string | Buffer>;
  sendText(data: string): Promise<void>;
  sendPrepared?(message: PreparedMessageLike): Promise<void>;
}

/** Options of `RealtimeManager`. */
export interface RealtimeOptions {
  /**
   * A `redis://` URL: messages then go through Redis pub/sub, so a publish on any instance
   * reaches subscribers on every instance (`ioredis`, an optional peer, is loaded on first use).
   * Default: none — in-process delivery only.
   */
  readonly redisUrl?: string;
  /** A Redis client you own, instead of `redisUrl` (`close()` then leaves it open). */
  readonly redis?: RedisPubSubLike;
  /** Prefix of the Redis channel names, so that apps sharing a Redis stay apart. Default `covet:realtime:`. */
  readonly channelPrefix?: string;
  /** Where Redis connection errors are reported (one line per outage). Default: `console`. */
  readonly logger?: { error(message: string, meta?: Record<string, unknown>): void };
  /**
   * Ms a Redis command (`PUBLISH`, `SUBSCRIBE`) may take before `publish`/`subscribe` fail with
   * 503 `ERR_REALTIME_UNAVAILABLE`. Default 1000.
   */
  readonly commandTimeout?: number;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /**
   * Read (and drop, or pass to `onMessage`) what the client sends, so that its close frame is
   * seen. Default `true`; pass `false` when the handler reads the socket itself.
   */
  readonly read?: boolean;
  /** Called with each message the client sends (when `read` is on). */
  readonly onMessage?: (message: string | Buffer) => unknown;
}

interface Subscriber {
  readonly channels: Set<string>;
  readonly done: Promise<void>;
}

type RedisConstructor = new (url: string, options?: Record<string, unknown>) => RedisPubSubLike;

const DEFAULT_PREFIX = 'covet:realtime:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

function noop(): void {}

/** Checks a channel name: a non-empty string. */
function checkChannel(channel: unknown, what: string): string {
  if (typeof channel !== 'string' || channel === '') {
    throw new TypeError(`${what}: a channel is a non-empty string, got ${typeof channel === 'string' ? '""' : String(channel)}`);
  }
  return channel;
}

/** The channels of `subscribe`/`unsubscribe`: a list, or one name (never its characters). */
function channelList(channels: string | Iterable<string>, what: string): string[] {
  if (typeof channels === 'string') return [checkChannel(channels, what)];
  if (channels === null || typeof channels !== 'object' || !(Symbol.iterator in channels)) {
    throw new TypeError(`${what}: channels are a list of names, such as ['notifications', 'alerts']`);
  }
  return [...new Set(channels)].map((c) => checkChannel(c, what));
}

/**
 * The message subscribers get for what arrived on a Redis channel. `publish` sends the whole
 * `{"channel":…,"data":…}` text, passed on as it is once its `data` is checked to be one JSON
 * value (another program may publish text that only looks like it); anything else (a `PUBLISH`
 * from another program) becomes the `data` of such a message: its JSON value, or the text itself.
 */
function envelope(channel: string, text: string): string {
  const head = `{"channel":${JSON.stringify(channel)},"data":`;
  if (text.startsWith(head) && text.endsWith('}') && isJson(text.slice(head.length, -1))) return text;
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    // plain text
  }
  return JSON.stringify({ channel, data });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** What `publish`/`subscribe` throw while Redis cannot be reached: a 503 when left uncaught. */
function unavailable(cause: unknown): HTTPException {
  return new HTTPException(503, 'Realtime messaging is unavailable', { code: 'ERR_REALTIME_UNAVAILABLE', cause });
}

/**
 * Channels of messages pushed to WebSocket subscribers. Subscribers receive each message as a
 * JSON text message `{"channel": …, "data": …}`. In-process by default; with `redisUrl` (or
 * `redis`) every instance of the app shares the channels through Redis pub/sub.
 *
 * @example
 * const realtime = new RealtimeManager({ redisUrl: env.string('REDIS_URL') });
 * app.post('/notify', async (req) => { await realtime.publish('notifications', await req.json()); return { status: 'sent' }; });
 * app.websocket('/ws/notifications', (ws) => realtime.subscribe(ws, ['notifications', 'alerts']));
 * app.onShutdown(() => realtime.close());
 */
export class RealtimeManager {
  readonly #prefix: string;
  readonly #redisUrl: string | null;
  readonly #ownedRedis: boolean;
  readonly #logger: NonNullable<RealtimeOptions['logger']>;
  readonly #timeout: number;
  readonly #channels = new Map<string, Set<RealtimeSocket>>();
  readonly #subscribers = new Map<RealtimeSocket, Subscriber>();
  /**
   * Sockets whose first `subscribe` is still setting up (waiting for Redis or `accept`), with a
   * promise settled once it is in place or has failed: a second `subscribe` of the same socket
   * waits for it and then adds its channels, rather than starting a second read loop.
   */
  readonly #opening = new Map<RealtimeSocket, Promise<void>>();
  /** Per channel: the Redis SUBSCRIBE that makes it live on this instance. */
  readonly #live = new Map<string, Promise<unknown>>();
  #publisher: Promise<RedisPubSubLike> | null = null;
  #subscriber: Promise<RedisPubSubLike> | null = null;
  #given: RedisPubSubLike | null;
  #closed = false;

  constructor(options: RealtimeOptions = {}) {
    if (options.redisUrl !== undefined && typeof options.redisUrl !== 'string') throw new TypeError('redisUrl must be a redis:// URL');
    this.#redisUrl = options.redisUrl ?? null;
    this.#given = options.redis ?? null;
    this.#ownedRedis = this.#given === null;
    this.#prefix = options.channelPrefix ?? DEFAULT_PREFIX;
    this.#logger = options.logger ?? console;
    const timeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (!(timeout > 0) || !Number.isFinite(timeout)) throw new TypeError('commandTimeout must be a positive number of ms');
    this.#timeout = timeout;
  }

  /** Whether messages go through Redis. */
  get distributed(): boolean {
    return this.#redisUrl !== null || this.#given !== null;
  }

  /**
   * Publishes `data` on a channel: every subscriber (on every instance, with Redis) receives
   * `{"channel": channel, "data": data}`. Resolves once published (in-process: once queued on
   * every local subscriber). While Redis cannot be reached it fails within `commandTimeout`
   * with an `HTTPException` 503 (`ERR_REALTIME_UNAVAILABLE`). Data without a JSON form (`undefined`…) is sent as `null`.
   */
  async publish(channel: string, data: unknown): Promise<void> {
    checkChannel(channel, 'publish');
    // Data without a JSON form (undefined, a function, a `toJSON` giving undefined) is sent as
    // null: every message has both keys.
    const text = `{"channel":${JSON.stringify(channel)},"data":${JSON.stringify(data) ?? 'null'}}`;
    if (!this.distributed) {
      this.#deliver(channel, text);
      return;
    }
    // After close() a publish would open a Redis connection that nothing ever closes.
    if (this.#closed) throw new CovetError('The RealtimeManager is closed', { code: 'ERR_REALTIME_CLOSED' });
    const publisher = await this.#publisherClient();
    await this.#command(() => publisher.publish(this.#prefix + channel, text));
  }

  /**
   * Subscribes a connection to channels (accepting it, once the subscription is live) and
   * resolves when the connection closes — so `return realtime.subscribe(ws, [...])` can be a
   * whole handler. Subscribing an already subscribed socket adds channels, and that later call
   * resolves as soon as they are live (awaiting the close there would deadlock an `onMessage`
   * that joins a channel). `channels` is a list of names, or one name.
   */
  async subscribe(ws: RealtimeSocket, channels: string | readonly string[], options: SubscribeOptions = {}): Promise<void> {
    if (this.#closed) throw new CovetError('The RealtimeManager is closed', { code: 'ERR_REALTIME_CLOSED' });
    const names = channelList(channels, 'subscribe');
    const subscriber = this.#subscribers.get(ws);
    if (subscriber !== undefined) {
      await this.#subscribeTo(ws, subscriber, names, options);
      return;
    }
    const pending = this.#opening.get(ws);
    if (pending !== undefined) {
      // The socket's first subscribe is not in place yet (`subscribe(ws, a)` not awaited, then
      // `subscribe(ws, b)`): add to it once it is (resolving once `b` is live), or start afresh
      // if it failed (this call then owns the socket and resolves at its close).
      await pending;
      return this.subscribe(ws, channels, options);
    }
    const setup = this.#subscribeTo(ws, undefined, names, options);
    const opening = setup.then(noop, noop);
    this.#opening.set(ws, opening);
    void opening.then(() => {
      if (this.#opening.get(ws) === opening) this.#opening.delete(ws);
    });
    return (await setup).done;
  }

  /**
   * Subscribes `ws` to `names`: adds them to its `subscriber` when it has one, else subscribes,
   * accepts and starts reading. Resolves (with the promise `subscribe` returns) once in place.
   */
  async #subscribeTo(
    ws: RealtimeSocket,
    subscriber: Subscriber | undefined,
    names: readonly string[],
    options: SubscribeOptions,
  ): Promise<{ readonly done: Promise<void> }> {
    // What this call adds, and so what a failure takes back (a socket keeps the channels it had).
    const known = subscriber?.channels;
    const added = known === undefined ? names : names.filter((c) => !known.has(c));
    for (const channel of names) {
      let members = this.#channels.get(channel);
      if (members === undefined) this.#channels.set(channel, (members = new Set()));
      members.add(ws);
    }
    if (this.distributed) {
      // Also a channel whose last SUBSCRIBE failed (its entry is gone): it is subscribed again.
      const fresh = names.filter((c) => !this.#live.has(c));
      if (fresh.length > 0) {
        const live = this.#subscriberClient().then((client) =>
          this.#command(() => client.subscribe(...fresh.map((c) => this.#prefix + c))),
        );
        for (const channel of fresh) this.#live.set(channel, live);
        // A failed SUBSCRIBE is not kept: otherwise the channel would refuse everyone for good.
        live.catch(() => {
          for (const channel of fresh) if (this.#live.get(channel) === live) this.#live.delete(channel);
        });
      }
      const pending = names.map((c) => this.#live.get(c));
      try {
        await Promise.all(pending);
      } catch (err) {
        // The socket leaves what this call added. Redis is told only about the channels whose
        // SUBSCRIBE went through: an UNSUBSCRIBE of a failed one, replayed by the client once
        // Redis is back, could land after the next subscriber's SUBSCRIBE and silence it.
        const outcomes = await Promise.allSettled(pending);
        const failed = new Set(names.filter((_, i) => outcomes[i]?.status === 'rejected'));
        const emptied = this.#leave(ws, added).filter((c) => !failed.has(c));
        // Not awaited: while Redis cannot be reached, the UNSUBSCRIBE would only wait as well.
        if (emptied.length > 0) void this.#redisUnsubscribe(emptied).catch(() => {});
        throw err;
      }
    }
    if (subscriber !== undefined) {
      if (this.#subscribers.get(ws) !== subscriber) {
        // The socket closed while the channels were being subscribed: it must not stay a member.
        void this.unsubscribe(ws, added).catch(() => {});
        return subscriber;
      }
      for (const channel of names) subscriber.channels.add(channel);
      return subscriber;
    }
    // Accepted only now, so that a client that sees the socket open is already subscribed.
    try {
      await ws.accept();
    } catch (err) {
      // The client left while the subscription was being set up: it must not stay a member.
      void this.unsubscribe(ws, names).catch(() => {});
      throw err;
    }
    const set = new Set(names);
    const done = (async (): Promise<void> => {
      if (options.read ?? true) {
        for (;;) {
          let message: string | Buffer;
          try {
            message = await ws.receive();
          } catch {
            break;
          }
          await options.onMessage?.(message);
        }
      }
      await ws.closed;
    })().finally(() => this.#drop(ws));
    subscriber = { channels: set, done };
    this.#subscribers.set(ws, subscriber);
    return subscriber;
  }

  /** Removes a connection from some channels (all when `channels` is omitted). */
  async unsubscribe(ws: RealtimeSocket, channels?: string | readonly string[]): Promise<void> {
    const subscriber = this.#subscribers.get(ws);
    const list = channels === undefined ? [...(subscriber?.channels ?? [])] : channelList(channels, 'unsubscribe');
    const emptied = this.#leave(ws, list);
    if (emptied.length > 0) await this.#redisUnsubscribe(emptied);
  }

  /** Takes a connection out of channels, here only; returns the channels left without members. */
  #leave(ws: RealtimeSocket, channels: readonly string[]): string[] {
    const subscriber = this.#subscribers.get(ws);
    const emptied: string[] = [];
    for (const channel of channels) {
      subscriber?.channels.delete(channel);
      const members = this.#channels.get(channel);
      if (members === undefined) continue;
      members.delete(ws);
      if (members.size === 0) {
        this.#channels.delete(channel);
        this.#live.delete(channel);
        emptied.push(channel);
      }
    }
    return emptied;
  }

  /** Tells Redis this instance no longer listens on `channels`. */
  async #redisUnsubscribe(channels: readonly string[]): Promise<void> {
    if (!this.distributed || this.#subscriber === null) return;
    const client = await this.#subscriber;
    await this.#command(() => client.unsubscribe(...channels.map((c) => this.#prefix + c)));
  }

  /** How many local connections listen on a channel. */
  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }

  /** The channels with local subscribers. */
  channels(): string[] {
    return [...this.#channels.keys()];
  }

  /** Closes the Redis connections the manager opened (sockets are left to their handlers). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const clients = await Promise.allSettled([this.#publisher, this.#subscriber].filter((p) => p !== null));
    if (!this.#ownedRedis) {
      const sub = this.#subscriber === null ? null : await this.#subscriber.catch(() => null);
      if (sub !== null) await this.#quit(sub);
      return;
    }
    await Promise.all(clients.map((c) => (c.status === 'fulfilled' ? this.#quit(c.value) : undefined)));
  }

  /** `QUIT` when Redis can answer it; otherwise (down, reconnecting, hanging) the connection is dropped. */
  async #quit(client: RedisPubSubLike): Promise<void> {
    if (client.status !== undefined && client.status !== 'ready' && typeof client.disconnect === 'function') {
      client.disconnect();
      return;
    }
    try {
      await this.#command(() => client.quit());
    } catch {
      client.disconnect?.();
    }
  }

  #drop(ws: RealtimeSocket): void {
    const channels = [...(this.#subscribers.get(ws)?.channels ?? [])];
    this.#subscribers.delete(ws);
    void this.unsubscribe(ws, channels).catch((err: unknown) => this.#logger.error('realtime unsubscribe failed', { error: err }));
  }

  /** Sends an encoded message to this instance's subscribers of `channel`. */
  #deliver(channel: string, text: string): void {
    const members = this.#channels.get(channel);
    if (members === undefined) return;
    const message = new PreparedMessage(text);
    for (const ws of [...members]) {
      if (ws.readyState !== 'open') continue;
      const sent = typeof ws.sendPrepared === 'function' ? ws.sendPrepared(message) : ws.sendText(text);
      // A connection that cannot take it is closing or hopelessly behind: it is dropped.
      sent.catch(() =>
        this.unsubscribe(ws, [channel]).catch((err: unknown) => this.#logger.error('realtime unsubscribe failed', { error: err })),
      );
    }
  }

  /**
   * Runs a Redis command: an error reply is rethrown as it is; no answer within `commandTimeout`
   * (Redis down, reconnecting or hanging) becomes a 503 `ERR_REALTIME_UNAVAILABLE`.
   */
  #command<T>(send: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = send();
    } catch (err) {
      pending = Promise.reject(err);
    }
    const answered = pending.catch((err: unknown) => {
      throw isReplyError(err) ? err : unavailable(err);
    });
    return withDeadline(answered, this.#timeout, () => unavailable(new Error(`no answer within ${this.#timeout} ms`)));
  }

  async #connect(): Promise<RedisPubSubLike> {
    if (this.#given !== null) return this.#given;
    const Redis = await loadIoredis<RedisConstructor>('RealtimeManager with redisUrl');
    // A command fails after one reconnection attempt instead of queueing while Redis is down
    // (ioredis' default is 20 attempts, about ten seconds).
    return new Redis(this.#redisUrl as string, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
  }

  /** Reports connection errors, once per outage rather than once per reconnection attempt. */
  #watch(client: RedisPubSubLike, role: string): RedisPubSubLike {
    let down = false;
    client.on('error', (error) => {
      if (down) return;
      down = true;
      this.#logger.error(`realtime Redis ${role} connection error (reconnecting; logged once until it is back)`, { error });
    });
    client.on('ready', () => {
      down = false;
    });
    return client;
  }

  #publisherClient(): Promise<RedisPubSubLike> {
    this.#publisher ??= this.#connect().then((client) => (this.#ownedRedis ? this.#watch(client, 'publisher') : client));
    return this.#publisher;
  }

  #subscriberClient(): Promise<RedisPubSubLike> {
    this.#subscriber ??= (async () => {
      const base = await this.#connect();
      // A connection in subscriber mode cannot publish: subscriptions get one of their own.
      const client = this.#watch(this.#ownedRedis ? base : base.duplicate(), 'subscriber');
      if (this.#ownedRedis) this.#publisher ??= Promise.resolve(this.#watch(base.duplicate(), 'publisher'));
      client.on('message', (redisChannel, text) => {
        if (!redisChannel.startsWith(this.#prefix)) return;
        const channel = redisChannel.slice(this.#prefix.length);
        this.#deliver(channel, envelope(channel, text));
      });
      return client;
    })();
    return this.#subscriber;
  }
}
