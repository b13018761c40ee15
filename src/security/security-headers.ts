import { randomBytes } from 'node:crypto';
import { validateHeaderName } from 'node:http';
import { CovetError } from '../errors.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext, MiddlewareObject } from '../types.js';

declare module '../types.js' {
  interface RequestState {
    /**
     * This request's CSP nonce (base64), set by `SecurityHeaders` when its policy contains
     * `CSP_NONCE`: put it on inline scripts and styles, `<script nonce="…">`.
     */
    cspNonce?: string;
  }
}

/**
 * A source that stands for this request's nonce: `{ 'script-src': ["'self'", CSP_NONCE] }`
 * sends `script-src 'self' 'nonce-<random>'`, a new random value on every response, which the
 * handler reads as `req.state.cspNonce` (Hono's `NONCE`, `@fastify/helmet`'s `enableCSPNonces`).
 */
export const CSP_NONCE = "'nonce-{covet-csp-nonce}'";

/** CSP directives: name → sources (`{ 'script-src': ["'self'", 'https://cdn.example.com'] }`). */
export type CSPDirectives = Readonly<Record<string, string | readonly string[] | true>>;

/** `Strict-Transport-Security` settings. */
export interface HSTSOptions {
  /** Seconds. Default 31536000 (one year). */
  readonly maxAge?: number;
  /** Default `true`. */
  readonly includeSubDomains?: boolean;
  /** Default `false` (only set it once the domain is ready for the preload list). */
  readonly preload?: boolean;
}

/**
 * Options of `SecurityHeaders`: each header can be replaced (a string or its structured
 * form) or turned off with `false`.
 */
export interface SecurityHeadersOptions {
  /** Default: `default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'`. */
  readonly contentSecurityPolicy?: string | CSPDirectives | false;
  /** Send `Content-Security-Policy-Report-Only` instead (to try a policy out). Default `false`. */
  readonly cspReportOnly?: boolean;
  /** Default `max-age=31536000; includeSubDomains`. */
  readonly strictTransportSecurity?: string | HSTSOptions | false;
  /** Default `nosniff`. */
  readonly contentTypeOptions?: 'nosniff' | false;
  /** Default `strict-origin-when-cross-origin` (`no-referrer` would make browsers send `Origin: null` on same-origin posts, which CSRF checks refuse). */
  readonly referrerPolicy?: string | false;
  /** Legacy framing control next to CSP `frame-ancestors`. Default `DENY`. */
  readonly frameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /** Default `same-origin`. */
  readonly crossOriginOpenerPolicy?: string | false;
  /** Default `same-origin`. */
  readonly crossOriginResourcePolicy?: string | false;
  /** Default `none`. */
  readonly permittedCrossDomainPolicies?: string | false;
  /** Default: camera, microphone, geolocation and payment off. */
  readonly permissionsPolicy?: string | false;
  /** More headers to send as they are. */
  readonly extra?: Readonly<Record<string, string>>;
}

const DEFAULT_CSP: CSPDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

