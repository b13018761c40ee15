// Shared set-up of the OAuth2Server tests: a server with one client of each kind, and helpers
// that walk the authorization code flow in-process.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { CovetApp } from '../../../src/index.js';
import { OAuth2Server, type OAuth2ServerOptions } from '../../../src/security/index.js';
import { TestClient, type TestResponse } from '../../../src/testing/index.js';

export const CB = 'https://app.example/cb';
export const ISSUER = 'https://auth.example';
export const WEB_SECRET = 'web-secret';
/** Needs form-urlencoding inside Basic (RFC 6749 §2.3.1): a colon, a slash, a space, a percent and a plus. */
export const SVC_SECRET = 's3:cr/et %x+y';

export function verifier(): string {
  return randomBytes(32).toString('base64url');
}

export function challenge(v: string): string {
  return createHash('sha256').update(v).digest('base64url');
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export function makeServer(extra: Partial<OAuth2ServerOptions> = {}): OAuth2Server {
  return new OAuth2Server({
    issuer: ISSUER,
    scopes: { read: 'Read your data', write: 'Change your data', admin: 'Administer' },
    defaultScopes: ['read'],
    clients: {
      web: { secret: WEB_SECRET, redirectUris: [CB, 'https://app.example/other'], scopes: ['read', 'write'] },
      spa: { redirectUris: [CB] },
      svc: { secret: SVC_SECRET, grantTypes: ['client_credentials'], scopes: ['read', 'admin'] },
      plain: { redirectUris: [CB], allowPlainPkce: true },
    },
    authenticateUser: (req) => {
      const user = req.headers.get('x-user');
      return user ? { id: user } : null;
    },
    ...extra,
  });
}

export function setup(extra: Partial<OAuth2ServerOptions> = {}): { oauth2: OAuth2Server; app: CovetApp; client: TestClient } {
  const oauth2 = makeServer(extra);
  const app = new CovetApp();
  app.includeOAuth2(oauth2);
  app.get('/api/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub, scope: req.state.user.scope })));
  return { oauth2, app, client: new TestClient(app) };
}

/** GET the authorization endpoint as user `alice`; returns the response. */
export function authorize(client: TestClient, query: Record<string, string>, user: string | null = 'alice'): Promise<TestResponse> {
  return client.get(`/oauth/authorize?${new URLSearchParams(query)}`, { headers: user === null ? {} : { 'x-user': user } });
}

/** The query parameters of a redirect's `Location`, checking that it goes back to `base`. */
export function redirected(res: TestResponse, base = CB): Record<string, string> {
  assert.equal(res.status, 302, res.text);
  const location = res.headers.get('location') ?? '';
  const url = new URL(location);
  assert.equal(`${url.origin}${url.pathname}`, base);
  return Object.fromEntries(url.searchParams);
}

/** A code for `spa` (public, PKCE S256) and its verifier. */
export async function spaCode(client: TestClient, extra: Record<string, string> = {}): Promise<{ code: string; verifier: string }> {
  const v = verifier();
  const res = await authorize(client, { response_type: 'code', client_id: 'spa', redirect_uri: CB, code_challenge: challenge(v), code_challenge_method: 'S256', state: 's1', ...extra });
  const params = redirected(res);
  assert.ok(params.code, res.headers.get('location') ?? '');
  return { code: params.code, verifier: v };
}

export function token(client: TestClient, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TestResponse> {
  return client.post('/oauth/token', { form, headers });
}

/** Exchanges a `spa` code; asserts success and returns the token response. */
export async function spaTokens(client: TestClient): Promise<{ access_token: string; refresh_token: string; scope?: string; expires_in: number }> {
  const { code, verifier: v } = await spaCode(client);
  const res = await token(client, { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v });
  assert.equal(res.status, 200, res.text);
  return res.json() as { access_token: string; refresh_token: string; expires_in: number };
}

export async function introspect(client: TestClient, tokenValue: string): Promise<Record<string, unknown>> {
  const res = await client.post('/oauth/introspect', { form: { token: tokenValue }, headers: { authorization: basic('web', WEB_SECRET) } });
  assert.equal(res.status, 200, res.text);
  return res.json() as Record<string, unknown>;
}

/** Asserts an RFC 6749 §5.2 error response. */
export function assertError(res: TestResponse, status: number, body: { error: string; error_description?: string }): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.json(), body);
  assert.equal(res.headers.get('cache-control'), 'no-store');
}
