import type { CovetApp } from '../app.js';
import { CovetError } from '../errors.js';
import { definePlugin, type Plugin } from '../plugin.js';
import type { Middleware } from '../types.js';
import { CORSMiddleware, type CORSOptions } from './cors.js';
import { CSRFProtection, type CSRFOptions } from './csrf.js';
import { SecurityHeaders, type SecurityHeadersOptions } from './security-headers.js';

/** Options of `SecurityConfig`: each part on with its options, `true` for defaults, or off. */
export interface SecurityConfigOptions {
  /** Signs CSRF tokens when `csrf` has no `secretKey` of its own. */
  readonly secretKey?: string | Uint8Array;
  /** Security headers. Default `true` (OWASP defaults). */
  readonly headers?: SecurityHeadersOptions | boolean;
  /** CORS. Default off. */
  readonly cors?: CORSOptions | false;
  /** CSRF protection. Default off; `true` needs `secretKey`. */
  readonly csrf?: Partial<CSRFOptions> | boolean;
}

/**
 * Turns the security middleware on together, in the right order: security headers outermost
 * (every response gets them, 401/403/preflight included), then CORS (preflights are answered
 * before CSRF runs; CSRF refusals still carry CORS headers), then CSRF. `new CovetApp({
 * securityConfig })` applies it (ahead of the app's other middleware) and keeps it as
 * `app.securityConfig`; `securityConfig.apply(app)` or `app.register(securityConfig.plugin)`
 * apply it to an app made without it. An app gets it once, however often it is applied.
 *
 * @example
 * const securityConfig = new SecurityConfig({ secretKey: env.string('SECRET_KEY'), csrf: true, cors: { allowOrigins: ['https://myapp.com'] } });
 * const app = new CovetApp({ securityConfig }); // headers, CORS and CSRF are on
 */
export class SecurityConfig {
  readonly securityHeaders: SecurityHeaders | null;
  readonly cors: CORSMiddleware | null;
  readonly csrf: CSRFProtection | null;
  /** A plugin (named `covet.security`) adding `middleware()` to an app. */
  readonly plugin: Plugin;

  constructor(options: SecurityConfigOptions = {}) {
    const headers = options.headers ?? true;
    this.securityHeaders = headers === false ? null : new SecurityHeaders(headers === true ? {} : headers);
    this.cors = options.cors === undefined || options.cors === false ? null : new CORSMiddleware(options.cors);
    const csrf = options.csrf ?? false;
    if (csrf === false) this.csrf = null;
    else {
      const csrfOptions = csrf === true ? {} : csrf;
      const secretKey = csrfOptions.secretKey ?? options.secretKey;
      if (secretKey === undefined) throw new CovetError('SecurityConfig: csrf needs a secretKey (here or in csrf options)', { code: 'ERR_SECURITY_CONFIG' });
      this.csrf = new CSRFProtection({ ...csrfOptions, secretKey });
    }
    const middleware = this.middleware();
    this.plugin = definePlugin('covet.security', (app: CovetApp) => {
      for (const mw of middleware) app.addMiddleware(mw);
    });
  }

  /** The enabled middleware, outermost first. */
  middleware(): Middleware[] {
    const out: Middleware[] = [];
    if (this.securityHeaders !== null) out.push(this.securityHeaders);
    if (this.cors !== null) out.push(this.cors);
    if (this.csrf !== null) out.push(this.csrf);
    return out;
  }

  /** Adds the middleware to `app` (once per app). Returns the app. */
  apply<A extends CovetApp>(app: A): A {
    app.register(this.plugin);
    return app;
  }
}