const HEADER_DEFAULTS = {
  contentSecurityPolicy: DEFAULT_CSP,
  cspReportOnly: false,
  strictTransportSecurity: {} as HSTSOptions,
  contentTypeOptions: 'nosniff',
  referrerPolicy: 'strict-origin-when-cross-origin',
  frameOptions: 'DENY',
  crossOriginOpenerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
  permittedCrossDomainPolicies: 'none',
  permissionsPolicy: 'camera=(), microphone=(), geolocation=(), payment=()',
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const UNSAFE_VALUE = /[\u0000-\u001f\u007f]/;

function cspString(policy: string | CSPDirectives): string {
  if (typeof policy === 'string') return policy;
  return Object.entries(policy)
    .map(([name, value]) => {
      if (!/^[a-z-]+$/.test(name)) throw new CovetError(`Invalid CSP directive name: ${name}`, { code: 'ERR_SECURITY_HEADERS' });
      if (value === true) return name;
      const sources = typeof value === 'string' ? value : value.join(' ');
      if (sources.includes(';') || sources.includes(',')) throw new CovetError(`Invalid CSP sources for ${name}`, { code: 'ERR_SECURITY_HEADERS' });
      return sources === '' ? name : `${name} ${sources}`;
    })
    .join('; ');
}

function hstsString(hsts: string | HSTSOptions): string {
  if (typeof hsts === 'string') return hsts;
  const maxAge = hsts.maxAge ?? 31536000;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new CovetError('HSTS maxAge must be a non-negative integer', { code: 'ERR_SECURITY_HEADERS' });
  let value = `max-age=${maxAge}`;
  if (hsts.includeSubDomains ?? true) value += '; includeSubDomains';
  if (hsts.preload) value += '; preload';
  return value;
}

/**
 * OWASP's recommended response headers on every response: `Content-Security-Policy`,
 * `Strict-Transport-Security`, `X-Content-Type-Options`, `Referrer-Policy`,
 * `X-Frame-Options` (with CSP `frame-ancestors`), cross-origin isolation headers and a
 * `Permissions-Policy`. Each is overridable or can be turned off; a header the handler set
 * itself is left alone. The header list is built once, at construction.
 *
 * @example
 * app.addMiddleware(new SecurityHeaders({ contentSecurityPolicy: { 'default-src': ["'self'"], 'img-src': ["'self'", 'data:'] } }));
 */
export class SecurityHeaders implements MiddlewareObject {
  /** The headers sent, lower-case names, in order (a nonce policy shows `CSP_NONCE` where each response gets its nonce). */
  readonly headers: readonly (readonly [string, string])[];
  /** The CSP header's name and its value cut at each `CSP_NONCE`, when the policy has one. */
  readonly #noncePolicy: readonly [string, readonly string[]] | null;

  constructor(options: SecurityHeadersOptions = {}) {
    const o = { ...HEADER_DEFAULTS, ...options };
    const out: [string, string][] = [];
    if (o.contentSecurityPolicy !== false) {
      out.push([o.cspReportOnly ? 'content-security-policy-report-only' : 'content-security-policy', cspString(o.contentSecurityPolicy)]);
    }
    if (o.strictTransportSecurity !== false) out.push(['strict-transport-security', hstsString(o.strictTransportSecurity)]);
    if (o.contentTypeOptions !== false) out.push(['x-content-type-options', o.contentTypeOptions]);
    if (o.referrerPolicy !== false) out.push(['referrer-policy', o.referrerPolicy]);
    if (o.frameOptions !== false) out.push(['x-frame-options', o.frameOptions]);
    if (o.crossOriginOpenerPolicy !== false) out.push(['cross-origin-opener-policy', o.crossOriginOpenerPolicy]);
    if (o.crossOriginResourcePolicy !== false) out.push(['cross-origin-resource-policy', o.crossOriginResourcePolicy]);
    if (o.permittedCrossDomainPolicies !== false) out.push(['x-permitted-cross-domain-policies', o.permittedCrossDomainPolicies]);
    if (o.permissionsPolicy !== false) out.push(['permissions-policy', o.permissionsPolicy]);
    for (const [name, value] of Object.entries(o.extra ?? {})) out.push([name.toLowerCase(), value]);
    for (const [name, value] of out) {
      try {
        validateHeaderName(name);
      } catch {
        throw new CovetError(`Invalid header name: ${JSON.stringify(name)}`, { code: 'ERR_SECURITY_HEADERS' });
      }
      if (typeof value !== 'string') throw new CovetError(`Header ${name} must be a string`, { code: 'ERR_SECURITY_HEADERS' });
      if (UNSAFE_VALUE.test(value)) throw new CovetError(`Header ${name} contains control characters`, { code: 'ERR_SECURITY_HEADERS' });
    }
    this.headers = out;
    const csp = out.find(([name]) => name.startsWith('content-security-policy'));
    this.#noncePolicy = csp?.[1].includes(CSP_NONCE) ? [csp[0], csp[1].split(CSP_NONCE)] : null;
  }

  async handle(req: Request, callNext: CallNext): Promise<Response> {
    const policy = this.#noncePolicy;
    let nonce: string | undefined;
    if (policy !== null) {
      nonce = randomBytes(16).toString('base64');
      req.state.cspNonce = nonce;
    }
    const res = await callNext();
    for (const [name, value] of this.headers) {
      if (res.headers.has(name)) continue;
      res.headers.set(name, nonce !== undefined && name === policy?.[0] ? policy[1].join(`'nonce-${nonce}'`) : value);
    }
    return res;
  }
}
