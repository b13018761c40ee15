// The seed's "WebSocket Chat Application": JWT-authenticated WebSocket rooms with join/leave
// notices, messages stored through covet/database (SQLite in memory by default, any
// DATABASE_URL), REST endpoints for the room list and history, and a small page (GET /) that
// uses it all. `node --import tsx examples/chat/main.ts` serves it; tests cover it over a real socket.
import { randomBytes } from 'node:crypto';
import { ConfigError, CovetApp, HTTPException, html, type Logger, type Request } from 'covet';
import { DatabaseManager } from 'covet/database';
import { JWTAuth } from 'covet/security';
import { WebSocketError, WebSocketManager } from 'covet/websocket';
import { ChatRoom } from './chat-room.js';
import { PAGE } from './page.js';

/** Options of `createChatApp`. */
export interface ChatOptions {
  /**
   * Secret the tokens are signed with. Default `CHAT_SECRET`; without it, in development, a
   * random secret for this process (tokens stop verifying on restart; the page logs in again).
   * In production (`NODE_ENV=production`) one of the two is required.
   */
  readonly secretKey?: string;
  /** The database; default `new DatabaseManager(databaseUrl)`. */
  readonly db?: DatabaseManager;
  /** Default `DATABASE_URL`, else `sqlite:///:memory:`. */
  readonly databaseUrl?: string;
  readonly logger?: Logger;
  /** Where `CHAT_SECRET`, `DATABASE_URL` and `NODE_ENV` are read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A stored chat message, as the history endpoint returns it. */
export interface ChatMessageRow {
  readonly id: number;
  readonly room_id: string;
  readonly user_id: string;
  readonly message: string;
  readonly created_at: number;
}

const MAX_MESSAGE = 2000;
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

function tableSql(driver: string): string {
  const id = driver === 'postgresql' ? 'id SERIAL PRIMARY KEY' : driver === 'mysql' ? 'id INTEGER PRIMARY KEY AUTO_INCREMENT' : 'id INTEGER PRIMARY KEY AUTOINCREMENT';
  return `CREATE TABLE IF NOT EXISTS chat_messages (${id}, room_id VARCHAR(64) NOT NULL, user_id VARCHAR(64) NOT NULL, message TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)`;
}

/**
 * The token secret: the option, else `CHAT_SECRET`. Production refuses to start without one (a
 * secret written into the example would sign tokens anyone can forge); development gets a random one.
 */
function tokenSecret(options: ChatOptions, env: NodeJS.ProcessEnv): string {
  const configured = options.secretKey || env.CHAT_SECRET;
  if (configured) return configured;
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(
      'CHAT_SECRET is required in production (NODE_ENV=production): set it to a random secret of at least 32 characters',
    );
  }
  return randomBytes(32).toString('base64url');
}

export function createChatApp(options: ChatOptions = {}): { app: CovetApp; auth: JWTAuth; chat: ChatRoom; db: DatabaseManager } {
  const env = options.env ?? process.env;
  const auth = new JWTAuth({ secretKey: tokenSecret(options, env), expirationTime: 3600 });
  const app = new CovetApp(options.logger === undefined ? {} : { logger: options.logger });
  const db = options.db ?? new DatabaseManager(options.databaseUrl ?? env.DATABASE_URL ?? 'sqlite:///:memory:');
  const wsManager = new WebSocketManager();
  const chat = new ChatRoom(wsManager);

  app.addDatabase(db, { required: true });
  app.onStartup(() => db.execute(tableSql(db.dialect.name)));

  app.get('/', () => html(PAGE));

  // A demo login: any well-formed name gets a token (a real app checks a password first).
  app.post('/auth/token', async (req: Request) => {
    const body = (await req.json()) as { username?: unknown } | null;
    const username = body?.username;
    if (typeof username !== 'string' || !NAME.test(username)) throw new HTTPException(400, 'username: 1-32 letters, digits, _ . or -');
    return { access_token: await auth.createToken({ id: username }), token_type: 'bearer' };
  });

  app.websocket(
    '/ws/chat/{room_id}',
    // A chat message is at most MAX_MESSAGE characters in a small JSON object: a client sending
    // more than 64 KiB is closed with 1009 instead of being read (the default allows 16 MiB).
    { maxMessageSize: 64 * 1024 },
    auth.requireWebsocketToken(async (websocket) => {
      const roomId = websocket.params.room_id;
      const userId = String((websocket.state.user as { id: unknown }).id);
      if (!NAME.test(roomId)) {
        await websocket.close(1008, 'Invalid room name');
        return;
      }
      await chat.joinRoom(websocket, roomId, userId);
      try {
        for (;;) {
          let data: unknown;
          try {
            data = await websocket.receiveJson();
          } catch (err) {
            if (!(err instanceof WebSocketError)) throw err;
            await websocket.sendJson({ type: 'error', message: 'Send JSON: {"message": "..."}' });
            continue;
          }
          const text = (data as { message?: unknown } | null)?.message;
          if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE) {
            await websocket.sendJson({ type: 'error', message: `message must be a non-empty string of at most ${MAX_MESSAGE} characters` });
            continue;
          }
          const timestamp = Date.now() / 1000;
          await db.execute('INSERT INTO chat_messages (room_id, user_id, message, created_at) VALUES (%s, %s, %s, %s)', roomId, userId, text, timestamp);
          await chat.broadcastToRoom(roomId, { type: 'message', user_id: userId, message: text, timestamp });
        }
      } catch {
        // The seed's `except Exception`: the socket closed (WebSocketDisconnect) or the handler failed.
      } finally {
        await chat.leaveRoom(websocket);
      }
    }),
  );

  // REST endpoints for chat
  app.get(
    '/chat/rooms',
    auth.requireToken(async () => ({ rooms: chat.rooms })),
  );
  app.get(
    '/chat/rooms/{room_id}/history',
    auth.requireToken(async (req) => {
      const messages = await db.fetchAll<ChatMessageRow>(
        'SELECT * FROM chat_messages WHERE room_id = %s ORDER BY created_at DESC, id DESC LIMIT 50',
        req.params.room_id,
      );
      return { messages };
    }),
  );

  return { app, auth, chat, db };
}
