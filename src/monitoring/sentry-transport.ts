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
 * The largest event payload sent: Sentry rejects an event item over 1 MB (decompressed) with
 * `413` (https://develop.sentry.dev/sdk/envelopes/#size-limits).
 */
export const MAX_EVENT_BYTES = 1_000_000;

/** Strings cut to this many characters when an event is too large (Sentry's attribute limit is about 16 k). */
const LONG_STRING = 16_384;
/** The second, harder cut, with `extra`, `breadcrumbs` and `spans` gone. */
const SHORT_STRING = 1024;

/** A JSON replacer that cuts strings longer than `max` characters (never in a surrogate pair), marking the cut with `…`. */
function cutStrings(max: number): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (typeof value !== 'string' || value.length <= max) return value;
    const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
    return `${value.slice(0, end)}…`;
  };
}

/**
 * The JSON payload of an event, made to fit `limit` bytes as Sentry's SDKs do: first long
 * strings are cut (messages, exception values, `extra` and `user` values, headers), then
 * `extra`, `breadcrumbs` and `spans` are dropped and strings cut harder. `null` when even that
 * does not fit, or when the event has no JSON form (a `beforeSend` that put a bigint in it).
 */
export function eventPayload(event: SentryEvent, limit = MAX_EVENT_BYTES): string | null {
  try {
    const whole = JSON.stringify(event);
    // A UTF-8 byte is at most 3 per UTF-16 unit: short payloads need no byte count.
    if (whole.length * 3 <= limit || Buffer.byteLength(whole) <= limit) return whole;
    const cut = JSON.stringify(event, cutStrings(LONG_STRING));
    if (Buffer.byteLength(cut) <= limit) return cut;
    const { extra: _extra, spans: _spans, breadcrumbs: _breadcrumbs, ...rest } = event as SentryEvent & { breadcrumbs?: unknown };
    const harder = JSON.stringify(event.type === 'transaction' ? { ...rest, spans: [] } : rest, cutStrings(SHORT_STRING));
    return Buffer.byteLength(harder) <= limit ? harder : null;
  } catch {
    return null;
  }
}

/**
 * The envelope text of one event: envelope header, item header, payload, each on its own line
 * (https://develop.sentry.dev/sdk/envelopes/). `payload` is the event's JSON (`eventPayload`
 * makes one that fits Sentry's size limit).
 */
export function serializeEnvelope(
  event: SentryEvent,
  dsn: SentryDsn,
  trace?: Readonly<Record<string, string>>,
  payload: string = JSON.stringify(event),
): string {
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

  /** Counts an event that is not sent (captured after `close()`, say). */
  drop(): void {
    this.#dropped++;
  }

  /**
   * Sends in the background; returns at once. An event too large for Sentry is trimmed to fit
   * (`eventPayload`), or dropped (and counted, with a warning) when it cannot be.
   */
  send(event: SentryEvent, trace?: Readonly<Record<string, string>>): void {
    if (this.#limited(event.type === 'transaction' ? 'transaction' : 'error') || this.#inFlight.size >= this.#maxInFlight) {
      this.#dropped++;
      return;
    }
    const payload = eventPayload(event);
    if (payload === null) {
      this.#dropped++;
      warn(this.#logger, `A Sentry event was dropped: it has no JSON form, or is larger than ${MAX_EVENT_BYTES} bytes even trimmed`);
      return;
    }
    const body = serializeEnvelope(event, this.#dsn, trace, payload);
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
