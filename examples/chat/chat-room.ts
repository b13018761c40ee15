// The seed's ChatRoom: who is in which room, join/leave notices, and room broadcasts — on top of
// WebSocketManager, which already keeps rooms, drops dead sockets and encodes each message once.
import type { ManagedWebSocket, WebSocketManager } from 'covet/websocket';

/** A chat event as clients receive it. */
export type ChatEvent =
  | { readonly type: 'user_joined' | 'user_left'; readonly user_id: string; readonly message: string }
  | { readonly type: 'message'; readonly user_id: string; readonly message: string; readonly timestamp: number }
  | { readonly type: 'error'; readonly message: string };

/**
 * Rooms of a chat: `joinRoom` announces the newcomer to the others, `leaveRoom` tells the rest.
 *
 * @example
 * const chat = new ChatRoom(new WebSocketManager());
 * await chat.joinRoom(ws, 'lobby', 'alice');
 */
export class ChatRoom {
  readonly #manager: WebSocketManager;
  readonly #connections = new Map<ManagedWebSocket, { readonly room: string; readonly user: string }>();

  constructor(manager: WebSocketManager) {
    this.#manager = manager;
  }

  /** Rooms that have someone in them. */
  get rooms(): string[] {
    return this.#manager.rooms();
  }

  async joinRoom(ws: ManagedWebSocket, roomId: string, userId: string): Promise<void> {
    await this.#manager.connect(ws, { userId });
    this.#manager.join(ws, roomId);
    this.#connections.set(ws, { room: roomId, user: userId });
    await this.broadcastToRoom(roomId, { type: 'user_joined', user_id: userId, message: `User ${userId} joined the room` }, ws);
  }

  async leaveRoom(ws: ManagedWebSocket): Promise<void> {
    const connection = this.#connections.get(ws);
    if (connection === undefined) return;
    this.#connections.delete(ws);
    await this.#manager.disconnect(ws);
    await this.broadcastToRoom(connection.room, { type: 'user_left', user_id: connection.user, message: `User ${connection.user} left the room` });
  }

  async broadcastToRoom(roomId: string, message: ChatEvent, exclude?: ManagedWebSocket): Promise<void> {
    await this.#manager.broadcastToRoom(roomId, message, { exclude: exclude ?? null });
  }
}
