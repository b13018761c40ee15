import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import type { ExtensionOffer } from './extension-header.js';
import { WebSocketError } from './websocket-error.js';

/** Options of permessage-deflate (RFC 7692), the `compression` option of WebSocket routes. */
export interface PerMessageDeflateOptions {
  /**
   * Start every message the server sends with an empty compression window: less memory per
   * connection, worse ratio. Default `false` (unless the client asks for it).
   */
  readonly serverNoContextTakeover?: boolean;
  /** Ask the client to start every message it sends with an empty window. Default `false`. */
  readonly clientNoContextTakeover?: boolean;
  /** Largest LZ77 window (as bits, 9–15) the server compresses with. Default 15. */
  readonly serverMaxWindowBits?: number;
  /** Largest window (9–15) the client may compress with, when the client allows a limit. Default: no limit. */
  readonly clientMaxWindowBits?: number;
  /** zlib compression level, 0–9. Default 1 (fast; most of the gain on JSON and text). */
  readonly level?: number;
  /** zlib memory level, 1–9. Default 8. */
  readonly memLevel?: number;
  /** Messages shorter than this many bytes are sent uncompressed. Default 1024. */
  readonly threshold?: number;
}

/** What was agreed with the peer for one connection. */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

export const DEFLATE_DEFAULTS: Required<PerMessageDeflateOptions> = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  level: 1,
  memLevel: 8,
  threshold: 1024,
};

export const EXTENSION_NAME = 'permessage-deflate';
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY_BLOCK = Buffer.from([0x00]);

function windowBits(value: string | true | undefined, allowBare: boolean): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === true) return allowBare ? null : undefined;
  if (!/^(8|9|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Resolves and checks `compression` options once, when a route is declared.
 *
 * @example
 * resolveDeflateOptions({ level: 6 }).threshold // 1024
 */
export function resolveDeflateOptions(options: PerMessageDeflateOptions): Required<PerMessageDeflateOptions> {
  const out = { ...DEFLATE_DEFAULTS, ...options };
  for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const v = out[key];
    if (!Number.isInteger(v) || v < 9 || v > 15) throw new RangeError(`compression.${key} must be an integer from 9 to 15`);
  }
  if (!Number.isInteger(out.level) || out.level < 0 || out.level > 9)
    throw new RangeError('compression.level must be an integer from 0 to 9');
  if (!Number.isInteger(out.memLevel) || out.memLevel < 1 || out.memLevel > 9)
    throw new RangeError('compression.memLevel must be an integer from 1 to 9');
  if (!Number.isInteger(out.threshold) || out.threshold < 0) throw new RangeError('compression.threshold must be a non-negative integer');
  return out;
}

/**
 * The server's answer to the client's permessage-deflate offers (RFC 7692 §7): the first
 * offer it can honour, as the parameters to use and the response header value; `null` when
 * every offer is declined (the connection then runs uncompressed).
 *
 * Offers with unknown or repeated parameters are declined, as RFC 7692 §7.1 requires, and so is
 * `server_max_window_bits=8`, which zlib cannot honour for raw deflate.
 */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  options: Required<PerMessageDeflateOptions>,
): { params: DeflateParams; header: string } | null {
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const agreed = answerOffer(offer, options);
    if (agreed !== null) return agreed;
  }
  return null;
}

/** The answer to one offer, or `null` to decline it. */
function answerOffer(offer: ExtensionOffer, options: Required<PerMessageDeflateOptions>): { params: DeflateParams; header: string } | null {
  const one: Record<string, string | true> = {};
  for (const [key, values] of offer.params) {
    if (values.length !== 1) return null;
    one[key] = values[0] as string | true;
  }
  let serverNoContext = options.serverNoContextTakeover;
  let clientNoContext = options.clientNoContextTakeover;
  let serverBits = options.serverMaxWindowBits;
  let clientBits = 15;
  let clientBitsInResponse: number | null = null;
  for (const [key, value] of Object.entries(one)) {
    switch (key) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        serverNoContext = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        clientNoContext = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value, false);
        if (bits === undefined || bits === null || bits === 8) return null;
        serverBits = Math.min(serverBits, bits);
        break;
      }
      case 'client_max_window_bits': {
        const bits = windowBits(value, true);
        if (bits === undefined) return null;
        // The client accepts a limit: ask for ours (never more than it offered).
        const limit = Math.min(bits ?? 15, options.clientMaxWindowBits);
        if (bits !== null || limit < 15) clientBitsInResponse = limit;
        clientBits = limit;
        break;
      }
      default:
        return null;
    }
  }
  const response: string[] = [EXTENSION_NAME];
  if (serverNoContext) response.push('server_no_context_takeover');
  if (clientNoContext) response.push('client_no_context_takeover');
  if (serverBits < 15 || one.server_max_window_bits !== undefined) response.push(`server_max_window_bits=${serverBits}`);
  if (clientBitsInResponse !== null) response.push(`client_max_window_bits=${clientBitsInResponse}`);
  return {
    params: {
      serverNoContextTakeover: serverNoContext,
      clientNoContextTakeover: clientNoContext,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    },
    header: response.join('; '),
  };
}

