import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * Subscribes `target`'s handler to a diagnostics channel without keeping `target` alive: once
 * it is garbage-collected the subscription removes itself. Returns the unsubscribe function.
 */
export function subscribeWeak<T extends object>(channel: string, target: T, handler: (target: T, message: unknown) => void): () => void {
  const ref = new WeakRef(target);
  const listener = (message: unknown): void => {
    const t = ref.deref();
    if (t === undefined) unsubscribe(channel, listener);
    else handler(t, message);
  };
  subscribe(channel, listener);
  return () => {
    unsubscribe(channel, listener);
  };
}
