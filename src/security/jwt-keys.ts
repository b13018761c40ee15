import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type JsonWebKey,
  KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { CovetError } from '../errors.js';

/** The JWS algorithms `JWTAuth` signs and verifies with (RFC 7518, RFC 8037). */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  // RFC 9864's fully specified name for EdDSA on Ed25519 (jose 6 signs with it too).
  'Ed25519',
] as const;
export type JWTAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** A key as `JWTAuth` accepts it: a PEM string, a JWK object, a Node `KeyObject` (or, for HS*, raw bytes). */
export type KeyInput = string | Uint8Array | JsonWebKey | KeyObject;

type Family = 'hmac' | 'rsa' | 'pss' | 'ec' | 'okp';
interface AlgorithmSpec {
  readonly family: Family;
  /** Node's digest name (`null` for EdDSA, which hashes internally). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** EC (and `Ed25519`): the curve Node reports for the key; EC: the raw (r || s) signature length. */
  readonly curve?: string;
  readonly signatureLength?: number;
}

const SPECS: Readonly<Record<JWTAlgorithm, AlgorithmSpec>> = {
  HS256: { family: 'hmac', hash: 'sha256' },
  HS384: { family: 'hmac', hash: 'sha384' },
  HS512: { family: 'hmac', hash: 'sha512' },
  RS256: { family: 'rsa', hash: 'sha256' },
  RS384: { family: 'rsa', hash: 'sha384' },
  RS512: { family: 'rsa', hash: 'sha512' },
  PS256: { family: 'pss', hash: 'sha256' },
  PS384: { family: 'pss', hash: 'sha384' },
  PS512: { family: 'pss', hash: 'sha512' },
  ES256: { family: 'ec', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { family: 'ec', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { family: 'ec', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  EdDSA: { family: 'okp', hash: null },
  Ed25519: { family: 'okp', hash: null, curve: 'ed25519' },
};

/** Thrown for a key that does not fit the algorithm, at construction (never per request). */
function keyError(message: string): CovetError {
  return new CovetError(message, { code: 'ERR_JWT_KEY' });
}

export function isAlgorithm(value: unknown): value is JWTAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SPECS, value);
}

function isJwk(value: unknown): value is JsonWebKey {
  return typeof value === 'object' && value !== null && !(value instanceof KeyObject) && !ArrayBuffer.isView(value) && 'kty' in value;
}

function looksLikePem(value: string): boolean {
  return value.includes('-----BEGIN');
}

/** The secret of an HS* algorithm. PEM text and asymmetric keys are refused: that is the algorithm-confusion attack. */
function secretKeyOf(input: KeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'secret') throw keyError('HS* algorithms need a secret key, not an asymmetric key');
    return input;
  }
  if (typeof input === 'string') {
    if (input.length === 0) throw keyError('secretKey must not be empty');
    if (looksLikePem(input)) throw keyError('secretKey looks like a PEM key: HS* algorithms take a shared secret (use privateKey/publicKey for RS*/ES*/PS*/EdDSA)');
    return createSecretKey(Buffer.from(input, 'utf8'));
  }
  if (isJwk(input)) {
    if (input.kty !== 'oct' || typeof input.k !== 'string') throw keyError('An HS* JWK must have kty "oct" and k');
    return createSecretKey(Buffer.from(input.k, 'base64url'));
  }
  if (input.byteLength === 0) throw keyError('secretKey must not be empty');
  return createSecretKey(Buffer.from(input));
}

let warnedShortSecret = false;

/**
 * RFC 7518 §3.2 asks for an HMAC key at least as long as the hash (32 bytes for HS256). A shorter
 * one still works, as in PyJWT, with a process warning (once) saying so.
 */
function warnIfShort(alg: JWTAlgorithm, size: number, needed: number): void {
  if (size >= needed || warnedShortSecret) return;
  warnedShortSecret = true;
  process.emitWarning(
    `The ${alg} secretKey is ${size} bytes; RFC 7518 asks for at least ${needed} so that it cannot be guessed offline from a token. Use e.g. randomBytes(${needed}).toString('base64url').`,
    { type: 'SecurityWarning', code: 'COVET_SHORT_HMAC_KEY' },
  );
}

function asymmetricKeyOf(input: KeyInput, type: 'private' | 'public'): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type === 'secret') throw keyError(`A ${type} key is needed, got a secret key`);
    if (type === 'public' && input.type === 'private') return createPublicKey(input);
    if (type === 'private' && input.type === 'public') throw keyError('privateKey is a public key');
    return input;
  }
  try {
    if (isJwk(input)) return type === 'private' ? createPrivateKey({ key: input, format: 'jwk' }) : createPublicKey({ key: input, format: 'jwk' });
    if (typeof input === 'string' || ArrayBuffer.isView(input)) {
      const key = typeof input === 'string' ? input : Buffer.from(input);
      return type === 'private' ? createPrivateKey(key) : createPublicKey(key);
    }
  } catch (err) {
    throw new CovetError(`Cannot read the ${type} key: ${(err as Error).message}`, { code: 'ERR_JWT_KEY', cause: err });
  }
  throw keyError(`Unsupported ${type} key type`);
}