/**
 * One connection's compressor and decompressor (zlib raw deflate, created on first use), with
 * context takeover as negotiated. Calls must be serialised by the caller (the WebSocket sends
 * data messages in order; its receiver waits for each message to inflate).
 *
 * @example
 * const pmd = new PerMessageDeflate(params, options, true);
 * const wire = await pmd.compress(Buffer.from('hello hello hello'));
 */
export class PerMessageDeflate {
  readonly params: DeflateParams;
  readonly threshold: number;
  readonly #options: Required<PerMessageDeflateOptions>;
  readonly #isServer: boolean;
  #deflate: DeflateRaw | null = null;
  #inflate: InflateRaw | null = null;

  constructor(params: DeflateParams, options: Required<PerMessageDeflateOptions>, isServer: boolean) {
    this.params = params;
    this.threshold = options.threshold;
    this.#options = options;
    this.#isServer = isServer;
  }

  /** Whether our own outgoing messages start with a fresh window. */
  get #resetAfterCompress(): boolean {
    return this.#isServer ? this.params.serverNoContextTakeover : this.params.clientNoContextTakeover;
  }

  get #resetAfterDecompress(): boolean {
    return this.#isServer ? this.params.clientNoContextTakeover : this.params.serverNoContextTakeover;
  }

  /** Compresses one whole message; the result goes out with RSV1 set. */
  compress(data: Buffer): Promise<Buffer> {
    const bits = this.#isServer ? this.params.serverMaxWindowBits : this.params.clientMaxWindowBits;
    const z = (this.#deflate ??= createDeflateRaw({ level: this.#options.level, memLevel: this.#options.memLevel, windowBits: bits }));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        total += chunk.length;
      };
      const onError = (err: Error): void => {
        z.off('data', onData);
        this.#deflate = null;
        z.close();
        reject(err);
      };
      z.on('data', onData);
      z.once('error', onError);
      z.write(data);
      z.flush(constants.Z_SYNC_FLUSH, () => {
        z.off('data', onData);
        z.off('error', onError);
        let out = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
        // RFC 7692 §7.2.1: drop the 00 00 ff ff a sync flush ends with.
        if (
          out.length >= 4 &&
          out[out.length - 4] === 0 &&
          out[out.length - 3] === 0 &&
          out[out.length - 2] === 0xff &&
          out[out.length - 1] === 0xff
        ) {
          out = out.subarray(0, out.length - 4);
        }
        if (out.length === 0) out = EMPTY_BLOCK;
        if (this.#resetAfterCompress) z.reset();
        resolve(out);
      });
    });
  }

  /**
   * Decompresses one whole message (its fragments joined). Past `maxSize` bytes of output it
   * rejects with a 1009 error; corrupt data rejects with 1007.
   */
  decompress(data: Buffer, maxSize: number): Promise<Buffer> {
    const z = (this.#inflate ??= createInflateRaw({ windowBits: 15 }));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let done = false;
      const finish = (): void => {
        done = true;
        z.off('data', onData);
        z.off('error', onError);
      };
      const abandon = (): void => {
        // The window is now in an unknown state: this connection is closing anyway.
        this.#inflate = null;
        z.close();
      };
      const onData = (chunk: Buffer): void => {
        if (done) return;
        total += chunk.length;
        if (total > maxSize) {
          finish();
          abandon();
          reject(
            new WebSocketError(`Message exceeds the limit of ${maxSize} bytes once decompressed`, 'ERR_WEBSOCKET_MESSAGE_TOO_BIG', 1009),
          );
          return;
        }
        chunks.push(chunk);
      };
      const onError = (err: Error): void => {
        if (done) return;
        finish();
        abandon();
        const failure = new WebSocketError(`Invalid compressed data: ${err.message}`, 'ERR_WEBSOCKET_PROTOCOL', 1007);
        reject(failure);
      };
      z.on('data', onData);
      z.on('error', onError);
      z.write(data);
      z.write(TRAILER);
      z.flush(() => {
        if (done) return;
        finish();
        if (z.readableEnded) {
          // The peer ended its DEFLATE stream (a block with BFINAL set, RFC 7692 §7.2.3.4): zlib
          // takes nothing more on this stream, so the next message gets a fresh one (as in ws).
          this.#inflate = null;
          z.close();
        } else if (this.#resetAfterDecompress) z.reset();
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
      });
    });
  }

  /** Frees the zlib streams. */
  close(): void {
    this.#deflate?.close();
    this.#inflate?.close();
    this.#deflate = null;
    this.#inflate = null;
  }
}
