import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import { CovetApp } from '../../../src/index.js';
import { JWT_ALGORITHMS, type JWTAlgorithm, JWTAuth, JWTError, type JWTAuthOptions, MemoryRevocationStore } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs512-0123456789abcdef';
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec: Record<string, { privateKey: KeyObject; publicKey: KeyObject }> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
const ed = generateKeyPairSync('ed25519');

function pairFor(alg: JWTAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } | null {
  if (alg.startsWith('HS')) return null;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return rsa;
  if (alg === 'EdDSA' || alg === 'Ed25519') return ed;
  return ec[alg] ?? null;
}
const pem = (k: KeyObject, type: 'private' | 'public'): string =>
  k.export(type === 'private' ? { type: 'pkcs8', format: 'pem' } : { type: 'spki', format: 'pem' }).toString();

/** Covet options for `alg`, with keys as PEM or as JWK. */
function optionsFor(alg: JWTAlgorithm, form: 'pem' | 'jwk', extra: Partial<JWTAuthOptions> = {}): JWTAuthOptions {
  const pair = pairFor(alg);
  if (pair === null) return { algorithm: alg, secretKey: form === 'pem' ? SECRET : { kty: 'oct', k: Buffer.from(SECRET).toString('base64url') }, ...extra };
  return form === 'pem'
    ? { algorithm: alg, privateKey: pem(pair.privateKey, 'private'), publicKey: pem(pair.publicKey, 'public'), ...extra }
    : { algorithm: alg, privateKey: pair.privateKey.export({ format: 'jwk' }), publicKey: pair.publicKey.export({ format: 'jwk' }), ...extra };
}

/** jose's signing and verification keys for `alg`. */
async function joseKeys(alg: JWTAlgorithm): Promise<{ sign: jose.CryptoKey | Uint8Array; verify: jose.CryptoKey | Uint8Array }> {
  const pair = pairFor(alg);
  if (pair === null) return { sign: Buffer.from(SECRET), verify: Buffer.from(SECRET) };
  return { sign: await jose.importPKCS8(pem(pair.privateKey, 'private'), alg), verify: await jose.importSPKI(pem(pair.publicKey, 'public'), alg) };
}

function protectedApp(auth: JWTAuth): CovetApp {
  const app = new CovetApp();
  app.get('/protected', auth.requireToken(async (req) => ({ message: `Hello, ${String(req.state.user.user)}!` })));
  return app;
}

