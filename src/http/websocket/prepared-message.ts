import { encodeFrame, OPCODES } from './frame.js';

/**
 * A message encoded once and sent to many sockets (broadcasts, pub/sub fan-out): the frame is
 * built on first use and the same bytes are written to every uncompressed server connection.
 * Connections that compress, or client connections (which mask), encode their own frame.
 *
 * @example
 * const message = new PreparedMessage('{"event":"tick"}');
 * await Promise.all([...sockets].map((ws) => ws.sendPrepared(message)));
 */
export class PreparedMessage {
  readonly opcode: number;
  readonly payload: Buffer;
  #frame: Buffer | [Buffer, Buffer] | null = null;

  constructor(data: string | Uint8Array) {
    if (typeof data === 'string') {
      this.opcode = OPCODES.TEXT;
      this.payload = Buffer.from(data, 'utf8');
    } else {
      this.opcode = OPCODES.BINARY;
      this.payload = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /** Whether this is a text message. */
  get isText(): boolean {
    return this.opcode === OPCODES.TEXT;
  }

  /** The unmasked, uncompressed frame (header and payload). */
  get frame(): Buffer | [Buffer, Buffer] {
    return (this.#frame ??= encodeFrame(this.opcode, this.payload, true, false, false));
  }
}
