import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CovetApp } from '../app.js';
import { HTTPException } from '../errors.js';
import { annotateOpenAPI } from '../internal/openapi-meta.js';
import type { Request } from '../request.js';
import { json, redirect, Response } from '../response.js';
import type { MiddlewareFunction } from '../types.js';
import { ConsoleAuth, CONSOLE_COOKIE } from './console-auth.js';
import { subscribeConsoleChannels } from './console-channels.js';
import { type ConsoleOptions, resolveConsoleOptions } from './console-options.js';
import { consolePage } from './console-page.js';
import { ConsoleStore } from './console-store.js';
import type { RequestRecord } from './request-record.js';
import { createRequestRecorder } from './request-recorder.js';

const LAG_RESOLUTION_MS = 20;
const HEALTH_INTERVAL_MS = 5000;
const PREFIX = /^(?:\/[A-Za-z0-9._~-]+)+$/;

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function withHeaders(res: Response, headers: Readonly<Record<string, string>>): Response {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

/** The request target without its `token` query parameter (where `?token=` redirects to). */
/** A query pair's name as the query parser reads it (`to%6Ben` is `token`). */
function queryName(pair: string): string {
  const name = pair.split('=', 1)[0] as string;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

function withoutToken(req: Request): string {
  const query = req.url.query
    .split('&')
    .filter((pair) => pair !== '' && queryName(pair) !== 'token')
    .join('&');
  return query === '' ? req.url.path : `${req.url.path}?${query}`;
}

function isSecure(req: Request): boolean {
  const socket = req.raw?.socket as { encrypted?: boolean } | undefined;
  return socket?.encrypted === true || req.headers.get('x-forwarded-proto') === 'https';
}

/**
 * Sets up the console of `app` under `path`: its routes, the channel subscriptions and the
 * event-loop delay monitor (stopped at shutdown). Returns the recording middleware for the
 * front of the app's chain, or `null` when the console stays off (outside debug mode without a
 * token). Called by `app.console()`.
 *
 * @example
 * const recorder = installConsole(app, '/_covet', { token: process.env.CONSOLE_TOKEN });
 */
export function installConsole(app: CovetApp, path: string, options: ConsoleOptions): MiddlewareFunction | null {
  if (typeof path !== 'string' || !PREFIX.test(path)) {
    throw new TypeError(
      `console(): the path must look like "/_covet" (letters, digits, "._~-" between slashes), got ${JSON.stringify(path)}`,
    );
  }
  const resolved = resolveConsoleOptions(options);
  if (resolved.token === null && !app.debug) {
    app.logger.info(`Covet Console is off: outside debug mode it needs a token, app.console(${JSON.stringify(path)}, { token })`);
    return null;
  }
  const loop = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  loop.enable();
  const lag = (): number => {
    // The histogram records whole timer intervals: the lag is what exceeds the resolution.
    const value = loop.count > 0 ? Math.max(0, loop.percentile(99) / 1e6 - LAG_RESOLUTION_MS) : 0;
    loop.reset();
    return Math.round(value * 100) / 100;
  };
  const store = new ConsoleStore(resolved, lag);
  const requests = new AsyncLocalStorage<RequestRecord>();
  const unsubscribe = subscribeConsoleChannels(store, requests);
  // An app with a database runs queries from the first request on: attribute them all.
  app.onStartup(() => {
    if (app.databases.length > 0) store.attributing = true;
  });
  app.onShutdown(() => {
    unsubscribe();
    loop.disable();
  });
  const auth = new ConsoleAuth(resolved.token);
  let healthRun = 0;

  // The console is a developer tool, not part of the app's API: its routes stay out of `app.openapi()`.
  const guarded = (handler: (req: Request) => Response | Promise<Response>) =>
    annotateOpenAPI(
      async (req: Request): Promise<Response> => {
        if (auth.check(req) === 'query' && auth.cookieValue !== null) {
          // Trade the token in the URL for a cookie, and take it out of the address bar and history.
          const res = redirect(withoutToken(req), 303);
          res.setCookie(CONSOLE_COOKIE, auth.cookieValue, { path, httpOnly: true, sameSite: 'Strict', secure: isSecure(req) });
          return withHeaders(res, NO_STORE);
        }
        let res: Response;
        try {
          res = await handler(req);
        } catch (err) {
          // The console's own 400/404 answers are console responses too: never stored either.
          if (!(err instanceof HTTPException)) throw err;
          res = json(err.toJSON(), err.status, err.headers);
        }
        return withHeaders(res, NO_STORE);
      },
      { exclude: true },
    );
  const tags = ['covet-console'];

  app.get(
    path,
    { name: 'covet-console', tags },
    guarded(() => {
      const nonce = randomBytes(16).toString('base64');
      return new Response(consolePage(path, nonce), {
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          'x-frame-options': 'DENY',
        },
      });
    }),
  );
  app.get(
    `${path}/api/snapshot`,
    { name: 'covet-console-snapshot', tags },
    guarded((req) => {
      const since = req.queryParams.get('since', 0, 'int');
      if (since < 0) throw new HTTPException(400, 'since must be a non-negative integer', { code: 'ERR_CONSOLE_BAD_QUERY' });
      const health = resolved.health;
      if (health !== null && Date.now() - healthRun >= HEALTH_INTERVAL_MS) {
        healthRun = Date.now();
        // Results arrive on the health channel; a failing run is a failing check, already reported there.
        void health.run().catch(() => {});
      }
      return json({ ...store.snapshot(since), routes: app.routeTable() });
    }),
  );
  app.get(
    `${path}/api/requests/{id:int}`,
    { name: 'covet-console-request', tags },
    guarded((req) => {
      const detail = store.request(req.params.id as number);
      if (detail === null) throw new HTTPException(404, 'No such request in the console buffer', { code: 'ERR_CONSOLE_NOT_FOUND' });
      return json(detail);
    }),
  );
  return createRequestRecorder(store, requests, path);
}
