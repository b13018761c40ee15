import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Where log lines go: any writable stream (`process.stdout`, a file stream, a socket). */
export interface LogDestination {
  write(chunk: string): boolean;
  once?(event: 'drain' | 'close', listener: () => void): unknown;
  /** A file descriptor lets the last lines be written synchronously at process exit. */
  readonly fd?: number;
  readonly isTTY?: boolean;
}

/** A line whose text is made when its batch is written (see `LineWriter.writeDeferred`). */
export interface DeferredLine {
  /** The line's text, with its newline. */
  toLine(): string;
  /**
   * Writes the line's UTF-8 bytes (the same as `toLine()`'s) at `at`; returns the end, or -1,
   * having written nothing, when `buf` has no room for it. Optional.
   */
  writeTo?(buf: Buffer, at: number): number;
}

const writers = new Set<WeakRef<LineWriter>>();

/** The text of queued lines, in order. */
function textOf(pending: readonly (string | DeferredLine)[]): string {
  let out = '';
  for (let i = 0; i < pending.length; i++) {
    const entry = pending[i] as string | DeferredLine;
    out += typeof entry === 'string' ? entry : entry.toLine();
  }
  return out;
}
/** The largest batch buffer kept for the next batch. */
const MAX_KEPT_BUFFER = 1024 * 1024;

/**
 * The UTF-8 bytes of queued lines, in order, in `scratch` when it is large enough. A line that
 * can write its own bytes does: its text is never built (a line joined from a dozen pieces
 * costs more to flatten and encode than to write byte by byte).
 */
function bytesOf(pending: readonly (string | DeferredLine)[], scratch: Buffer | null): [buffer: Buffer, length: number] {
  let size = 0;
  for (let i = 0; i < pending.length; i++) {
    const entry = pending[i] as string | DeferredLine;
    size += typeof entry === 'string' ? entry.length * 3 : 512;
  }
  let buf = scratch !== null && scratch.length >= size ? scratch : Buffer.allocUnsafe(Math.max(size, 64 * 1024));
  let at = 0;
  const grow = (need: number): void => {
    const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + need));
    buf.copy(bigger, 0, 0, at);
    buf = bigger;
  };
  for (let i = 0; i < pending.length; i++) {
    const entry = pending[i] as string | DeferredLine;
    if (typeof entry !== 'string' && entry.writeTo !== undefined) {
      let end = entry.writeTo(buf, at);
      while (end === -1) {
        grow(buf.length);
        end = entry.writeTo(buf, at);
      }
      at = end;
      continue;
    }
    const text = typeof entry === 'string' ? entry : entry.toLine();
    if (at + text.length * 3 > buf.length) grow(text.length * 3);
    at += buf.write(text, at, 'utf8');
  }
  return [buf, at];
}

/**
 * Whether `fd`, the destination's, is a regular file or a non-terminal character device
 * (`/dev/null`) written at the file's own position (not a file stream with a `start`).
 */
function writesToFile(dest: LogDestination, fd: number): boolean {
  // A file stream with `start` writes at its own offsets: leave it to the stream.
  if ((dest as { start?: unknown }).start !== undefined) return false;
  try {
    const stat = fstatSync(fd);
    return stat.isFile() || (stat.isCharacterDevice() && !isatty(fd));
  } catch {
    return false;
  }
}

let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Lines still waiting for their turn of the event loop would be lost at `process.exit()`.
  process.once('exit', () => {
    for (const ref of writers) ref.deref()?.flushSync();
  });
}

/**
 * Batches log lines and writes them every `flushInterval` ms (or at once past 64 KiB), so a
 * log call never does I/O itself and a busy server makes one write for many lines; respects
 * backpressure (`write` → `false` waits for `drain`) and, past `maxBufferBytes`
 * of waiting lines, drops new ones and reports how many once the destination catches up.
 */
export class LineWriter {
  readonly #dest: LogDestination;
  readonly #maxBytes: number;
  // Lines waiting: text, or lines made when the batch is written.
  #pending: (string | DeferredLine)[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  #waitingDrain = false;
  #dropped = 0;
  #droppedTotal = 0;
  #idle: (() => void)[] = [];
  readonly #interval: number;
  #timer: NodeJS.Timeout | null = null;
  /** The destination's descriptor last looked at, whether it is a file's, and whether a direct write failed. */
  #fileFd = -1;
  #isFile = false;
  #fileFailed = false;
  /** The last batch's buffer, reused by the next one written to the file (the write is synchronous). */
  #scratch: Buffer | null = null;

  constructor(dest: LogDestination, maxBufferBytes = 8 * 1024 * 1024, flushInterval = 5) {
    this.#dest = dest;
    this.#maxBytes = maxBufferBytes;
    this.#interval = flushInterval;
    writers.add(new WeakRef(this));
    installExitHook();
  }

  /** Lines dropped so far because the destination could not keep up. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  get isTTY(): boolean {
    return this.#dest.isTTY === true;
  }

  /** Queues one line (with its newline). */
  write(line: string): void {
    this.#accept(line, line.length);
  }

