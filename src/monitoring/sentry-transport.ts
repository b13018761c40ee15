import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MAX_TIMER_MS } from '../internal/with-deadline.js';
import { type MonitoringLogger, warn } from './metrics-logger.js';
import type { SentryDsn } from './sentry-dsn.js';
import type { SentryEvent } from './sentry-event.js';

const SDK = { name: 'covet.sentry', version: '0.1.0' } as const;

/** Counters of what happened to events. */
export interface TransportStats {
  readonly sent: number;
  readonly dropped: number;
  readonly failed: number;
}

/** Options of the transport. */
export interface TransportOptions {
  /** Most envelopes in flight; more are dropped (and counted). Default 30. */
  readonly maxInFlight?: number;
  /** A request to Sentry slower than this is abandoned. Default 5000 ms. */
  readonly timeout?: number;
  readonly logger?: MonitoringLogger;
}

/**
 * The envelope text of one event: envelope header, item header, payload, each on its own line
 * (https://develop.sentry.dev/sdk/envelopes/).
 */
export function serializeEnvelope(event: SentryEvent, dsn: SentryDsn, trace?: Readonly<Record<string, string>>): string {
  const payload = JSON.stringify(event);
  const header: Record<string, unknown> = { event_id: event.event_id, sent_at: new Date().toISOString(), dsn: dsn.raw, sdk: SDK };
  if (trace !== undefined) header.trace = trace;
  const item = {
    type: event.type === 'transaction' ? 'transaction' : 'event',
    length: Buffer.byteLength(payload),
    content_type: 'application/json',
  };
  return `${JSON.stringify(header)}\n${JSON.stringify(item)}\n${payload}\n`;
}

/** A `Retry-After` value (seconds, or an HTTP date) in ms from now; 60 s when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined): number {
  const value = typeof header === 'string' ? header.trim() : '';
  if (value === '') return 60_000;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : 60_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 60_000 : Math.max(0, at - Date.now());
}

/**
 * Posts envelopes to the DSN's ingest URL, never waiting on the caller's path; honours
 * `429`/`Retry-After`/`X-Sentry-Rate-Limits` by dropping events until the limit passes.
 */
export class SentryTransport {
  readonly #dsn: SentryDsn;
  readonly #url: URL;
  readonly #maxInFlight: number;
  readonly #timeout: number;
  readonly #logger: MonitoringLogger;
  readonly #inFlight = new Set<Promise<void>>();
  /** When each rate-limited data category (`error`, `transaction`; `all`) may send again, ms since the epoch. */
  readonly #limitedUntil = new Map<string, number>();
  #sent = 0;
  #dropped = 0;
  #failed = 0;
  #failing = false;

  constructor(dsn: SentryDsn, options: TransportOptions = {}) {
    this.#dsn = dsn;
    this.#url = new URL(dsn.envelopeUrl);
    this.#maxInFlight = options.maxInFlight ?? 30;
    this.#timeout = options.timeout ?? 5000;
    this.#logger = options.logger ?? console;
  }

  get stats(): TransportStats {
    return { sent: this.#sent, dropped: this.#dropped, failed: this.#failed };
  }

  /** Sends in the background; returns at once. */
  send(event: SentryEvent, trace?: Readonly<Record<string, string>>): void {
    if (this.#limited(event.type === 'transaction' ? 'transaction' : 'error') || this.#inFlight.size >= this.#maxInFlight) {
      this.#dropped++;
      return;
    }
    const body = serializeEnvelope(event, this.#dsn, trace);
    const p: Promise<void> = this.#post(body).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #post(body: string): Promise<void> {
    try {
      const { status, headers } = await this.#request(body);
      const limits = headers['x-sentry-rate-limits'];
      // The rate-limit header wins over Retry-After, on a 429 or any other answer.
      if (typeof limits === 'string' && limits.trim() !== '') this.#limit(limits);
      else if (status === 429) this.#limitedUntil.set('all', Date.now() + retryAfterMs(headers['retry-after']));
      if (status === 429) {
        this.#dropped++;
        return;
      }
      if (status < 200 || status >= 300) throw new Error(`Sentry answered ${status}`);
      this.#sent++;
      this.#failing = false;
    } catch (err) {
      this.#failed++;
      this.#dropped++;
      if (!this.#failing) {
        this.#failing = true;
        warn(this.#logger, `Sending an event to Sentry (${this.#url.host}) failed; events are dropped until it recovers`, { error: err });
      }
    }
  }

  /** Whether events of `category` wait for a rate limit to pass. */
  #limited(category: string): boolean {
    if (this.#limitedUntil.size === 0) return false;
    const now = Date.now();
    return (this.#limitedUntil.get(category) ?? 0) > now || (this.#limitedUntil.get('all') ?? 0) > now;
  }

  /**
   * Applies `X-Sentry-Rate-Limits`: `seconds:categories:scope[:reason…]`, comma-separated;
   * categories `;`-separated, none meaning all of them.
   */
  #limit(header: string): void {
    const now = Date.now();
    for (const limit of header.split(',')) {
      const [secondsText = '', categories = ''] = limit.trim().split(':');
      const seconds = Number(secondsText);
      if (!Number.isFinite(seconds) || seconds <= 0) continue;
      const until = now + seconds * 1000;
      const names = categories === '' ? ['all'] : categories.split(';');
      for (const name of names) if (until > (this.#limitedUntil.get(name) ?? 0)) this.#limitedUntil.set(name, until);
    }
  }

  #request(body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
    const request = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    const auth = `Sentry sentry_version=7, sentry_key=${this.#dsn.publicKey}, sentry_client=${SDK.name}/${SDK.version}`;
    return new Promise((resolve, reject) => {
      const req = request(
        this.#url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-sentry-envelope', 'content-length': Buffer.byteLength(body), 'x-sentry-auth': auth },
          ...(this.#timeout <= MAX_TIMER_MS ? { timeout: this.#timeout } : {}),
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          res.once('error', reject);
        },
      );
      // Past what a timer holds (Infinity: no deadline), Node would fire it after 1 ms.
      if (this.#timeout <= MAX_TIMER_MS) {
        const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${this.#timeout} ms`)), this.#timeout);
        deadline.unref();
        req.once('close', () => clearTimeout(deadline));
      }
      req.once('timeout', () => req.destroy(new Error(`timed out after ${this.#timeout} ms`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  /** Waits for envelopes in flight, at most `timeout` ms; resolves `true` when all finished. */
  async flush(timeout = this.#timeout): Promise<boolean> {
    if (this.#inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      if (timeout <= MAX_TIMER_MS) timer = setTimeout(() => resolve(false), timeout);
    });
    const done = (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      return true as const;
    })();
    try {
      return await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
