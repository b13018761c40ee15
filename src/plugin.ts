import type { CovetApp } from './app.js';

/**
 * A plugin: a function of the app (and options) that adds routes, middleware, hooks or
 * decorations. Give it a stable `pluginName` (or use `definePlugin`) so that two plugins that
 * both need it register it once.
 */
export interface Plugin<O = undefined> {
  (app: CovetApp, options: O): void | Promise<void>;
  readonly pluginName?: string;
}

/** The identity used to register a plugin once: its `pluginName`, else the function itself. */
export function pluginKey(plugin: Plugin<never>): unknown {
  if (typeof plugin !== 'function') throw new TypeError('A plugin must be a function (app, options) => void');
  return plugin.pluginName ?? plugin;
}

/**
 * Names a plugin.
 *
 * @example
 * export const database = definePlugin('database', (app, opts: { url: string }) => { app.onStartup(...) });
 * app.register(database, { url: 'sqlite:///app.db' });
 */
export function definePlugin<O = undefined>(name: string, fn: (app: CovetApp, options: O) => void | Promise<void>): Plugin<O> {
  return Object.assign(fn, { pluginName: name });
}
