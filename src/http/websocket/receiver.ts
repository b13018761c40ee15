import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { isValidCloseCode } from './close-codes.js';
import { applyMask, OPCODES } from './frame.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { WebSocketError } from './websocket-error.js';

/** Limits and the negotiated extension of one connection's incoming side. */
export interface ReceiverOptions {
  /** Frames from clients must be masked, frames from servers must not. */
  readonly isServer: boolean;
  /** Largest message (all fragments, after decompression) in bytes; past it → 1009. */
  readonly maxMessageSize: number;
  /** Largest single frame payload in bytes; past it → 1009. */
  readonly maxFrameSize: number;
  /** permessage-deflate, when negotiated: RSV1 is then allowed on a message's first frame. */
  readonly deflate: PerMessageDeflate | null;
}

/** What the receiver reports; the WebSocket implements these. */
export interface ReceiverHandlers {
  onMessage(data: string | Buffer): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** A close frame: its code (1005 when it had none) and reason. */
  onClose(code: number, reason: string): void;
  /** A protocol violation: the connection must be failed with `error.closeCode`. */
  onError(error: WebSocketError): void;
}

// The parser's states: each names what it waits for next.
const GET_INFO = 0; // the first two bytes of a frame
const GET_LENGTH_16 = 1; // a 16-bit extended payload length
const GET_LENGTH_64 = 2; // a 64-bit extended payload length
const GET_MASK = 3; // the 4-byte masking key
const GET_DATA = 4; // the payload
const INFLATING = 5; // waiting for zlib; bytes that arrive meanwhile are only buffered
const STOPPED = 6; // after a close frame or an error: everything else is ignored

const EMPTY = Buffer.alloc(0);
const MASK_KEY = Buffer.alloc(4);

function protocolError(message: string): WebSocketError {
  return new WebSocketError(message, 'ERR_WEBSOCKET_PROTOCOL', 1002);
}

function tooBig(message: string): WebSocketError {
  return new WebSocketError(message, 'ERR_WEBSOCKET_MESSAGE_TOO_BIG', 1009);
}

function invalidUtf8(): WebSocketError {
  return new WebSocketError('Invalid UTF-8 in a text message or close reason', 'ERR_WEBSOCKET_INVALID_UTF8', 1007);
}

/**
 * The incoming half of the protocol (RFC 6455 §5, RFC 7692): a state machine fed with raw
 * bytes in chunks of any size. It checks every rule a peer can break — masking, reserved bits
 * and opcodes, control-frame size and fragmentation, continuation order, close codes, UTF-8
 * (fail-fast across fragments), size limits — and reports whole messages and control frames.
 *
 * @example
 * const receiver = new Receiver({ isServer: true, maxMessageSize: 1 << 20, maxFrameSize: 1 << 20, deflate: null }, handlers);
 * receiver.push(Buffer.from('818537fa213d7f9f4d5158', 'hex')) // handlers.onMessage('Hello')
 */
export class Receiver {
  readonly #options: ReceiverOptions;
  readonly #handlers: ReceiverHandlers;
  #chunks: Buffer[] = [];
  /** Bytes of `#chunks[0]` already consumed (header bytes are read in place, not sliced off). */
  #offset = 0;
  #buffered = 0;
  #state = GET_INFO;

  // The frame being read.
  #fin = false;
  #opcode = 0;
  #masked = false;
  #payloadLength = 0;
  /** The masking key as one 32-bit number (bytes in wire order), not a Buffer per connection. */
  #mask = 0;

  // The message being assembled (data frames only).
  #messageOpcode = 0; // 0: no message in progress
  #compressed = false;
  #fragments: Buffer[] = [];
  #messageLength = 0;
  #decoder: TextDecoder | null = null;
  #textParts: string[] = [];

  constructor(options: ReceiverOptions, handlers: ReceiverHandlers) {
    this.#options = options;
    this.#handlers = handlers;
  }

  /** Bytes received but not yet parsed (they wait while a message inflates). */
  get buffered(): number {
    return this.#buffered;
  }

  /** Whether a compressed message is being inflated (parsing waits for it). */
  get inflating(): boolean {
    return this.#state === INFLATING;
  }

