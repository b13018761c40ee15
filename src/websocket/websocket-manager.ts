import { PreparedMessage } from '../http/websocket/prepared-message.js';
import type { PreparedMessageLike, WebSocketReadyState } from '../http/websocket/websocket.js';

/**
 * What the manager needs of a connection. Covet's `WebSocket` fits (server and test-client
 * ends alike); the shape is structural so that sockets from another copy of Covet fit too.
 */
export interface ManagedWebSocket {
  readonly readyState: WebSocketReadyState;
  readonly closed: Promise<unknown>;
  accept(): Promise<void>;
  sendText(data: string): Promise<void>;
  sendBytes(data: Uint8Array): Promise<void>;
  sendPrepared?(message: PreparedMessageLike): Promise<void>;
}

/** A user id as given to `connect`: the same value finds the user's sockets in `sendToUser`. */
export type UserId = string | number;

/** Options of `connect`. */
export interface ManagerConnectOptions {
  /** Whose connection this is (`sendToUser` reaches every connection of the user). */
  readonly userId?: UserId;
}

/** Options of `broadcast` and `broadcastToRoom`. */
export interface BroadcastOptions {
  /** A connection (or several) not to send to: usually the sender. */
  readonly exclude?: ManagedWebSocket | Iterable<ManagedWebSocket> | null;
}

/** What can be sent: text as is, bytes as a binary message, anything else as JSON text. */
export type ManagerMessage = string | Uint8Array | ArrayBuffer | object | number | boolean | null;

interface Entry {
  readonly userId: UserId | undefined;
  /** Created on the first `join`: most connections of a broadcast-only app never join a room. */
  rooms: Set<string> | null;
}

function prepare(message: ManagerMessage): PreparedMessage {
  if (typeof message === 'string') return new PreparedMessage(message);
  if (message instanceof Uint8Array) return new PreparedMessage(message);
  if (message instanceof ArrayBuffer) return new PreparedMessage(new Uint8Array(message));
  const text = JSON.stringify(message);
  if (text === undefined) throw new TypeError(`Cannot send a ${typeof message}: it has no JSON form`);
  return new PreparedMessage(text);
}

function excluded(option: BroadcastOptions['exclude']): ReadonlySet<ManagedWebSocket> | null {
  if (option === undefined || option === null) return null;
  if (typeof (option as Iterable<ManagedWebSocket>)[Symbol.iterator] === 'function' && !('sendText' in option)) {
    return new Set(option as Iterable<ManagedWebSocket>);
  }
  return new Set([option as ManagedWebSocket]);
}

/**
 * Tracks connections, users and rooms, and sends to many at once. Each message is encoded once
 * and the same frame is written to every uncompressed connection. A broadcast never waits for
 * slow clients: it resolves once the message is queued on every connection, and a connection
 * that cannot take it (closed, or more than `maxBufferedAmount` behind) is dropped from the
 * manager — so a socket dying mid-broadcast harms no one else. Closed connections leave their
 * rooms by themselves.
 *
 * @example
 * const manager = new WebSocketManager();
 * app.websocket('/ws', async (ws) => {
 *   await manager.connect(ws);
 *   try { for (;;) await manager.broadcast(`User said: ${await ws.receiveText()}`); }
 *   catch { await manager.disconnect(ws); }
 * });
 */
export class WebSocketManager {
  readonly #connections = new Map<ManagedWebSocket, Entry>();
  readonly #users = new Map<UserId, Set<ManagedWebSocket>>();
  readonly #rooms = new Map<string, Set<ManagedWebSocket>>();

