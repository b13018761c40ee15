import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CovetError } from '../errors.js';
import { kSession, type Request } from '../request.js';
import { copyResponse, markPrivate, type Response } from '../response.js';
import type { CallNext, MiddlewareObject } from '../types.js';
import { appendVary } from './compress.js';
import { type CookieOptions, serializeCookie } from './cookie.js';
import { RequestSession, type SessionStore } from './session.js';
import { CookieSigner, MIN_COOKIE_KEY_BYTES } from './signed-cookie.js';

/** Options of `SessionMiddleware`. */
export interface SessionOptions {
  /**
   * The secret the session cookie is signed (and, with `encrypt`, encrypted) with; at least 16
   * bytes. A list rotates keys: the first signs, every one verifies. Required.
   */
  readonly secretKey: string | readonly string[];
  /** Name of the session cookie. Default `session`. */
  readonly cookieName?: string;
  /** Lifetime in seconds, of the cookie and of the stored session. Default 1209600 (14 days). */
  readonly maxAge?: number;
  /**
   * Re-send the cookie and extend the session by `maxAge` on every response (sliding expiry).
   * Default `false`: the expiry moves only when the session changes.
   */
  readonly rolling?: boolean;
  /**
   * Where sessions live. Default: in the cookie itself (signed; encrypted with `encrypt`),
   * no server state, about 3 KiB of data at most. With a store the cookie carries only a
   * signed random id.
   */
  readonly store?: SessionStore;
  /**
   * Encrypt cookie sessions with AES-256-GCM so the client cannot read them (they are always
   * signed). Cookie sessions only. Default `false`.
   */
  readonly encrypt?: boolean;
  /** Default `/`. */
  readonly path?: string;
  /** Default: none (the cookie goes to the exact host only). */
  readonly domain?: string;
  /** Send the cookie over HTTPS only. Default `false`; set it in production. */
  readonly secure?: boolean;
  /** Hide the cookie from scripts. Default `true`. */
  readonly httpOnly?: boolean;
  /** Default `Lax`. */
  readonly sameSite?: NonNullable<CookieOptions['sameSite']>;
  /** CHIPS partitioned cookie (implies `Secure`). Default `false`. */
  readonly partitioned?: boolean;
}

type ResolvedOptions = Required<Omit<SessionOptions, 'store' | 'domain' | 'secretKey'>> & { readonly domain: string | undefined };

const SESSION_DEFAULTS = {
  cookieName: 'session',
  maxAge: 1_209_600,
  rolling: false,
  encrypt: false,
  path: '/',
  secure: false,
  httpOnly: true,
  sameSite: 'Lax',
  partitioned: false,
} as const satisfies Partial<SessionOptions>;

/** What a codec found in a cookie. */
interface Loaded {
  readonly id: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Verified with an older key: re-issue the cookie with the current one. */
  readonly stale: boolean;
}