  /** Whether the receiver has stopped (close frame received or protocol error). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Feeds bytes from the connection. */
  push(chunk: Buffer): void {
    if (this.#state === STOPPED || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#state !== INFLATING) this.#run();
  }

  /** Stops parsing for good (the connection is closing). */
  stop(): void {
    this.#state = STOPPED;
    this.#chunks = [];
    this.#offset = 0;
    this.#buffered = 0;
    this.#fragments = [];
    this.#textParts = [];
  }

  #run(): void {
    for (;;) {
      switch (this.#state) {
        case GET_INFO:
          if (this.#buffered < 2) return;
          this.#getInfo();
          break;
        case GET_LENGTH_16:
          if (this.#buffered < 2) return;
          this.#payloadLength = this.#byte(0) * 256 + this.#byte(1);
          this.#skip(2);
          this.#checkLength();
          break;
        case GET_LENGTH_64: {
          if (this.#buffered < 8) return;
          const high = ((this.#byte(0) << 24) | (this.#byte(1) << 16) | (this.#byte(2) << 8) | this.#byte(3)) >>> 0;
          const low = ((this.#byte(4) << 24) | (this.#byte(5) << 16) | (this.#byte(6) << 8) | this.#byte(7)) >>> 0;
          this.#skip(8);
          // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
          if (high >= 0x80000000) {
            this.#fail(protocolError('The most significant bit of a 64-bit payload length must be 0'));
            return;
          }
          // Lengths past 2^53 - 1 cannot be represented (and are far past any limit anyway).
          if (high > 0x1fffff) {
            this.#fail(tooBig('Frame payload length is too large'));
            return;
          }
          this.#payloadLength = high * 0x100000000 + low;
          this.#checkLength();
          break;
        }
        case GET_MASK: {
          if (this.#buffered < 4) return;
          this.#mask = ((this.#byte(0) << 24) | (this.#byte(1) << 16) | (this.#byte(2) << 8) | this.#byte(3)) >>> 0;
          this.#skip(4);
          this.#state = GET_DATA;
          break;
        }
        case GET_DATA: {
          if (this.#buffered < this.#payloadLength) return;
          const data = this.#payloadLength === 0 ? EMPTY : this.#take(this.#payloadLength);
          if (this.#masked && data.length > 0) {
            // Unmasking is synchronous: one module-wide key buffer serves every connection.
            MASK_KEY.writeUInt32BE(this.#mask, 0);
            applyMask(data, MASK_KEY, data, 0, 0, data.length);
          }
          this.#state = GET_INFO;
          if (this.#opcode >= 0x8) this.#control(data);
          else this.#data(data);
          break;
        }
        default:
          return;
      }
    }
  }

  #getInfo(): void {
    const first = this.#byte(0);
    const second = this.#byte(1);
    this.#skip(2);
    if ((first & 0x30) !== 0) {
      this.#fail(protocolError('RSV2 and RSV3 must be clear'));
      return;
    }
    const fin = (first & 0x80) === 0x80;
    const rsv1 = (first & 0x40) === 0x40;
    const opcode = first & 0x0f;
    if (opcode === OPCODES.CONTINUATION) {
      if (rsv1) {
        this.#fail(protocolError('RSV1 must be clear on continuation frames'));
        return;
      }
      if (this.#messageOpcode === 0) {
        this.#fail(protocolError('Continuation frame without a message to continue'));
        return;
      }
    } else if (opcode === OPCODES.TEXT || opcode === OPCODES.BINARY) {
      if (this.#messageOpcode !== 0) {
        this.#fail(protocolError('A new message started before the previous one finished'));
        return;
      }
      if (rsv1 && this.#options.deflate === null) {
        this.#fail(protocolError('RSV1 must be clear: no extension negotiated'));
        return;
      }
      this.#messageOpcode = opcode;
      this.#compressed = rsv1;
    } else if (opcode === OPCODES.CLOSE || opcode === OPCODES.PING || opcode === OPCODES.PONG) {
      if (!fin) {
        this.#fail(protocolError('Control frames must not be fragmented'));
        return;
      }
      if (rsv1) {
        this.#fail(protocolError('RSV1 must be clear on control frames'));
        return;
      }
    } else {
      this.#fail(protocolError(`Reserved opcode 0x${opcode.toString(16)}`));
      return;
    }
    const masked = (second & 0x80) === 0x80;
    if (masked !== this.#options.isServer) {
      this.#fail(protocolError(this.#options.isServer ? 'Client frames must be masked' : 'Server frames must not be masked'));
      return;
    }
    this.#fin = fin;
    this.#opcode = opcode;
    this.#masked = masked;
    const length = second & 0x7f;
    if (opcode >= 0x8 && length > 125) {
      this.#fail(protocolError('Control frame payloads must not exceed 125 bytes'));
      return;
    }
    if (length === 126) this.#state = GET_LENGTH_16;
    else if (length === 127) this.#state = GET_LENGTH_64;
    else {
      this.#payloadLength = length;
      this.#checkLength();
    }
  }

  #checkLength(): void {
    if (this.#state === STOPPED) return;
    const length = this.#payloadLength;
    if (this.#opcode < 0x8) {
      if (length > this.#options.maxFrameSize) {
        this.#fail(tooBig(`Frame exceeds the limit of ${this.#options.maxFrameSize} bytes`));
        return;
      }
      if (this.#messageLength + length > this.#options.maxMessageSize) {
        this.#fail(tooBig(`Message exceeds the limit of ${this.#options.maxMessageSize} bytes`));
        return;
      }
      this.#messageLength += length;
    }
    this.#state = this.#masked ? GET_MASK : GET_DATA;
  }

  #control(data: Buffer): void {
    if (this.#opcode === OPCODES.PING) {
      this.#handlers.onPing(data);
      return;
    }
    if (this.#opcode === OPCODES.PONG) {
      this.#handlers.onPong(data);
      return;
    }
    // A close frame: nothing after it is read.
    if (data.length === 1) {
      this.#fail(protocolError('A close frame payload must not be 1 byte long'));
      return;
    }
    let code = 1005;
    let reason = '';
    if (data.length >= 2) {
      code = data.readUInt16BE(0);
      if (!isValidCloseCode(code)) {
        this.#fail(protocolError(`Invalid close code ${code}`));
        return;
      }
      const rest = data.subarray(2);
      if (!isUtf8(rest)) {
        this.#fail(invalidUtf8());
        return;
      }
      reason = rest.toString('utf8');
    }
    this.stop();
    this.#handlers.onClose(code, reason);
  }

  #data(data: Buffer): void {
    const text = this.#messageOpcode === OPCODES.TEXT;
    if (!this.#compressed) {
      if (text && !(this.#fin && this.#fragments.length === 0 && this.#decoder === null)) {
        // A fragmented text message: validate (and decode) as it arrives, so bad UTF-8 fails fast.
        const decoder = (this.#decoder ??= new TextDecoder('utf-8', { fatal: true }));
        try {
          // Empty fragments add nothing: a flood of them must not grow memory.
          const part = decoder.decode(data, { stream: !this.#fin });
          if (part !== '') this.#textParts.push(part);
        } catch {
          this.#fail(invalidUtf8());
          return;
        }
        if (!this.#fin) return;
        const message = this.#textParts.join('');
        this.#resetMessage();
        this.#handlers.onMessage(message);
        return;
      }
      if (!this.#fin) {
        if (data.length > 0) this.#fragments.push(data);
        return;
      }
      const whole = this.#fragments.length === 0 ? data : Buffer.concat([...this.#fragments, data], this.#messageLength);
      this.#resetMessage();
      if (!text) {
        this.#handlers.onMessage(whole);
        return;
      }
      // ASCII (most chat and JSON traffic) needs no UTF-8 validation and decodes faster as latin1.
      if (isAscii(whole)) {
        this.#handlers.onMessage(whole.toString('latin1'));
        return;
      }
      if (!isUtf8(whole)) {
        this.#fail(invalidUtf8());
        return;
      }
      this.#handlers.onMessage(whole.toString('utf8'));
      return;
    }
    if (data.length > 0) this.#fragments.push(data);
    if (!this.#fin) return;
    const compressed = this.#fragments.length === 1 ? (this.#fragments[0] as Buffer) : Buffer.concat(this.#fragments, this.#messageLength);
    this.#resetMessage();
    this.#state = INFLATING;
    const deflate = this.#options.deflate as PerMessageDeflate;
    deflate.decompress(compressed, this.#options.maxMessageSize).then(
      (inflated) => {
        if (this.#state === STOPPED) return;
        this.#state = GET_INFO;
        if (text) {
          if (!isUtf8(inflated)) {
            this.#fail(invalidUtf8());
            return;
          }
          this.#handlers.onMessage(inflated.toString('utf8'));
        } else {
          this.#handlers.onMessage(inflated);
        }
        if (this.#state === GET_INFO) this.#run();
      },
      (err: unknown) => {
        if (this.#state === STOPPED) return;
        this.#fail(err instanceof WebSocketError ? err : protocolError(String(err)));
      },
    );
  }

  #resetMessage(): void {
    this.#messageOpcode = 0;
    this.#compressed = false;
    if (this.#fragments.length > 0) this.#fragments = [];
    this.#messageLength = 0;
    this.#decoder = null;
    if (this.#textParts.length > 0) this.#textParts = [];
  }

  #fail(error: WebSocketError): void {
    this.stop();
    this.#handlers.onError(error);
  }

  /** The byte `index` places past what was consumed. */
  #byte(index: number): number {
    let i = index + this.#offset;
    const chunks = this.#chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c] as Buffer;
      if (i < chunk.length) return chunk[i] as number;
      i -= chunk.length;
    }
    return 0;
  }

  /** Consumes `n` bytes without looking at them (header fields already read with `#byte`). */
  #skip(n: number): void {
    this.#buffered -= n;
    let left = n + this.#offset;
    const chunks = this.#chunks;
    while (left > 0) {
      const first = chunks[0] as Buffer;
      if (first.length > left) break;
      left -= first.length;
      chunks.shift();
    }
    this.#offset = left;
  }

  /** Removes and returns the next `n` bytes (a view when they sit in one chunk). */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const chunks = this.#chunks;
    const first = chunks[0] as Buffer;
    const offset = this.#offset;
    const available = first.length - offset;
    if (available === n) {
      chunks.shift();
      this.#offset = 0;
      return offset === 0 ? first : first.subarray(offset);
    }
    if (available > n) {
      this.#offset = offset + n;
      return first.subarray(offset, offset + n);
    }
    const out = Buffer.allocUnsafe(n);
    out.set(offset === 0 ? first : first.subarray(offset), 0);
    let filled = available;
    chunks.shift();
    this.#offset = 0;
    while (filled < n) {
      const chunk = chunks[0] as Buffer;
      const need = n - filled;
      if (chunk.length <= need) {
        out.set(chunk, filled);
        filled += chunk.length;
        chunks.shift();
      } else {
        out.set(chunk.subarray(0, need), filled);
        this.#offset = need;
        filled = n;
      }
    }
    return out;
  }
}