  /**
   * Queues a line whose text is made when its batch is written: a busy server formats its
   * request lines together, in one loop, instead of one between every two requests.
   * `bytes` is an estimate of its length.
   */
  writeDeferred(line: DeferredLine, bytes = 256): void {
    this.#accept(line, bytes);
  }

  #accept(entry: string | DeferredLine, bytes: number): void {
    if (this.#pendingBytes + bytes > this.#maxBytes) {
      this.#dropped++;
      this.#droppedTotal++;
      return;
    }
    this.#pending.push(entry);
    this.#pendingBytes += bytes;
    if (this.#pendingBytes >= 65536 || this.#interval <= 0) this.#schedule();
    else if (this.#timer === null && !this.#scheduled && !this.#waitingDrain) {
      // One write per interval instead of one per event-loop turn: under load a turn holds
      // only a few requests, and each write costs a system call (or a thread-pool round trip).
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#schedule();
      }, this.#interval);
    }
  }

  #schedule(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#scheduled || this.#waitingDrain) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#waitingDrain) return;
    if (this.#dropped > 0) {
      const note = `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'WARNING', message: 'log lines dropped: the destination is too slow', dropped: this.#dropped })}\n`;
      this.#dropped = 0;
      this.#pending.unshift(note);
    }
    if (this.#pending.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    let chunk: string;
    if (this.#writesToFile()) {
      const [buffer, length] = bytesOf(pending, this.#scratch);
      if (buffer.length <= MAX_KEPT_BUFFER) this.#scratch = buffer;
      const bytes = buffer.subarray(0, length);
      if (this.#writeFile(bytes)) {
        for (const resolve of this.#idle.splice(0)) resolve();
        return;
      }
      chunk = bytes.toString('utf8');
    } else chunk = textOf(pending);
    // A destination that failed (a closed pipe, a full disk) never drains: its lines are lost,
    // counted, and neither the writer nor `flush()` waits for it.
    let ok: boolean;
    if (this.#destroyed()) {
      this.#droppedTotal += pending.length;
      ok = true;
    } else {
      try {
        ok = this.#dest.write(chunk);
      } catch {
        this.#droppedTotal += pending.length;
        ok = true;
      }
    }
    if (!ok && typeof this.#dest.once === 'function' && !this.#destroyed()) {
      this.#waitingDrain = true;
      const dest = this.#dest as LogDestination & { removeListener?(event: string, listener: () => void): unknown };
      const resume = (): void => {
        dest.removeListener?.('drain', resume);
        dest.removeListener?.('close', resume);
        if (!this.#waitingDrain) return;
        this.#waitingDrain = false;
        this.#drain();
      };
      dest.once?.('drain', resume);
      dest.once?.('close', resume);
      return;
    }
    if (this.#pending.length > 0) this.#schedule();
    else for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Whether the destination is a stream that was destroyed (it failed, or was closed). */
  #destroyed(): boolean {
    return (this.#dest as { destroyed?: unknown }).destroyed === true;
  }

  /**
   * Whether a batch goes straight to the destination's file: it is a regular file or a device
   * (`/dev/null`), not a pipe, socket or terminal, and nothing else is queued in the stream —
   * a write to the page cache takes microseconds, and a file stream's own write is a round trip
   * through libuv's thread pool per batch (a thread switch on a busy core).
   */
  #writesToFile(): boolean {
    const dest = this.#dest as LogDestination & { writableLength?: unknown; destroyed?: unknown };
    const fd = dest.fd;
    // Read each time: a closed stream's descriptor number may already belong to another file.
    if (typeof fd !== 'number' || dest.destroyed === true || this.#fileFailed) return false;
    if (fd !== this.#fileFd) {
      this.#fileFd = fd;
      this.#isFile = writesToFile(dest, fd);
    }
    return this.#isFile && !(typeof dest.writableLength === 'number' && dest.writableLength > 0);
  }

  /** Writes a batch to the destination's file (`#writesToFile()` said yes); `false` when that failed. */
  #writeFile(bytes: Buffer): boolean {
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(this.#fileFd, bytes, at, bytes.length - at);
      return true;
    } catch {
      // A full disk or a closed descriptor: the stream reports it its own way from now on.
      this.#fileFailed = true;
      return false;
    }
  }

  /** Resolves once every queued line was handed to the destination. */
  flush(): Promise<void> {
    if (this.#pending.length === 0 && !this.#waitingDrain && !this.#scheduled && this.#dropped === 0 && this.#timer === null)
      return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.#schedule();
    });
  }

  /** Writes what is queued synchronously (process exit), when the destination has a file descriptor. */
  flushSync(): void {
    if (this.#pending.length === 0) return;
    const chunk = textOf(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (typeof this.#dest.fd === 'number') {
      try {
        writeSync(this.#dest.fd, chunk);
        return;
      } catch {}
    }
    this.#dest.write(chunk);
  }
}
