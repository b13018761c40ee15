export {
  type RealtimeOptions,
  RealtimeManager,
  type RealtimeSocket,
  type RedisPubSubLike,
  type SubscribeOptions,
} from './realtime-manager.js';