  /** Accepts the connection (if the handler has not) and starts tracking it. */
  async connect(ws: ManagedWebSocket, options: ManagerConnectOptions = {}): Promise<void> {
    await ws.accept();
    // Connecting again (to set the user, say) keeps the rooms.
    const rooms = this.#connections.get(ws)?.rooms ?? null;
    this.#remove(ws);
    const entry: Entry = { userId: options.userId, rooms: null };
    this.#connections.set(ws, entry);
    if (options.userId !== undefined) {
      let sockets = this.#users.get(options.userId);
      if (sockets === undefined) this.#users.set(options.userId, (sockets = new Set()));
      sockets.add(ws);
    }
    if (rooms !== null) for (const room of rooms) this.join(ws, room);
    // Whatever the handler does, a closed connection leaves the manager.
    void ws.closed.then(() => {
      if (this.#connections.get(ws) === entry) this.#remove(ws);
    });
  }

  /** Stops tracking the connection (it leaves its rooms); the socket itself is not closed. */
  async disconnect(ws: ManagedWebSocket): Promise<void> {
    this.#remove(ws);
  }

  /** Adds the connection to a room (connecting it first is not required, but usual). */
  join(ws: ManagedWebSocket, room: string): void {
    let entry = this.#connections.get(ws);
    if (entry === undefined) {
      entry = { userId: undefined, rooms: null };
      this.#connections.set(ws, entry);
      const tracked = entry;
      void ws.closed.then(() => {
        if (this.#connections.get(ws) === tracked) this.#remove(ws);
      });
    }
    (entry.rooms ??= new Set()).add(room);
    let members = this.#rooms.get(room);
    if (members === undefined) this.#rooms.set(room, (members = new Set()));
    members.add(ws);
  }

  /** Removes the connection from a room; an empty room disappears. */
  leave(ws: ManagedWebSocket, room: string): void {
    this.#connections.get(ws)?.rooms?.delete(room);
    const members = this.#rooms.get(room);
    if (members === undefined) return;
    members.delete(ws);
    if (members.size === 0) this.#rooms.delete(room);
  }

  /** Sends to every tracked connection (except `exclude`). */
  async broadcast(message: ManagerMessage, options: BroadcastOptions = {}): Promise<void> {
    this.#sendAll(this.#connections.keys(), prepare(message), excluded(options.exclude));
  }

  /** Sends to every connection of a user. */
  async sendToUser(userId: UserId, message: ManagerMessage): Promise<void> {
    const sockets = this.#users.get(userId);
    if (sockets !== undefined) this.#sendAll(sockets, prepare(message), null);
  }

  /** Sends to every member of a room (except `exclude`). */
  async broadcastToRoom(room: string, message: ManagerMessage, options: BroadcastOptions = {}): Promise<void> {
    const members = this.#rooms.get(room);
    if (members !== undefined) this.#sendAll(members, prepare(message), excluded(options.exclude));
  }

  /** How many connections are tracked. */
  get size(): number {
    return this.#connections.size;
  }

  /** Whether the connection is tracked. */
  has(ws: ManagedWebSocket): boolean {
    return this.#connections.has(ws);
  }

  /** The rooms that have members. */
  rooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** The members of a room. */
  roomMembers(room: string): ManagedWebSocket[] {
    return [...(this.#rooms.get(room) ?? [])];
  }

  /** The rooms a connection is in. */
  roomsOf(ws: ManagedWebSocket): string[] {
    return [...(this.#connections.get(ws)?.rooms ?? [])];
  }

  /** The user a connection belongs to (`undefined` when anonymous or unknown). */
  userOf(ws: ManagedWebSocket): UserId | undefined {
    return this.#connections.get(ws)?.userId;
  }

  /** The connections of a user. */
  userConnections(userId: UserId): ManagedWebSocket[] {
    return [...(this.#users.get(userId) ?? [])];
  }

  #sendAll(targets: Iterable<ManagedWebSocket>, message: PreparedMessage, skip: ReadonlySet<ManagedWebSocket> | null): void {
    // A snapshot: failures below change the sets being iterated.
    for (const ws of [...targets]) {
      if (skip?.has(ws)) continue;
      if (ws.readyState !== 'open') {
        if (ws.readyState === 'closed') this.#remove(ws);
        continue;
      }
      let sent: Promise<void>;
      try {
        if (typeof ws.sendPrepared === 'function') sent = ws.sendPrepared(message);
        else sent = message.isText ? ws.sendText(message.payload.toString('utf8')) : ws.sendBytes(message.payload);
      } catch {
        this.#remove(ws);
        continue;
      }
      sent.catch(() => this.#remove(ws));
    }
  }

  #remove(ws: ManagedWebSocket): void {
    const entry = this.#connections.get(ws);
    if (entry === undefined) return;
    this.#connections.delete(ws);
    for (const room of entry.rooms ?? []) {
      const members = this.#rooms.get(room);
      if (members === undefined) continue;
      members.delete(ws);
      if (members.size === 0) this.#rooms.delete(room);
    }
    if (entry.userId !== undefined) {
      const sockets = this.#users.get(entry.userId);
      sockets?.delete(ws);
      if (sockets?.size === 0) this.#users.delete(entry.userId);
    }
  }
}
