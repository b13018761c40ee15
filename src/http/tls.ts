/** TLS material for `listen({ key, cert })` (HTTPS, and HTTP/2 with `http2: true`). */
export interface TLSOptions {
  /** Private key in PEM. */
  readonly key: string | Buffer;
  /** Certificate chain in PEM. */
  readonly cert: string | Buffer;
  /** Passphrase of an encrypted key. */
  readonly passphrase?: string;
  /** Extra CA certificates (client certificates, private PKI). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/** The options object `node:https`/`node:http2` take. */
export function tlsServerOptions(tls: TLSOptions): { key: string | Buffer; cert: string | Buffer; passphrase?: string; ca?: string | Buffer | (string | Buffer)[] } {
  return {
    key: tls.key,
    cert: tls.cert,
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? tls.ca : [...(tls.ca as readonly (string | Buffer)[])] }),
  };
}