async function expect401(auth: JWTAuth, token: string, error: string): Promise<void> {
  await using client = new TestClient(protectedApp(auth));
  const res = await client.get('/protected', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 401, `${error}: ${res.text}`);
  assert.deepEqual(res.json(), { error });
  assert.equal(res.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="${error}"`);
}

describe('JWTAuth', () => {
  describe('interop with jose, both directions', () => {
    for (const alg of JWT_ALGORITHMS) {
      for (const form of ['pem', 'jwk'] as const) {
        it(`${alg} (${form} keys): Covet tokens verify in jose and jose tokens verify in Covet`, async () => {
          const auth = new JWTAuth(optionsFor(alg, form, { issuer: 'covet-tests', audience: 'api' }));
          const keys = await joseKeys(alg);
          const token = await auth.createToken({ user: 'alice', n: 1 });
          const verified = await jose.jwtVerify(token, keys.verify, { algorithms: [alg], issuer: 'covet-tests', audience: 'api' });
          assert.equal(verified.payload.user, 'alice');
          assert.equal(verified.protectedHeader.alg, alg);
          assert.equal(typeof verified.payload.jti, 'string');

          const fromJose = await new jose.SignJWT({ user: 'bob' })
            .setProtectedHeader({ alg })
            .setIssuedAt()
            .setExpirationTime('5m')
            .setIssuer('covet-tests')
            .setAudience(['other', 'api'])
            .setJti('jose-1')
            .sign(keys.sign);
          const claims = await auth.verifyToken(fromJose);
          assert.equal(claims.user, 'bob');
          assert.equal(claims.jti, 'jose-1');
        });
      }
    }

    it('publishes a JWKS that jose verifies Covet tokens with', async () => {
      for (const alg of ['RS256', 'ES256', 'EdDSA', 'Ed25519', 'PS256'] as const) {
        const auth = new JWTAuth(optionsFor(alg, 'pem'));
        const app = new CovetApp();
        app.get('/.well-known/jwks.json', auth.jwksHandler);
        await using client = new TestClient(app);
        const res = await client.get('/.well-known/jwks.json');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=3600');
        const jwks = res.json<jose.JSONWebKeySet>();
        assert.equal(jwks.keys.length, 1);
        assert.equal(jwks.keys[0]?.alg, alg);
        assert.equal(jwks.keys[0]?.use, 'sig');
        assert.equal(jwks.keys[0]?.d, undefined, 'no private part');
        const token = await auth.createToken({ user: 'carol' });
        const header = jose.decodeProtectedHeader(token);
        assert.equal(header.kid, jwks.keys[0]?.kid);
        assert.equal(header.kid, await jose.calculateJwkThumbprint(jwks.keys[0] as jose.JWK));
        const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks));
        assert.equal(payload.user, 'carol');
      }
    });

    it('rotates keys: previousKeys still verify (by kid, or tried in turn) and are published in the JWKS', async () => {
      const oldPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const newPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const before = new JWTAuth({ algorithm: 'ES256', privateKey: oldPair.privateKey });
      const oldToken = await before.createToken({ user: 'old' });
      const after = new JWTAuth({ algorithm: 'ES256', privateKey: newPair.privateKey, previousKeys: [pem(oldPair.publicKey, 'public')] });
      assert.equal((await after.verifyToken(oldToken)).user, 'old');
      assert.equal((await after.verifyToken(await after.createToken({ user: 'new' }))).user, 'new');
      const noKid = await new jose.SignJWT({ user: 'nokid' }).setProtectedHeader({ alg: 'ES256' }).sign(oldPair.privateKey);
      assert.equal((await after.verifyToken(noKid)).user, 'nokid');
      const stranger = new JWTAuth({ algorithm: 'ES256', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
      await assert.rejects(after.verifyToken(await stranger.createToken({})), { code: 'ERR_JWT_SIGNATURE' });
      const jwks = after.jwks();
      assert.equal(jwks.keys.length, 2);
      assert.equal(jwks.keys[1]?.kid, jose.decodeProtectedHeader(oldToken).kid);
      const { payload } = await jose.jwtVerify(oldToken, jose.createLocalJWKSet(jwks as jose.JSONWebKeySet));
      assert.equal(payload.user, 'old');
      assert.throws(() => new JWTAuth({ algorithm: 'ES256', privateKey: newPair.privateKey, previousKeys: [rsa.publicKey] }), { code: 'ERR_JWT_KEY' });
      // An RSASSA-PSS key (id-RSASSA-PSS) has no JWK form: refused by name, however it is given.
      const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256' });
      for (const keys of [{ privateKey: pss.privateKey }, { privateKey: pss.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }, { publicKey: pss.publicKey.export({ type: 'spki', format: 'pem' }) as string }]) {
        assert.throws(() => new JWTAuth({ algorithm: 'PS256', ...keys }), {
          code: 'ERR_JWT_KEY',
          message: 'PS256 needs a plain RSA key (rsaEncryption), not an RSASSA-PSS key (id-RSASSA-PSS)',
        });
      }

      const hsOld = new JWTAuth('old-secret-0123456789');
      const hsNew = new JWTAuth({ secretKey: 'new-secret-0123456789', previousKeys: ['old-secret-0123456789'] });
      assert.equal((await hsNew.verifyToken(await hsOld.createToken({ n: 1 }))).n, 1);
      await assert.rejects(hsOld.verifyToken(await hsNew.createToken({ n: 2 })), { code: 'ERR_JWT_SIGNATURE' });
    });

    it('keeps the kid of a JWK key: tokens verify against the owner\'s JWKS (keyId, then the JWK\'s kid, then the thumbprint)', async () => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'my-key-1' };
      const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'my-key-1', alg: 'ES256', use: 'sig' };
      // What the key's owner publishes.
      const ownerJwks = jose.createLocalJWKSet({ keys: [publicJwk, { ...ec.ES256?.publicKey.export({ format: 'jwk' }), kid: 'other-key' }] });

      const signer = new JWTAuth({ algorithm: 'ES256', privateKey: privateJwk });
      const token = await signer.createToken({ user: 'dana' });
      assert.deepEqual(jose.decodeProtectedHeader(token), { alg: 'ES256', typ: 'JWT', kid: 'my-key-1' });
      const { payload, protectedHeader } = await jose.jwtVerify(token, ownerJwks, { algorithms: ['ES256'] });
      assert.equal(payload.user, 'dana');
      assert.equal(protectedHeader.kid, 'my-key-1');
      assert.deepEqual(
        signer.jwks().keys.map((k) => k.kid),
        ['my-key-1'],
      );
      assert.equal((await jose.jwtVerify(token, jose.createLocalJWKSet(signer.jwks() as jose.JSONWebKeySet))).payload.user, 'dana');

      // The public JWK alone: the verifier picks it by the same kid.
      const verifier = new JWTAuth({ algorithm: 'ES256', publicKey: publicJwk });
      assert.equal((await verifier.verifyToken(token)).user, 'dana');
      assert.equal(verifier.jwks().keys[0]?.kid, 'my-key-1');
      assert.equal(jose.decodeProtectedHeader(await new JWTAuth({ algorithm: 'ES256', privateKey: privateJwk, publicKey: publicJwk }).createToken({})).kid, 'my-key-1');

      // An explicit keyId wins; a JWK without a kid (or a PEM) gets the thumbprint.
      const named = new JWTAuth({ algorithm: 'ES256', privateKey: privateJwk, keyId: 'explicit' });
      assert.equal(jose.decodeProtectedHeader(await named.createToken({})).kid, 'explicit');
      assert.equal(named.jwks().keys[0]?.kid, 'explicit');
      const { kid: _kid, ...anonymous } = privateJwk;
      const thumb = await jose.calculateJwkThumbprint(pair.publicKey.export({ format: 'jwk' }) as jose.JWK);
      assert.equal(jose.decodeProtectedHeader(await new JWTAuth({ algorithm: 'ES256', privateKey: anonymous }).createToken({})).kid, thumb);
      assert.equal(jose.decodeProtectedHeader(await new JWTAuth({ algorithm: 'ES256', privateKey: pair.privateKey }).createToken({})).kid, thumb);

      // Keys that name different kids are a configuration error.
      assert.throws(() => new JWTAuth({ algorithm: 'ES256', privateKey: privateJwk, publicKey: { ...publicJwk, kid: 'my-key-2' } }), {
        code: 'ERR_JWT_KEY',
        message: 'privateKey and publicKey name different kids ("my-key-1", "my-key-2"): set keyId',
      });

      // A previous key given as a JWK keeps its kid too (rotation with the owner's JWKS).
      const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const rotated = new JWTAuth({ algorithm: 'ES256', privateKey: { ...next.privateKey.export({ format: 'jwk' }), kid: 'my-key-2' }, previousKeys: [publicJwk] });
      assert.deepEqual(
        rotated.jwks().keys.map((k) => k.kid),
        ['my-key-2', 'my-key-1'],
      );
      assert.equal((await rotated.verifyToken(token)).user, 'dana');

      // An oct JWK's kid names HS* tokens.
      const hs = new JWTAuth({ secretKey: { kty: 'oct', k: Buffer.from(SECRET).toString('base64url'), kid: 'hs-1' } });
      const hsToken = await hs.createToken({ n: 1 });
      assert.deepEqual(jose.decodeProtectedHeader(hsToken), { alg: 'HS256', typ: 'JWT', kid: 'hs-1' });
      assert.equal((await jose.jwtVerify(hsToken, new TextEncoder().encode(SECRET))).payload.n, 1);
    });

    it('has no JWKS for a shared secret', () => {
      const auth = new JWTAuth(SECRET);
      assert.throws(() => auth.jwks(), { code: 'ERR_JWKS_SYMMETRIC' });
      assert.throws(() => auth.jwksHandler, { code: 'ERR_JWKS_SYMMETRIC' });
    });
  });

  describe('createToken and verifyToken', () => {
    it('sets iat, exp, jti, iss, aud and keeps the payload (seed: JWTAuth("secret-key"))', async () => {
      const auth = new JWTAuth({ secretKey: SECRET, expirationTime: 60, issuer: 'me', audience: ['a', 'b'] });
      const token = await auth.createToken({ user: 'alice' }, { subject: '42' });
      const claims = await auth.verifyToken(token);
      assert.equal(claims.user, 'alice');
      assert.equal(claims.sub, '42');
      assert.equal(claims.iss, 'me');
      assert.deepEqual(claims.aud, ['a', 'b']);
      assert.ok(Math.abs((claims.iat ?? 0) - now()) <= 1);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 60);
      assert.match(claims.jti ?? '', /^[0-9a-f-]{36}$/);
      const seed = new JWTAuth('secret-key');
      assert.equal((await seed.verifyToken(await seed.createToken({ user: 'x' }))).user, 'x');
      assert.deepEqual(jose.decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    });

    it('expirationTime 0 leaves exp out; expiresIn and notBefore override per token', async () => {
      const auth = new JWTAuth({ secretKey: SECRET, expirationTime: 0 });
      assert.equal((await auth.verifyToken(await auth.createToken({}))).exp, undefined);
      const later = await auth.createToken({}, { notBefore: 120 });
      await assert.rejects(auth.verifyToken(later), { code: 'ERR_JWT_NOT_YET_VALID' });
      const short = await auth.createToken({}, { expiresIn: 5 });
      const c = await auth.verifyToken(short);
      assert.equal((c.exp ?? 0) - (c.iat ?? 0), 5);
    });

    it('accepts exp and nbf within the leeway only', async () => {
      const sign = (claims: object): string => {
        const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
        return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      };
      const strict = new JWTAuth(SECRET);
      const lenient = new JWTAuth({ secretKey: SECRET, leeway: 30 });
      const expired = sign({ exp: now() - 10 });
      const early = sign({ nbf: now() + 10 });
      await assert.rejects(strict.verifyToken(expired), { code: 'ERR_JWT_EXPIRED' });
      await assert.rejects(strict.verifyToken(early), { code: 'ERR_JWT_NOT_YET_VALID' });
      await lenient.verifyToken(expired);
      await lenient.verifyToken(early);
      await assert.rejects(lenient.verifyToken(sign({ exp: now() - 31 })), { code: 'ERR_JWT_EXPIRED' });
      await strict.verifyToken(expired, { leeway: 60 });
      await assert.rejects(strict.verifyToken(sign({ exp: 'tomorrow' })), { code: 'ERR_JWT_CLAIMS' });
    });

    it('checks aud and iss per call too', async () => {
      const auth = new JWTAuth(SECRET);
      const token = await auth.createToken({}, { audience: 'x', issuer: 'i' });
      await auth.verifyToken(token, { audience: ['y', 'x'], issuer: 'i' });
      await assert.rejects(auth.verifyToken(token, { audience: 'y' }), { code: 'ERR_JWT_AUDIENCE' });
      await assert.rejects(auth.verifyToken(token, { issuer: 'j' }), { code: 'ERR_JWT_ISSUER' });
    });

    it('without an audience option accepts any aud (or none), as jose does; with one requires it', async () => {
      const open = new JWTAuth(SECRET);
      for (const audience of ['https://api.example', ['a', 'b']]) {
        const token = await new JWTAuth({ secretKey: SECRET, audience }).createToken({ user: 'ann' });
        assert.deepEqual((await open.verifyToken(token)).aud, audience);
        await jose.jwtVerify(token, Buffer.from(SECRET));
      }
      const pinned = new JWTAuth({ secretKey: SECRET, audience: 'https://api.example' });
      await assert.rejects(pinned.verifyToken(await open.createToken({})), { code: 'ERR_JWT_AUDIENCE' });
      await assert.rejects(pinned.verifyToken(await open.createToken({}, { audience: 'https://other.example' })), { code: 'ERR_JWT_AUDIENCE' });
    });

    it('type sets the typ header and then requires it (RFC 7515 §4.1.9 comparison); without it any typ passes', async () => {
      const at = new JWTAuth({ secretKey: SECRET, type: 'at+jwt' });
      const token = await at.createToken({ user: 'ann' });
      assert.deepEqual(jose.decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt' });
      assert.equal((await jose.jwtVerify(token, Buffer.from(SECRET), { typ: 'at+jwt' })).payload.user, 'ann');
      assert.equal((await at.verifyToken(token)).user, 'ann');
      // Any typ passes a JWTAuth without the option, at+jwt included.
      assert.equal((await new JWTAuth(SECRET).verifyToken(token)).user, 'ann');
      const sign = (header: object): string => {
        const input = `${b64({ alg: 'HS256', ...header })}.${b64({ user: 'mallory', exp: now() + 60 })}`;
        return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      };
      for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+JWT']) assert.equal((await at.verifyToken(sign({ typ }))).user, 'mallory');
      for (const header of [{ typ: 'JWT' }, {}, { typ: 'application/jwt' }, { typ: 7 }]) {
        await assert.rejects(at.verifyToken(sign(header)), { status: 401, code: 'ERR_JWT_TYPE', message: 'Invalid token type' });
        assert.equal((await new JWTAuth(SECRET).verifyToken(sign(header))).user, 'mallory');
      }
      await expect401(at, await new JWTAuth(SECRET).createToken({ user: 'x' }), 'Invalid token type');
      for (const type of ['', 'at jwt', 42 as unknown as string]) assert.throws(() => new JWTAuth({ secretKey: SECRET, type }), { code: 'ERR_JWT_OPTIONS' });
    });

    it('refuses keys that do not fit the algorithm, at construction', () => {
      const rsaPem = pem(rsa.publicKey, 'public');
      assert.throws(() => new JWTAuth({ secretKey: rsaPem }), { code: 'ERR_JWT_KEY', message: /looks like a PEM key/ });
      assert.throws(() => new JWTAuth({ secretKey: rsa.publicKey }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ secretKey: '' }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ algorithm: 'RS256', secretKey: SECRET }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ algorithm: 'ES256', privateKey: ec.ES384?.privateKey as KeyObject }), { code: 'ERR_JWT_KEY', message: /prime256v1/ });
      assert.throws(() => new JWTAuth({ algorithm: 'ES256', privateKey: rsa.privateKey }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ algorithm: 'EdDSA', privateKey: rsa.privateKey }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ algorithm: 'Ed25519', privateKey: generateKeyPairSync('ed448').privateKey }), { code: 'ERR_JWT_KEY', message: 'Ed25519 needs an Ed25519 key, got ed448' });
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
      assert.throws(() => new JWTAuth({ algorithm: 'RS256', privateKey: small.privateKey }), { code: 'ERR_JWT_KEY', message: /2048/ });
      assert.throws(
        () => new JWTAuth({ algorithm: 'ES256', privateKey: ec.ES256?.privateKey as KeyObject, publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }),
        { code: 'ERR_JWT_KEY', message: /does not belong/ },
      );
      assert.throws(() => new JWTAuth({ algorithm: 'RS256', privateKey: 'not a key' }), { code: 'ERR_JWT_KEY' });
      assert.throws(() => new JWTAuth({ algorithm: 'none' as JWTAlgorithm, secretKey: SECRET }), { code: 'ERR_JWT_OPTIONS' });
      assert.throws(() => new JWTAuth({ secretKey: SECRET, expirationTime: -1 }), { code: 'ERR_JWT_OPTIONS' });
    });

    it('verifies with a public key only, and cannot sign then', async () => {
      const signer = new JWTAuth({ algorithm: 'ES256', privateKey: ec.ES256?.privateKey as KeyObject });
      const verifier = new JWTAuth({ algorithm: 'ES256', publicKey: pem(ec.ES256?.publicKey as KeyObject, 'public') });
      assert.equal((await verifier.verifyToken(await signer.createToken({ user: 'v' }))).user, 'v');
      await assert.rejects(verifier.createToken({}), { code: 'ERR_JWT_NO_PRIVATE_KEY' });
    });
  });

  describe('verified-token cache', () => {
    it('skips the signature for a token seen before but re-checks claims and revocation, with a fresh object each time', async () => {
      const sign = (claims: object): string => {
        const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
        return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      };
      const auth = new JWTAuth(SECRET);
      const late = sign({ user: 'a', exp: now() - 5, jti: 'late', roles: ['user'] });
      const first = await auth.verifyToken(late, { leeway: 60 });
      first.user = 'changed';
      assert.throws(() => (first.roles as string[]).push('admin'), TypeError, 'nested claims are frozen');
      const second = await auth.verifyToken(late, { leeway: 60 });
      assert.notEqual(second, first);
      assert.deepEqual(second, { user: 'a', exp: second.exp, jti: 'late', roles: ['user'] }, 'a handler changing its user does not change the next request');
      await assert.rejects(auth.verifyToken(late), { code: 'ERR_JWT_EXPIRED' });
      await assert.rejects(auth.verifyToken(late, { leeway: 60, audience: 'x' }), { code: 'ERR_JWT_AUDIENCE' });
      await auth.revokeJti('late');
      await assert.rejects(auth.verifyToken(late, { leeway: 60 }), { code: 'ERR_JWT_REVOKED' });
      const good = await auth.createToken({ user: 'b' });
      await auth.verifyToken(good);
      await assert.rejects(auth.verifyToken(`${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`), { code: 'ERR_JWT_SIGNATURE' });
    });

    it('is bounded (oldest evicted) and can be turned off', async () => {
      for (const cacheSize of [0, 2]) {
        const auth = new JWTAuth({ secretKey: SECRET, cacheSize });
        const tokens = await Promise.all([1, 2, 3, 4].map((n) => auth.createToken({ n })));
        for (let round = 0; round < 2; round++) for (const [i, t] of tokens.entries()) assert.equal((await auth.verifyToken(t)).n, i + 1);
      }
      assert.throws(() => new JWTAuth({ secretKey: SECRET, cacheSize: -1 }), { code: 'ERR_JWT_OPTIONS' });
    });
  });

  describe('bad tokens are 401 with WWW-Authenticate, each its own reason', () => {
    const auth = new JWTAuth({ secretKey: SECRET, issuer: 'covet', audience: 'api' });

    it('alg: none', async () => {
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ user: 'mallory', iss: 'covet', aud: 'api' })}.`;
      await expect401(auth, token, 'Unsupported token algorithm');
      const unsecured = new jose.UnsecuredJWT({ user: 'mallory' }).setIssuer('covet').setAudience('api').encode();
      await expect401(auth, unsecured, 'Unsupported token algorithm');
    });

    it('algorithm confusion: HS256 signed with the RS256 public key', async () => {
      const rs = new JWTAuth({ algorithm: 'RS256', privateKey: rsa.privateKey });
      const publicPem = pem(rsa.publicKey, 'public');
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user: 'mallory', exp: now() + 60 })}`;
      const forged = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
      await expect401(rs, forged, 'Unsupported token algorithm');
      // The same forgery relabelled RS256 is just a bad signature.
      const relabelled = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ user: 'mallory', exp: now() + 60 })}`;
      await expect401(rs, `${relabelled}.${createHmac('sha256', publicPem).update(relabelled).digest('base64url')}`, 'Invalid token signature');
    });

    it('a token of another algorithm family (ES256 where RS256 is configured)', async () => {
      const rs = new JWTAuth({ algorithm: 'RS256', privateKey: rsa.privateKey });
      const es = new JWTAuth({ algorithm: 'ES256', privateKey: ec.ES256?.privateKey as KeyObject });
      await expect401(rs, await es.createToken({}), 'Unsupported token algorithm');
    });

    it('tampered payload', async () => {
      const token = await auth.createToken({ user: 'alice', admin: false });
      const [h, , s] = token.split('.');
      const forged = `${h}.${b64({ user: 'alice', admin: true, iss: 'covet', aud: 'api', exp: now() + 60 })}.${s}`;
      await expect401(auth, forged, 'Invalid token signature');
    });

    it('tampered signature and signature from another secret', async () => {
      const token = await auth.createToken({ user: 'alice' });
      const flipped = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
      await expect401(auth, flipped, 'Invalid token signature');
      const other = new JWTAuth({ secretKey: `${SECRET}x`, issuer: 'covet', audience: 'api' });
      await expect401(auth, await other.createToken({ user: 'alice' }), 'Invalid token signature');
    });

    it('expired and not-yet-valid', async () => {
      await expect401(auth, await auth.createToken({ exp: now() - 5 } as Record<string, unknown>), 'Token expired');
      await expect401(auth, await auth.createToken({}, { notBefore: 60 }), 'Token not yet valid');
    });

    it('malformed: bad base64url, bad JSON, wrong number of parts, empty, non-object', async () => {
      const good = await auth.createToken({ user: 'a' });
      const [h, p, s] = good.split('.') as [string, string, string];
      for (const bad of [
        `${h}*.${p}.${s}`,
        `${h}.${p}!.${s}`,
        `${h}.AAAAA.${s}`, // length % 4 == 1 is never valid base64
        `${b64('not json')}.${p}.${s}`,
        `${b64([1, 2])}.${p}.${s}`,
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        '...',
        'garbage',
        `${h}.${p}.${s}%`,
      ]) {
        await expect401(auth, bad, 'Malformed token');
      }
      // The signature is checked before the payload is parsed: a swapped payload fails there.
      await expect401(auth, `${h}.${b64('{"user":')}.${s}`, 'Invalid token signature');
      await assert.rejects(auth.verifyToken(''), { code: 'ERR_JWT_MALFORMED' });
      await assert.rejects(auth.verifyToken(42 as unknown as string), { code: 'ERR_JWT_MALFORMED' });
    });

    it('a payload that is not a JSON object, under a valid signature', async () => {
      const input = `${b64({ alg: 'HS256' })}.${b64('"just a string"')}`;
      await expect401(auth, `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`, 'Malformed token');
    });

    it('huge tokens', async () => {
      const big = await auth.createToken({ user: 'a', filler: 'x'.repeat(9000) });
      await expect401(auth, big, 'Token too large');
      const roomy = new JWTAuth({ secretKey: SECRET, issuer: 'covet', audience: 'api', maxTokenLength: 64 * 1024 });
      assert.equal((await roomy.verifyToken(big)).user, 'a');
    });

    it('wrong aud and wrong iss, and missing ones', async () => {
      const other = new JWTAuth({ secretKey: SECRET, issuer: 'someone-else', audience: 'api' });
      await expect401(auth, await other.createToken({}), 'Invalid token issuer');
      const otherAud = new JWTAuth({ secretKey: SECRET, issuer: 'covet', audience: 'billing' });
      await expect401(auth, await otherAud.createToken({}), 'Invalid token audience');
      const bare = new JWTAuth(SECRET);
      await expect401(auth, await bare.createToken({}, { issuer: 'covet' }), 'Invalid token audience');
      await expect401(auth, await bare.createToken({}, { audience: 'api' }), 'Invalid token issuer');
    });

    it('unknown critical header parameters', async () => {
      const input = `${b64({ alg: 'HS256', crit: ['exp'], exp: 1 })}.${b64({ iss: 'covet', aud: 'api' })}`;
      await expect401(auth, `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`, 'Unsupported critical header');
    });

    it('no token, another scheme, or an empty bearer: 401 with a bare Bearer challenge', async () => {
      await using client = new TestClient(protectedApp(auth));
      for (const headers of [{}, { authorization: 'Basic YTpi' }, { authorization: 'Bearer ' }, { authorization: 'Bearer' }]) {
        const res = await client.get('/protected', { headers });
        assert.equal(res.status, 401);
        assert.deepEqual(res.json(), { error: 'Missing bearer token' });
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      }
      const ok = await client.get('/protected', { headers: { authorization: `bearer  ${await auth.createToken({ user: 'ann' })}` } });
      assert.deepEqual(ok.json(), { message: 'Hello, ann!' });
    });

    it('names the realm in the challenge when configured', async () => {
      const realmed = new JWTAuth({ secretKey: SECRET, realm: 'api' });
      await using client = new TestClient(protectedApp(realmed));
      assert.equal((await client.get('/protected')).headers.get('www-authenticate'), 'Bearer realm="api"');
      const res = await client.get('/protected', { headers: { authorization: 'Bearer a.b.c' } });
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token", error_description="Malformed token"');
    });
  });

  describe('requireToken', () => {
    it('puts the payload on req.state.user and runs the handler with its deps', async () => {
      const auth = new JWTAuth<{ user: string; roles: string[] }>(SECRET);
      const app = new CovetApp();
      app.get(
        '/items/{id:int}',
        auth.requireToken(async (req) => ({ id: req.params.id, user: req.state.user.user, roles: req.state.user.roles })),
      );
      await using client = new TestClient(app);
      const token = await auth.createToken({ user: 'alice', roles: ['admin'] });
      const res = await client.get('/items/7', { headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual(res.json(), { id: 7, user: 'alice', roles: ['admin'] });
    });

    it('works as middleware on a group, with jwtAuth.user(req) for the typed user', async () => {
      const auth = new JWTAuth<{ user: string }>(SECRET);
      const app = new CovetApp();
      app.post('/login', async () => ({ token: await auth.createToken({ user: 'alice' }) }));
      const api = app.routeGroup('/api', { middleware: [auth.requireToken()] });
      api.get('/me', (req) => ({ me: auth.user(req).user }));
      app.get('/public', (req) => {
        try {
          return auth.user(req);
        } catch (err) {
          return { status: (err as JWTError).status };
        }
      });
      await using client = new TestClient(app);
      const { token } = (await client.post('/login')).json<{ token: string }>();
      assert.deepEqual((await client.get('/api/me', { headers: { authorization: `Bearer ${token}` } })).json(), { me: 'alice' });
      const refused = await client.get('/api/me');
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.json(), { error: 'Missing bearer token' });
      assert.deepEqual((await client.get('/public')).json(), { status: 401 });
    });

    it('refuses something other than a function', () => {
      const auth = new JWTAuth(SECRET);
      assert.throws(() => auth.requireToken('nope' as never), TypeError);
    });
  });

  describe('refresh tokens and revocation', () => {
    it('issues a pair, rotates on refresh and refuses a reused refresh token', async () => {
      const auth = new JWTAuth({ secretKey: SECRET, expirationTime: 60, refreshExpirationTime: 600 });
      const pair = await auth.createTokenPair({ user: 'alice' }, { subject: '7' });
      assert.equal(pair.tokenType, 'Bearer');
      assert.equal(pair.expiresIn, 60);
      const access = await auth.verifyToken(pair.accessToken);
      assert.equal(access.token_use, undefined);
      const refresh = jose.decodeJwt(pair.refreshToken);
      assert.equal(refresh.token_use, 'refresh');
      assert.equal((refresh.exp ?? 0) - (refresh.iat ?? 0), 600);
      assert.notEqual(refresh.jti, access.jti);
      await assert.rejects(auth.verifyToken(pair.refreshToken), { code: 'ERR_JWT_TOKEN_USE', message: 'Refresh token not accepted here' });
      await assert.rejects(auth.refreshToken(pair.accessToken), { code: 'ERR_JWT_TOKEN_USE', message: 'Not a refresh token' });

      const next = await auth.refreshToken(pair.refreshToken);
      const claims = await auth.verifyToken(next.accessToken);
      assert.equal(claims.user, 'alice');
      assert.equal(claims.sub, '7');
      await assert.rejects(auth.refreshToken(pair.refreshToken), { code: 'ERR_JWT_REVOKED', status: 401 });
      await auth.refreshToken(next.refreshToken);
    });

    it('refreshes a pair for the same audience and access lifetime it was made with', async () => {
      const auth = new JWTAuth({ secretKey: SECRET, audience: ['billing', 'admin-api'], issuer: 'https://id.example' });
      const pair = await auth.createTokenPair({ user: 'alice' }, { audience: 'billing', expiresIn: 300 });
      await assert.rejects(auth.verifyToken(pair.accessToken, { audience: 'admin-api' }), { code: 'ERR_JWT_AUDIENCE' });
      const next = await auth.refreshToken(pair.refreshToken);
      assert.equal(next.expiresIn, 300);
      const access = jose.decodeJwt(next.accessToken);
      assert.equal(access.aud, 'billing');
      assert.equal(access.iss, 'https://id.example');
      assert.equal((access.exp ?? 0) - (access.iat ?? 0), 300);
      assert.equal(access.access_ttl, undefined, 'the lifetime claim stays in refresh tokens');
      await assert.rejects(auth.verifyToken(next.accessToken, { audience: 'admin-api' }), { code: 'ERR_JWT_AUDIENCE' });
      assert.equal((await auth.verifyToken(next.accessToken, { audience: 'billing' })).user, 'alice');
      // And again, from the refreshed pair.
      const third = jose.decodeJwt((await auth.refreshToken(next.refreshToken)).accessToken);
      assert.deepEqual([third.aud, third.iss, (third.exp ?? 0) - (third.iat ?? 0)], ['billing', 'https://id.example', 300]);
      // Without per-pair options, the instance's.
      const plain = jose.decodeJwt((await auth.refreshToken((await auth.createTokenPair({ user: 'bob' })).refreshToken)).accessToken);
      assert.deepEqual([plain.aud, plain.iss, (plain.exp ?? 0) - (plain.iat ?? 0)], [['billing', 'admin-api'], 'https://id.example', 3600]);
    });

    it('revokes a token by jti until it expires; revoked tokens are 401', async () => {
      const store = new MemoryRevocationStore();
      const auth = new JWTAuth({ secretKey: SECRET, revocationStore: store });
      const token = await auth.createToken({ user: 'alice' });
      assert.equal(await auth.revokeToken(token), true);
      assert.equal(await auth.revokeToken(token), false);
      assert.equal(await auth.isRevoked(jose.decodeJwt(token).jti as string), true);
      await expect401(auth, token, 'Token revoked');
      const { refreshToken } = await auth.createTokenPair({ user: 'alice' });
      assert.equal(await auth.revokeToken(refreshToken), true);
      await assert.rejects(auth.refreshToken(refreshToken), { code: 'ERR_JWT_REVOKED' });
      await assert.rejects(auth.revokeToken('a.b.c'), { code: 'ERR_JWT_MALFORMED' });
      assert.equal(await auth.revokeJti('gone', now() - 1), true);
      assert.equal(await auth.isRevoked('gone'), false, 'a revocation past the expiry is dropped');
      assert.equal(await new JWTAuth({ secretKey: SECRET, revocationStore: store }).isRevoked(jose.decodeJwt(token).jti as string), true);
    });

    it('answers 503 when the revocation store fails (never accepts a maybe-revoked token)', async () => {
      const auth = new JWTAuth({
        secretKey: SECRET,
        revocationStore: { revoke: async () => Promise.reject(new Error('down')), isRevoked: async () => Promise.reject(new Error('down')) },
      });
      await using client = new TestClient(protectedApp(auth));
      const res = await client.get('/protected', { headers: { authorization: `Bearer ${await auth.createToken({ user: 'a' })}` } });
      assert.equal(res.status, 503);
      assert.deepEqual(res.json(), { error: 'Token revocation check unavailable' });
    });

    it('sweeps expired revocations as the memory store grows', async () => {
      const store = new MemoryRevocationStore();
      for (let i = 0; i < 3000; i++) store.revoke(`old-${i}`, 0);
      store.revoke('live', 60);
      assert.ok(store.size < 1100, `size ${store.size}`);
      assert.equal(store.isRevoked('live'), true);
    });
  });

  describe('requireWebsocketToken', () => {
    const auth = new JWTAuth<{ user: string }>(SECRET);
    const fakeSocket = (headers: Record<string, string>, url = '/ws', accepted = false) => {
      const closed: [number | undefined, string | undefined][] = [];
      return { headers, url, state: {} as Record<string, unknown>, accepted, closed, close: (code?: number, reason?: string) => closed.push([code, reason]) };
    };

    it('takes the token from Authorization, Sec-WebSocket-Protocol or ?token=', async () => {
      const token = await auth.createToken({ user: 'alice' });
      const seen: unknown[] = [];
      const handler = auth.requireWebsocketToken(async (ws, extra: string) => {
        seen.push([ws.state.user.user, ws.state.subprotocol, extra]);
      });
      await handler(fakeSocket({ authorization: `Bearer ${token}` }), 'h');
      await handler(fakeSocket({ 'sec-websocket-protocol': `chat, access_token, ${token}` }), 'p');
      await handler(fakeSocket({}, `/ws?room=1&token=${token}`), 'q');
      assert.deepEqual(seen, [
        ['alice', undefined, 'h'],
        ['alice', 'access_token', 'p'],
        ['alice', undefined, 'q'],
      ]);
    });

    it('works with a Covet request (headers.get, url.query) as the connection', async () => {
      const app = new CovetApp();
      app.get('/upgrade', auth.requireWebsocketToken(async (req) => ({ user: req.state.user.user })));
      await using client = new TestClient(app);
      const token = await auth.createToken({ user: 'bob' });
      assert.deepEqual((await client.get(`/upgrade?token=${token}`)).json(), { user: 'bob' });
      const refused = await client.get('/upgrade?token=nope');
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.json(), { error: 'Malformed token' });
    });

    it('refuses before the handler with a 401 JWTError, or closes an open socket with 1008', async () => {
      let ran = false;
      const handler = auth.requireWebsocketToken(async () => {
        ran = true;
      });
      await assert.rejects(handler(fakeSocket({})), (err: unknown) => err instanceof JWTError && err.status === 401 && err.code === 'ERR_JWT_MISSING');
      await assert.rejects(handler(fakeSocket({}, '/ws?token=x.y.z')), { code: 'ERR_JWT_MALFORMED' });
      const open = fakeSocket({ 'sec-websocket-protocol': 'access_token, bad' }, '/ws', true);
      await handler(open);
      assert.deepEqual(open.closed, [[1008, 'Malformed token']]);
      assert.equal(ran, false);
    });
  });
});

