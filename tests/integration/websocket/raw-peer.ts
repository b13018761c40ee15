// A WebSocket client that speaks raw bytes: it writes exactly the frames a test builds (masked
// or not, broken on purpose, chopped into pieces) and parses what the server sends back frame
// by frame, so tests can check the server's every byte without trusting any library.
import { randomBytes } from 'node:crypto';
import net, { type Socket } from 'node:net';

export interface Frame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

export interface FrameOptions {
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** Default true (clients must mask); `false` sends an unmasked frame. */
  readonly mask?: boolean;
  readonly maskKey?: Buffer;
}

/** Builds one frame as a client would send it (masked unless told otherwise). */
export function frame(opcode: number, payload: string | Buffer = Buffer.alloc(0), options: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = options.mask ?? true;
  const len = data.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = (options.fin ?? true ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | (options.rsv2 ? 0x20 : 0) | (options.rsv3 ? 0x10 : 0) | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, data]);
  const key = options.maskKey ?? randomBytes(4);
  key.copy(head, 2 + ext);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = (data[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, body]);
}

/** A close frame payload: code (2 bytes) and reason. */
export function closeBody(code: number, reason: string | Buffer = ''): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(code, 0);
  return Buffer.concat([buf, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

export interface HandshakeResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A raw connection: write bytes, read frames, see the end. */
export class RawPeer {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #waiters: (() => void)[] = [];
  /** Resolves when the server closed the TCP connection (FIN or reset). */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.#ended = true;
        this.#wake();
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async #waitFor(ms: number): Promise<boolean> {
    if (this.#ended) return false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Connects and sends an opening handshake (plus `extraHeaders`); resolves with the response head. */
  static async open(port: number, path = '/', extraHeaders: Record<string, string> = {}, raw?: string): Promise<{ peer: RawPeer; response: HandshakeResult }> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket);
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-version': '13',
      ...extraHeaders,
    };
    const request =
      raw ??
      `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`;
    socket.write(request);
    const response = await peer.#readHead();
    return { peer, response };
  }

  async #readHead(): Promise<HandshakeResult> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end !== -1) {
        const head = this.#buffer.subarray(0, end).toString('latin1');
        this.#buffer = this.#buffer.subarray(end + 4);
        const [statusLine = '', ...lines] = head.split('\r\n');
        const status = Number(statusLine.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        let body = '';
        if (status !== 101) {
          const length = Number(headers['content-length'] ?? 0);
          while (this.#buffer.length < length && (await this.#waitFor(deadline - Date.now())));
          body = this.#buffer.subarray(0, length).toString('utf8');
          this.#buffer = this.#buffer.subarray(length);
        }
        return { status, headers, body };
      }
      if (!(await this.#waitFor(deadline - Date.now()))) throw new Error(`No handshake response (got ${JSON.stringify(this.#buffer.toString('latin1'))})`);
    }
  }

  /** Writes bytes, optionally in pieces of `chunk` bytes with a pause between them. */
  async send(data: Buffer, chunk = 0, pauseMs = 0): Promise<void> {
    if (chunk <= 0) {
      this.socket.write(data);
      return;
    }
    for (let i = 0; i < data.length; i += chunk) {
      this.socket.write(data.subarray(i, i + chunk));
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  /** The next frame from the server, or `null` if the connection ended (or `ms` passed) first. */
  async next(ms = 10_000): Promise<Frame | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== null) return parsed;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitFor(left))) return this.#parse();
    }
  }

  /** Frames until the connection ends (bounded by `ms`). */
  async rest(ms = 10_000): Promise<Frame[]> {
    const out: Frame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f === null) return out;
      out.push(f);
    }
  }

  #parse(): Frame | null {
    const b = this.#buffer;
    if (b.length < 2) return null;
    const b0 = b[0] as number;
    const b1 = b[1] as number;
    let len = b1 & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskAt = offset;
    if (masked) offset += 4;
    if (b.length < offset + len) return null;
    let payload = Buffer.from(b.subarray(offset, offset + len));
    if (masked) {
      const key = b.subarray(maskAt, maskAt + 4);
      payload = Buffer.from(payload.map((x, i) => x ^ (key[i & 3] as number)));
    }
    this.#buffer = b.subarray(offset + len);
    return {
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload,
    };
  }

  /** The close code of a close frame (1005 for an empty one). */
  static closeCode(f: Frame): number {
    return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
