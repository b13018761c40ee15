import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException } from '../../../src/index.js';
import { CORSMiddleware, CSP_NONCE, CSRFProtection, SecurityConfig, SecurityHeaders } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

const OWASP = {
  'content-security-policy': "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

describe('SecurityHeaders', () => {
  it('sends the OWASP defaults on every response, errors and 404s included', async () => {
    const app = new CovetApp();
    app.addMiddleware(new SecurityHeaders());
    app.get('/', () => 'hi');
    app.get('/boom', () => {
      throw new HTTPException(403, 'no');
    });
    await using client = new TestClient(app);
    for (const path of ['/', '/boom', '/missing']) {
      const res = await client.get(path);
      for (const [name, value] of Object.entries(OWASP)) assert.equal(res.headers.get(name), value, `${path} ${name}`);
    }
  });

  it('puts a fresh nonce where the policy has CSP_NONCE and hands it to the handler as req.state.cspNonce', async () => {
    const app = new CovetApp();
    app.addMiddleware(new SecurityHeaders({ contentSecurityPolicy: { 'default-src': ["'self'"], 'script-src': ["'self'", CSP_NONCE], 'style-src': [CSP_NONCE] } }));
    app.get('/', (req) => ({ nonce: req.state.cspNonce }));
    app.get('/own', (req) => [{ nonce: req.state.cspNonce }, 200, { 'content-security-policy': "default-src 'none'" }]);
    await using client = new TestClient(app);
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await client.get('/');
      const { nonce } = (await res.json()) as { nonce: string };
      assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(res.headers.get('content-security-policy'), `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'nonce-${nonce}'`);
      nonces.add(nonce);
    }
    assert.equal(nonces.size, 3);
    // A policy the handler set itself is left alone; the nonce is still made for its page.
    const own = await client.get('/own');
    assert.equal(own.headers.get('content-security-policy'), "default-src 'none'");
    // In a report-only or string policy too.
    const reportOnly = new CovetApp();
    reportOnly.addMiddleware(new SecurityHeaders({ contentSecurityPolicy: `script-src ${CSP_NONCE} 'strict-dynamic'`, cspReportOnly: true }));
    reportOnly.get('/', (req) => req.state.cspNonce ?? 'none');
    await using second = new TestClient(reportOnly);
    const res = await second.get('/');
    assert.equal(res.headers.get('content-security-policy-report-only'), `script-src 'nonce-${res.text}' 'strict-dynamic'`);
  });

  it('makes no nonce when the policy has none', async () => {
    const app = new CovetApp();
    app.addMiddleware(new SecurityHeaders());
    app.get('/', (req) => ({ nonce: req.state.cspNonce ?? null }));
    await using client = new TestClient(app);
    assert.deepEqual(await (await client.get('/')).json(), { nonce: null });
  });

  it('overrides or turns off each header; structured CSP and HSTS', () => {
    const h = new SecurityHeaders({
      contentSecurityPolicy: { 'default-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': true },
      strictTransportSecurity: { maxAge: 600, includeSubDomains: false, preload: true },
      referrerPolicy: 'no-referrer',
      frameOptions: 'SAMEORIGIN',
      contentTypeOptions: false,
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: 'cross-origin',
      permittedCrossDomainPolicies: false,
      permissionsPolicy: false,
      extra: { 'X-Robots-Tag': 'noindex' },
    });
    assert.deepEqual(Object.fromEntries(h.headers), {
      'content-security-policy': "default-src 'self'; img-src 'self' data:; upgrade-insecure-requests",
      'strict-transport-security': 'max-age=600; preload',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'SAMEORIGIN',
      'cross-origin-resource-policy': 'cross-origin',
      'x-robots-tag': 'noindex',
    });
    const ro = new SecurityHeaders({ contentSecurityPolicy: "script-src 'self'", cspReportOnly: true, strictTransportSecurity: 'max-age=5' });
    assert.equal(Object.fromEntries(ro.headers)['content-security-policy-report-only'], "script-src 'self'");
    assert.equal(Object.fromEntries(ro.headers)['strict-transport-security'], 'max-age=5');
  });

  it('leaves headers the handler set alone', async () => {
    const app = new CovetApp();
    app.addMiddleware(new SecurityHeaders());
    app.get('/embed', () => [{}, 200, { 'content-security-policy': "frame-ancestors 'self'", 'x-frame-options': 'SAMEORIGIN' }]);
    await using client = new TestClient(app);
    const res = await client.get('/embed');
    assert.equal(res.headers.get('content-security-policy'), "frame-ancestors 'self'");
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('refuses header injection and malformed CSP', () => {
    assert.throws(() => new SecurityHeaders({ referrerPolicy: 'no-referrer\r\nSet-Cookie: a=b' }), { code: 'ERR_SECURITY_HEADERS' });
    assert.throws(() => new SecurityHeaders({ contentSecurityPolicy: { 'default-src': ["'self'; script-src *"] } }), { code: 'ERR_SECURITY_HEADERS' });
    assert.throws(() => new SecurityHeaders({ contentSecurityPolicy: { 'Bad Name': ['x'] } }), { code: 'ERR_SECURITY_HEADERS' });
    assert.throws(() => new SecurityHeaders({ strictTransportSecurity: { maxAge: -1 } }), { code: 'ERR_SECURITY_HEADERS' });
    // An extra header Node cannot send would otherwise turn every response into a 500.
    assert.throws(() => new SecurityHeaders({ extra: { 'Bad Name': 'x' } }), { code: 'ERR_SECURITY_HEADERS', message: 'Invalid header name: "bad name"' });
    assert.throws(() => new SecurityHeaders({ extra: { 'x-n': 1 as unknown as string } }), { code: 'ERR_SECURITY_HEADERS' });
  });
});

describe('SecurityConfig', () => {
  it('turns headers, CORS and CSRF on together, in order, once per app; the app keeps it as securityConfig', async () => {
    const securityConfig = new SecurityConfig({ secretKey: 'config-secret-0123456789', csrf: true, cors: { allowOrigins: ['https://myapp.com'] } });
    const app = new CovetApp({ securityConfig });
    assert.equal(app.securityConfig, securityConfig);
    securityConfig.apply(app);
    app.register(securityConfig.plugin);
    securityConfig.apply(app);
    assert.ok(app.hasPlugin('covet.security'));
    const mw = securityConfig.middleware();
    assert.deepEqual(
      mw.map((m) => m.constructor.name),
      ['SecurityHeaders', 'CORSMiddleware', 'CSRFProtection'],
    );
    assert.ok(securityConfig.cors instanceof CORSMiddleware);
    assert.ok(securityConfig.csrf instanceof CSRFProtection);
    app.post('/x', () => 'posted');
    await using client = new TestClient(app);
    // A preflight is answered by CORS before CSRF could refuse it, and carries the headers.
    const pre = await client.options('/x', { headers: { origin: 'https://myapp.com', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(pre.headers.get('x-content-type-options'), 'nosniff');
    // A CSRF refusal carries CORS and security headers (so the page can read the error).
    const refused = await client.post('/x', { headers: { origin: 'https://myapp.com' } });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), { error: 'CSRF origin check failed' });
    assert.equal(refused.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(refused.headers.get('x-frame-options'), 'DENY');
    await client.get('/x'); // any safe request hands out the cookie (a 405 here)
    const ok = await client.post('/x', { headers: { 'x-csrf-token': client.cookies.get('csrftoken') ?? '' } });
    assert.equal(ok.text, 'posted');
    assert.equal(mw.length, 3, 'registered once although applied three times');
  });

  it('defaults to headers only; each part can be configured or turned off', () => {
    assert.deepEqual(new SecurityConfig().middleware().map((m) => m.constructor.name), ['SecurityHeaders']);
    assert.deepEqual(new SecurityConfig({ headers: false }).middleware(), []);
    const custom = new SecurityConfig({ headers: { frameOptions: false }, csrf: { secretKey: 'own-secret-0123456789abc', exemptPaths: ['/hook'] } });
    assert.equal(Object.fromEntries(custom.securityHeaders?.headers ?? [])['x-frame-options'], undefined);
    assert.throws(() => new SecurityConfig({ csrf: true }), { code: 'ERR_SECURITY_CONFIG' });
  });

  it('new CovetApp({ securityConfig }) applies it, ahead of the constructor\'s middleware: headers and CORS without apply()', async () => {
    const securityConfig = new SecurityConfig({ headers: true, cors: { allowOrigins: ['https://myapp.com'] } });
    const app = new CovetApp({ securityConfig, middleware: [async function audit(req, callNext) { return callNext(req); }] });
    assert.ok(app.hasPlugin('covet.security'));
    app.get('/data', () => ({ data: 1 }));
    assert.deepEqual(app.routeTable().find((r) => r.path === '/data')?.middleware, ['SecurityHeaders', 'CORSMiddleware', 'audit']);
    await using client = new TestClient(app);
    const res = await client.get('/data', { headers: { origin: 'https://myapp.com' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { data: 1 });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(res.headers.get('vary'), 'Origin');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    const other = await client.get('/data', { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('x-content-type-options'), 'nosniff');
  });

  it('an explicit securityConfig.apply(app) on an app constructed with it does not apply it twice', async () => {
    const securityConfig = new SecurityConfig({ secretKey: 'csrf-secret-key', csrf: true, cors: { allowOrigins: ['https://myapp.com'] } });
    const app = securityConfig.apply(new CovetApp({ securityConfig }));
    securityConfig.apply(app);
    app.register(securityConfig.plugin);
    app.post('/x', () => 'posted');
    assert.deepEqual(app.routeTable().find((r) => r.path === '/x')?.middleware, ['SecurityHeaders', 'CORSMiddleware', 'CSRFProtection']);
    await using client = new TestClient(app);
    const pre = await client.options('/x', { headers: { origin: 'https://myapp.com', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('vary'), 'Access-Control-Request-Headers, Origin', 'CORS ran once');
    const refused = await client.post('/x');
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), { error: 'CSRF token missing' });
    const handedOut = await client.get('/x'); // a 405, with the CSRF cookie
    assert.equal(handedOut.headers.getSetCookie().length, 1, 'one CSRF cookie');
    assert.equal((await client.post('/x', { headers: { 'x-csrf-token': client.cookies.get('csrftoken') ?? '' } })).text, 'posted');
    // A plain object is only kept.
    const plain = { csrfProtection: true };
    const kept = new CovetApp({ securityConfig: plain });
    assert.equal(kept.securityConfig, plain);
    assert.equal(kept.hasPlugin('covet.security'), false);
  });
});