/** How session data gets into and out of the cookie. */
interface SessionCodec {
  load(cookie: string): Promise<Loaded | null>;
  /** Persists the data and returns the cookie value. */
  save(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string>;
  /** Extends an unchanged session and returns the cookie value. */
  touch(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string>;
  destroy(id: string): Promise<void>;
}

const SALT = 'covet.session.v1';

function deriveKey(secret: string, purpose: string, index: number): Buffer {
  if (Buffer.byteLength(secret) < MIN_COOKIE_KEY_BYTES) {
    throw new RangeError(`SessionMiddleware secretKey #${index} is too short: use at least ${MIN_COOKIE_KEY_BYTES} bytes of random data`);
  }
  // HKDF, not scrypt: the secret is meant to be random already, so a slow KDF adds nothing but
  // startup time; separate `info` strings keep the signing and encryption keys independent.
  return Buffer.from(hkdfSync('sha256', secret, SALT, purpose, 32));
}

function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The payload of a cookie session: id, data and absolute expiry (seconds since the epoch). */
interface CookiePayload {
  readonly i: string;
  readonly d: Readonly<Record<string, unknown>>;
  readonly e: number;
}

function parsePayload(json: string): CookiePayload | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { i, d, e } = value;
  if (typeof i !== 'string' || !isRecord(d) || typeof e !== 'number') return null;
  return { i, d, e };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Sessions kept in the cookie: signed base64url JSON, or AES-256-GCM ciphertext. */
class CookieCodec implements SessionCodec {
  readonly #name: string;
  readonly #signer: CookieSigner | null;
  readonly #keys: readonly Buffer[] | null;

  constructor(name: string, secrets: readonly string[], encrypt: boolean) {
    this.#name = name;
    this.#signer = encrypt ? null : new CookieSigner(secrets.map((s, i) => deriveKey(s, 'cookie-signing', i)));
    this.#keys = encrypt ? secrets.map((s, i) => deriveKey(s, 'cookie-encryption', i)) : null;
  }

  async load(cookie: string): Promise<Loaded | null> {
    const opened = this.#open(cookie);
    if (opened === null) return null;
    const payload = parsePayload(opened.json);
    // The expiry inside the signed payload is what counts: a replayed old cookie is refused
    // even though the browser's Max-Age is not under our control.
    if (payload === null || payload.e <= nowSeconds()) return null;
    return { id: payload.i, data: payload.d, stale: opened.keyIndex > 0 };
  }

  async save(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string> {
    return this.#seal(JSON.stringify({ i: id, d: data, e: nowSeconds() + ttl }));
  }

  touch(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string> {
    return this.save(id, data, ttl);
  }

  async destroy(): Promise<void> {}

  #seal(json: string): string {
    const plain = Buffer.from(json, 'utf8');
    if (this.#signer !== null) return this.#signer.sign(this.#name, plain.toString('base64url'));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', (this.#keys as readonly Buffer[])[0] as Buffer, iv);
    cipher.setAAD(Buffer.from(this.#name));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  #open(cookie: string): { json: string; keyIndex: number } | null {
    if (this.#signer !== null) {
      const verified = this.#signer.verify(this.#name, cookie);
      if (verified === null || !BASE64URL.test(verified.value)) return null;
      return { json: Buffer.from(verified.value, 'base64url').toString('utf8'), keyIndex: verified.keyIndex };
    }
    if (!BASE64URL.test(cookie)) return null;
    const raw = Buffer.from(cookie, 'base64url');
    if (raw.length < 12 + 16) return null;
    const iv = raw.subarray(0, 12);
    const tag = raw.subarray(raw.length - 16);
    const body = raw.subarray(12, raw.length - 16);
    const keys = this.#keys as readonly Buffer[];
    for (let i = 0; i < keys.length; i++) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', keys[i] as Buffer, iv);
        decipher.setAAD(Buffer.from(this.#name));
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(body), decipher.final()]);
        return { json: plain.toString('utf8'), keyIndex: i };
      } catch {
        // authentication failed with this key: try the next one
      }
    }
    return null;
  }
}

/** Sessions in a store; the cookie holds the signed id. */
class StoreCodec implements SessionCodec {
  readonly #name: string;
  readonly #signer: CookieSigner;
  readonly #store: SessionStore;

  constructor(name: string, secrets: readonly string[], store: SessionStore) {
    this.#name = name;
    this.#signer = new CookieSigner(secrets.map((s, i) => deriveKey(s, 'session-id-signing', i)));
    this.#store = store;
  }

  async load(cookie: string): Promise<Loaded | null> {
    const verified = this.#signer.verify(this.#name, cookie);
    if (verified === null) return null;
    const data = await this.#store.get(verified.value);
    if (!isRecord(data)) return null;
    return { id: verified.value, data, stale: verified.keyIndex > 0 };
  }

  async save(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string> {
    await this.#store.set(id, data, ttl);
    return this.#signer.sign(this.#name, id);
  }

  async touch(id: string, data: Readonly<Record<string, unknown>>, ttl: number): Promise<string> {
    if (this.#store.touch === undefined) await this.#store.set(id, data, ttl);
    else await this.#store.touch(id, ttl);
    return this.#signer.sign(this.#name, id);
  }

  async destroy(id: string): Promise<void> {
    await this.#store.destroy(id);
  }
}

/**
 * Sessions for `req.session`: in a signed (optionally encrypted) cookie, or in a server-side
 * `SessionStore` with a signed random id in the cookie. The session is loaded before the
 * handler and saved after it — only when it changed (or with `rolling`), never for visitors
 * whose session stays empty, and not when the response is a 5xx. A cookie that is tampered
 * with, signed with an unknown key, expired, or names a session the store no longer has
 * gives a fresh empty session (and is deleted), never an error.
 *
 * @example
 * app.addMiddleware(new SessionMiddleware({ secretKey: env.string('SESSION_SECRET'), store: new MemorySessionStore() }));
 * app.post('/login', async (req) => {
 *   await req.session.regenerate();
 *   req.session.set('userId', 42);
 *   return { ok: true };
 * });
 * app.get('/me', (req) => ({ userId: req.session.get('userId') ?? null }));
 */
export class SessionMiddleware implements MiddlewareObject {
  readonly #opts: ResolvedOptions;
  readonly #codec: SessionCodec;
  readonly #cookie: CookieOptions;

  constructor(options: SessionOptions) {
    const { store, secretKey, ...rest } = options;
    const opts: ResolvedOptions = { ...SESSION_DEFAULTS, domain: undefined, ...rest };
    const secrets = typeof secretKey === 'string' ? [secretKey] : [...(secretKey ?? [])];
    if (secrets.length === 0) {
      throw new TypeError('SessionMiddleware needs a secretKey (a string of at least 16 random bytes, or a list for rotation)');
    }
    if (!Number.isFinite(opts.maxAge) || opts.maxAge < 1) throw new RangeError('SessionMiddleware maxAge must be at least 1 second');
    if (store !== undefined && opts.encrypt) {
      throw new TypeError('SessionMiddleware encrypt applies to cookie sessions; with a store the cookie holds only a signed id');
    }
    this.#opts = { ...opts, maxAge: Math.floor(opts.maxAge) };
    this.#cookie = {
      path: opts.path,
      secure: opts.secure,
      httpOnly: opts.httpOnly,
      sameSite: opts.sameSite,
      partitioned: opts.partitioned,
      ...(opts.domain === undefined ? {} : { domain: opts.domain }),
    };
    // Checks the name and attributes now rather than on the first response.
    serializeCookie(opts.cookieName, '', this.#cookie);
    this.#codec =
      store === undefined ? new CookieCodec(opts.cookieName, secrets, opts.encrypt) : new StoreCodec(opts.cookieName, secrets, store);
  }

  async handle(req: Request, callNext: CallNext): Promise<Response> {
    const name = this.#opts.cookieName;
    const codec = this.#codec;
    const cookie = req.cookies[name];
    const loaded = cookie === undefined || cookie === '' ? null : await codec.load(cookie);
    const session = new RequestSession(loaded?.id ?? null, loaded?.data ?? null, {
      newId: newSessionId,
      destroy: (id) => codec.destroy(id),
    });
    req[kSession](session);
    const handled = await callNext(req);
    // As Django does: a failed request does not persist what it half-changed.
    if (handled.status >= 500) return handled;
    // The handler's Response may be one it keeps and returns to every client (a constant, a
    // cached page): this visitor's Set-Cookie must go on a copy, or the next visitor gets it.
    let res = handled;
    const own = (): Response => {
      if (res === handled) res = copyResponse(handled);
      return res;
    };
    if (session.accessed) appendVary(own().headers, 'Cookie');
    if (session.destroyed || session.size === 0) {
      if (session.persisted) await codec.destroy(session.id);
      if (cookie !== undefined) markPrivate(own().deleteCookie(name, this.#cookie));
      return res;
    }
    if (!session.modified && !this.#opts.rolling && !loaded?.stale) return res;
    const ttl = this.#opts.maxAge;
    const data = session.toJSON();
    const value = session.modified || loaded === null ? await codec.save(session.id, data, ttl) : await codec.touch(session.id, data, ttl);
    try {
      own().setCookie(name, value, { ...this.#cookie, maxAge: ttl });
      // The cookie names this visitor's session: a shared cache must not hand it to others.
      markPrivate(res);
    } catch (err) {
      if (err instanceof CovetError && err.code === 'ERR_COOKIE_TOO_LARGE') {
        throw new CovetError(
          `The session does not fit in its cookie: ${err.message}. Keep less in the session, or use a server-side store`,
          {
            code: 'ERR_SESSION_TOO_LARGE',
            cause: err,
          },
        );
      }
      throw err;
    }
    return res;
  }
}
