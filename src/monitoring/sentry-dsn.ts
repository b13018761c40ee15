/** A parsed Sentry DSN: `https://<publicKey>@<host>[/<path>]/<projectId>`. */
export interface SentryDsn {
  readonly protocol: 'http' | 'https';
  readonly publicKey: string;
  readonly host: string;
  readonly port: string;
  /** Any path before the project id (self-hosted behind a prefix), without a trailing slash. */
  readonly path: string;
  readonly projectId: string;
  /** The envelope endpoint: `<protocol>://<host>[:port]<path>/api/<projectId>/envelope/`. */
  readonly envelopeUrl: string;
  /** The DSN as given, for the envelope header. */
  readonly raw: string;
}

/**
 * Parses a Sentry DSN; throws `TypeError` on a malformed one.
 *
 * @example
 * parseDsn('https://abc123@o1.ingest.sentry.io/42').envelopeUrl // 'https://o1.ingest.sentry.io/api/42/envelope/'
 */
export function parseDsn(dsn: string): SentryDsn {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new TypeError(`Invalid Sentry DSN: ${JSON.stringify(dsn)}`);
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') throw new TypeError(`Invalid Sentry DSN protocol: ${url.protocol}`);
  const publicKey = decodeURIComponent(url.username);
  if (publicKey === '') throw new TypeError('Invalid Sentry DSN: no public key');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const projectId = parts.pop();
  if (projectId === undefined || !/^\d+$/.test(projectId)) throw new TypeError('Invalid Sentry DSN: no numeric project id');
  const path = parts.length === 0 ? '' : `/${parts.join('/')}`;
  const hostPort = url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
  return {
    protocol,
    publicKey,
    host: url.hostname,
    port: url.port,
    path,
    projectId,
    envelopeUrl: `${protocol}://${hostPort}${path}/api/${projectId}/envelope/`,
    raw: dsn,
  };
}
