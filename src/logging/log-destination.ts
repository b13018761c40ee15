import { writeSync } from 'node:fs';

/** Where log lines go: any writable stream (`process.stdout`, a file stream, a socket). */
export interface LogDestination {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  /** A file descriptor lets the last lines be written synchronously at process exit. */
  readonly fd?: number;
  readonly isTTY?: boolean;
}

/** A line whose text is made when its batch is written (see `LineWriter.writeDeferred`). */
export interface DeferredLine {
  /** The line's text, with its newline. */
  toLine(): string;
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
    const chunk = textOf(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const ok = this.#dest.write(chunk);
    if (!ok && typeof this.#dest.once === 'function') {
      this.#waitingDrain = true;
      this.#dest.once('drain', () => {
        this.#waitingDrain = false;
        this.#drain();
      });
      return;
    }
    if (this.#pending.length > 0) this.#schedule();
    else for (const resolve of this.#idle.splice(0)) resolve();
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
