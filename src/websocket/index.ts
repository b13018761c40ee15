export { CLOSE_CODES, isValidCloseCode } from '../http/websocket/close-codes.js';
export type { PerMessageDeflateOptions } from '../http/websocket/permessage-deflate.js';
export { PreparedMessage } from '../http/websocket/prepared-message.js';
export {
  type AcceptOptions,
  type PreparedMessageLike,
  WebSocket,
  type WebSocketClose,
  type WebSocketReadyState,
} from '../http/websocket/websocket.js';
export { WebSocketDisconnect } from '../http/websocket/websocket-disconnect.js';
export { WebSocketError, type WebSocketErrorCode } from '../http/websocket/websocket-error.js';
export { WebSocketHandshakeError } from '../http/websocket/websocket-handshake-error.js';
export type { WebSocketOptions } from '../http/websocket/websocket-options.js';
export type { WebSocketHandler, WebSocketRouteOptions } from '../http/websocket/websocket-route.js';
export {
  type BroadcastOptions,
  type ManagedWebSocket,
  type ManagerConnectOptions,
  type ManagerMessage,
  type UserId,
  WebSocketManager,
} from './websocket-manager.js';
