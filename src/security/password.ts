// Password hashing with scrypt (node:crypto), in a self-describing text form, as Django's
// make_password/check_password keep the algorithm and its parameters beside the hash.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Cost parameters of `hashPassword`. The defaults are Django's for scrypt. */
export interface PasswordHashOptions {
  /** CPU/memory cost N, a power of two from 2^10 to 2^20. Default 2^14. */
  readonly cost?: number;
  /** Block size r, 1 to 32. Default 8. */
  readonly blockSize?: number;
  /** Parallelization p, 1 to 16. Default 1. */
  readonly parallelization?: number;
}

/** The longest password accepted, in UTF-8 bytes (a megabyte of "password" costs time to hash, not strength). */
export const MAX_PASSWORD_BYTES = 4096;

const DEFAULTS = { cost: 2 ** 14, blockSize: 8, parallelization: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const ENCODED = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

interface Params {
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelization: number;
}

function checkParams(p: Params): string | null {
  if (!Number.isInteger(p.cost) || p.cost < 2 ** 10 || p.cost > 2 ** 20 || (p.cost & (p.cost - 1)) !== 0)
    return 'cost must be a power of two from 1024 to 1048576';
  if (!Number.isInteger(p.blockSize) || p.blockSize < 1 || p.blockSize > 32) return 'blockSize must be an integer from 1 to 32';
  if (!Number.isInteger(p.parallelization) || p.parallelization < 1 || p.parallelization > 16)
    return 'parallelization must be an integer from 1 to 16';
  return null;
}

function passwordBytes(password: unknown): Buffer {
  if (typeof password !== 'string') throw new TypeError(`A password must be a string, got ${password === null ? 'null' : typeof password}`);
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.byteLength > MAX_PASSWORD_BYTES) throw new RangeError(`A password may be at most ${MAX_PASSWORD_BYTES} bytes`);
  return bytes;
}

function derive(password: Buffer, salt: Buffer, p: Params): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (and more with p): room for that, not Node's 32 MiB default.
  const maxmem = 128 * p.cost * p.blockSize * (p.parallelization + 1) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: p.cost, r: p.blockSize, p: p.parallelization, maxmem }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    );
  });
}

/**
 * Hashes a password with scrypt and a random salt (off the event loop, in libuv's pool), as
 * `scrypt$N$r$p$salt$hash` — Django's `make_password`. Store the whole string.
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple');
 * await verifyPassword('correct horse battery staple', stored) // true
 */
export async function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
  const bytes = passwordBytes(password);
  const params: Params = { ...DEFAULTS, ...options };
  const wrong = checkParams(params);
  if (wrong !== null) throw new RangeError(`hashPassword: ${wrong}`);
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(bytes, salt, params);
  return `scrypt$${params.cost}$${params.blockSize}$${params.parallelization}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(encoded: string): (Params & { readonly salt: Buffer; readonly key: Buffer }) | null {
  const m = ENCODED.exec(encoded);
  if (m === null) return null;
  const params = { cost: Number(m[1]), blockSize: Number(m[2]), parallelization: Number(m[3]) };
  // A stored hash chooses the work: only the ranges hashPassword writes are run.
  if (checkParams(params) !== null) return null;
  return { ...params, salt: Buffer.from(m[4] as string, 'base64url'), key: Buffer.from(m[5] as string, 'base64url') };
}

/**
 * Whether `password` matches a hash from `hashPassword` (Django's `check_password`), compared in
 * constant time. A malformed or foreign hash is `false`, not an error; a password that is not a
 * string or is over `MAX_PASSWORD_BYTES` throws, as for `hashPassword`.
 *
 * @example
 * if (!(await verifyPassword(body.password, user.passwordHash))) throw new HTTPException(401, 'Invalid credentials');
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const bytes = passwordBytes(password);
  const stored = typeof encoded === 'string' ? parse(encoded) : null;
  if (stored === null) return false;
  const key = await derive(bytes, stored.salt, stored);
  return timingSafeEqual(key, stored.key);
}

/**
 * Whether a stored hash was made with other parameters than `options` (or is not one of
 * ours): rehash the password at the next successful login, as Django upgrades hashes.
 *
 * @example
 * if (passwordNeedsRehash(user.passwordHash)) user.passwordHash = await hashPassword(password);
 */
export function passwordNeedsRehash(encoded: string, options: PasswordHashOptions = {}): boolean {
  const stored = typeof encoded === 'string' ? parse(encoded) : null;
  const wanted: Params = { ...DEFAULTS, ...options };
  return (
    stored === null ||
    stored.cost !== wanted.cost ||
    stored.blockSize !== wanted.blockSize ||
    stored.parallelization !== wanted.parallelization
  );
}
