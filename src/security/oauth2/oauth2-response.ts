import { escapeHtml } from '../xss-protector.js';
import type { Request } from '../../request.js';
import { html, json, type Response } from '../../response.js';
import { OAuth2Error } from './oauth2-error.js';

/** RFC 6749 §5.1: token responses (and their errors) must not be cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** A JSON body with `Cache-Control: no-store` and `Pragma: no-cache`. */
export function noStoreJson(body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return json(body, status, { ...NO_STORE, ...headers });
}

/** The RFC 6749 §5.2 response of an `OAuth2Error`; other errors are rethrown. */
export function errorResponse(err: unknown): Response {
  if (!(err instanceof OAuth2Error)) throw err;
  return noStoreJson(err.toJSON(), err.status, err.headers ?? {});
}

/**
 * The page shown when the authorization endpoint cannot trust the redirect URI (unknown client,
 * unregistered URI): it must not redirect (RFC 6749 §4.1.2.1). HTML for browsers, JSON otherwise.
 */
export function errorPage(req: Request, err: OAuth2Error): Response {
  const accept = req.headers.get('accept') ?? '';
  if (!accept.includes('text/html')) return noStoreJson(err.toJSON(), err.status);
  const title = escapeHtml(err.error);
  const text = escapeHtml(err.description ?? 'The authorization request is invalid.');
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head><body><h1>Authorization error</h1><p><code>${title}</code></p><p>${text}</p></body></html>`;
  return html(page, err.status, { ...NO_STORE, 'content-security-policy': "default-src 'none'", 'x-frame-options': 'DENY' });
}
