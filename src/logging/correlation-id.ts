import { randomUUID } from 'node:crypto';
import { kLowerGet, type RequestHeaders } from '../http/headers.js';

// Ids from clients are echoed into headers and logs: keep them short and of a safe alphabet.
const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The correlation id of a request: `X-Correlation-ID`, else `X-Request-ID`, when it is a
 * sane token (1–128 characters of `A-Z a-z 0-9 . _ : @ / + = -`), else a new UUID.
 *
 * @example
 * correlationIdOf(req.headers) // '0b6f…' or the client's id
 */
export function correlationIdOf(headers: { get(name: string): string | null }): string {
  return clientCorrelationId(headers) ?? randomUUID();
}

/** The client's correlation id (`X-Correlation-ID`, else `X-Request-ID`) when it is a sane token, else `undefined`. */
export function clientCorrelationId(headers: { get(name: string): string | null }): string | undefined {
  return saneId(headers.get('x-correlation-id')) ?? saneId(headers.get('x-request-id'));
}

/** `clientCorrelationId` for a request's own headers (the request logging middleware's lookup). */
export function requestCorrelationId(headers: RequestHeaders): string | undefined {
  return saneId(headers[kLowerGet]('x-correlation-id')) ?? saneId(headers[kLowerGet]('x-request-id'));
}

function saneId(value: string | null): string | undefined {
  if (value === null) return undefined;
  const id = value.trim();
  return SAFE_ID.test(id) ? id : undefined;
}