describe('JWTAuth short HMAC secrets', () => {
  // A fresh process each: the warning is given once per process.
  const warnings = (script: string): { code: string; message: string }[] => {
    const src = new URL('../../../src/security/index.ts', import.meta.url).href;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { JWTAuth } from ${JSON.stringify(src)};\nprocess.on('warning', (w) => console.log(JSON.stringify({ code: w.code, name: w.name, message: w.message })));\n${script}`],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };

  it('warns once, as PyJWT does, when an HS* secret is shorter than its hash (RFC 7518 §3.2), and still works', () => {
    const seen = warnings(`
      const auth = new JWTAuth('secret-key');
      new JWTAuth({ secretKey: 'another-short', algorithm: 'HS512' });
      const token = await auth.createToken({ sub: 'u1' });
      if ((await auth.verifyToken(token)).sub !== 'u1') process.exit(3);
    `);
    assert.deepEqual(seen, [
      {
        code: 'COVET_SHORT_HMAC_KEY',
        name: 'SecurityWarning',
        message:
          "The HS256 secretKey is 10 bytes; RFC 7518 asks for at least 32 so that it cannot be guessed offline from a token. Use e.g. randomBytes(32).toString('base64url').",
      },
    ]);
  });

  it('says nothing for secrets as long as the hash', () => {
    assert.deepEqual(
      warnings(`
        new JWTAuth('x'.repeat(32));
        new JWTAuth({ secretKey: 'y'.repeat(48), algorithm: 'HS384' });
        new JWTAuth({ secretKey: new Uint8Array(64), algorithm: 'HS512' });
      `),
      [],
    );
    assert.equal(warnings(`new JWTAuth({ secretKey: 'z'.repeat(32), algorithm: 'HS512' });`)[0]?.message.startsWith('The HS512 secretKey is 32 bytes; RFC 7518 asks for at least 64'), true);
  });
});
