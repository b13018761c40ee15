import { Duplex } from 'node:stream';

/** One end of an in-memory connection: what it writes, the other end reads. */
class MemoryEnd extends Duplex {
  peer: MemoryEnd | null = null;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer === null || peer.destroyed) {
      callback(new Error('The other end of the connection is closed'));
      return;
    }
    // Copied, as a socket would: the reader may unmask in place.
    peer.push(Buffer.from(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    // Like a reset TCP connection: the other end closes too.
    if (peer !== null && !peer.destroyed) {
      peer.peer = null;
      peer.destroy();
    }
    callback(error);
  }
}

/**
 * Two connected in-memory duplex streams, a socket pair without a socket: used by
 * `TestClient.websocketConnect` to speak real frames with an app in the same process.
 *
 * @example
 * const [client, server] = duplexPair();
 * server.on('data', (chunk) => console.log(chunk)); client.write('hi');
 */
export function duplexPair(): [Duplex, Duplex] {
  const a = new MemoryEnd({ allowHalfOpen: true });
  const b = new MemoryEnd({ allowHalfOpen: true });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