/** Refuses keys that do not belong to the algorithm (an RSA key for ES256, a P-384 key for ES256…). */
function checkAsymmetric(alg: JWTAlgorithm, key: KeyObject): void {
  const spec = SPECS[alg];
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'rsa':
    case 'pss':
      // An RSASSA-PSS key (OID id-RSASSA-PSS) has no JWK form, which JWKS publishing needs, and
      // JOSE libraries refuse it: PS256 takes a plain RSA key, as RFC 7518 §3.5 does.
      if (type === 'rsa-pss') throw keyError(`${alg} needs a plain RSA key (rsaEncryption), not an RSASSA-PSS key (id-RSASSA-PSS)`);
      if (type !== 'rsa') throw keyError(`${alg} needs an RSA key, got ${type}`);
      if ((details.modulusLength ?? 0) < 2048) throw keyError(`${alg} needs an RSA key of at least 2048 bits`);
      return;
    case 'ec':
      if (type !== 'ec' || details.namedCurve !== spec.curve) throw keyError(`${alg} needs an EC key on curve ${spec.curve}, got ${type} ${details.namedCurve ?? ''}`.trim());
      return;
    case 'okp':
      if (spec.curve !== undefined ? type !== spec.curve : type !== 'ed25519' && type !== 'ed448') {
        throw keyError(`${alg} needs ${spec.curve === undefined ? 'an Ed25519 or Ed448' : 'an Ed25519'} key, got ${type}`);
      }
      return;
    default:
      throw keyError(`${alg} is not an asymmetric algorithm`);
  }
}

/** RFC 7638 thumbprint of a public JWK: the default `kid` of asymmetric keys. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members: Record<string, readonly string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
  const names = members[jwk.kty ?? ''];
  if (names === undefined) throw keyError(`No thumbprint for key type ${jwk.kty}`);
  const canonical = `{${names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(jwk[n])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };

/**
 * Signs and verifies for one algorithm with one key set, prepared once. `verify` returns
 * `false` for any bad signature and never throws on attacker input.
 */
export interface Signer {
  readonly alg: JWTAlgorithm;
  /** `null` for a verify-only configuration (public key only). */
  readonly sign: ((input: string) => string) | null;
  readonly verify: (input: string, signature: string) => boolean;
  /** The public key as a JWK (asymmetric algorithms only). */
  readonly publicJwk: JsonWebKey | null;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Builds the signer of `alg` from the configured keys; throws `ERR_JWT_KEY` when they do not fit. */
export function createSigner(alg: JWTAlgorithm, keys: { secretKey?: KeyInput; privateKey?: KeyInput; publicKey?: KeyInput }): Signer {
  const spec = SPECS[alg];
  if (spec.family === 'hmac') {
    if (keys.secretKey === undefined) throw keyError(`${alg} needs secretKey`);
    if (keys.privateKey !== undefined || keys.publicKey !== undefined) throw keyError(`${alg} takes secretKey only, not privateKey/publicKey`);
    const secret = secretKeyOf(keys.secretKey);
    const hash = spec.hash as string;
    warnIfShort(alg, secret.symmetricKeySize ?? 0, Number(hash.slice(3)) / 8);
    const mac = (input: string): string => createHmac(hash, secret).update(input).digest('base64url');
    return {
      alg,
      sign: mac,
      verify: (input, signature) => {
        const expected = mac(input);
        // Comparing the encodings also refuses non-canonical base64url for the same bytes.
        return expected.length === signature.length && timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(signature, 'latin1'));
      },
      publicJwk: null,
    };
  }
  if (keys.secretKey !== undefined) throw keyError(`${alg} is asymmetric: give privateKey (and/or publicKey), not secretKey`);
  if (keys.privateKey === undefined && keys.publicKey === undefined) throw keyError(`${alg} needs privateKey or publicKey`);
  const privateKey = keys.privateKey === undefined ? null : asymmetricKeyOf(keys.privateKey, 'private');
  const publicKey = keys.publicKey === undefined ? createPublicKey(privateKey as KeyObject) : asymmetricKeyOf(keys.publicKey, 'public');
  if (privateKey !== null) checkAsymmetric(alg, privateKey);
  checkAsymmetric(alg, publicKey);
  if (privateKey !== null && keys.publicKey !== undefined) {
    const derived = createPublicKey(privateKey).export({ format: 'jwk' });
    if (jwkThumbprint(derived) !== jwkThumbprint(publicKey.export({ format: 'jwk' }))) throw keyError('publicKey does not belong to privateKey');
  }
  const hash = spec.hash;
  const signKey = privateKey === null ? null : spec.family === 'pss' ? { key: privateKey, ...PSS } : spec.family === 'ec' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const verifyKey = spec.family === 'pss' ? { key: publicKey, ...PSS } : spec.family === 'ec' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  const signatureLength = spec.signatureLength;
  return {
    alg,
    sign: signKey === null ? null : (input) => sign(hash, Buffer.from(input, 'latin1'), signKey).toString('base64url'),
    verify: (input, signature) => {
      if (!B64URL.test(signature) || signature.length % 4 === 1) return false;
      const bytes = Buffer.from(signature, 'base64url');
      if (signatureLength !== undefined && bytes.length !== signatureLength) return false;
      try {
        return verify(hash, Buffer.from(input, 'latin1'), verifyKey, bytes);
      } catch {
        return false;
      }
    },
    publicJwk: publicKey.export({ format: 'jwk' }),
  };
}
