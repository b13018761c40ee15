import { CovetError } from '../errors.js';
import { importPeer } from './import-peer.js';

/**
 * Loads the `Redis` class of the optional `ioredis` peer dependency on first use. `feature` names
 * what needs it, for the "npm install ioredis" error. `C` is the constructor shape the caller uses.
 */
export async function loadIoredis<C extends abstract new (...args: never[]) => unknown>(feature: string): Promise<C> {
  const mod = (await importPeer('ioredis', feature)) as { Redis?: C; default?: C };
  const Redis = mod.Redis ?? mod.default;
  if (typeof Redis !== 'function') {
    throw new CovetError('The installed "ioredis" exports no Redis class; install ioredis 5 or later', { code: 'ERR_MISSING_DEPENDENCY' });
  }
  return Redis;
}
