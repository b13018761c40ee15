import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { copyFile, type FileHandle, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { UploadFileLike } from '../request.js';

/** What `new UploadFile(...)` takes: an in-memory file (handy in tests). */
export interface UploadFileInit {
  /** The file's name as the client sent it; sanitised (see `sanitizeFilename`). */
  readonly filename: string;
  /** Default `application/octet-stream`. */
  readonly contentType?: string;
  readonly content: string | Uint8Array | readonly Uint8Array[];
}

// Lets the spooling code below create files backed by a temp file without a public
// constructor argument for it (a "friend" of the class, set in its static block).
let attachSpool: (file: UploadFile, path: string, size: number) => void;

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * A file from a `multipart/form-data` request (`await req.form()`): small files are held in
 * memory, larger ones in a temp file that is removed once the response has been sent — read,
 * stream or save it inside the handler. The temp file's path is never exposed, and the
 * filename is only a label: never build a path from it.
 *
 * @example
 * app.post('/upload', async (req) => {
 *   const file = (await req.form()).get('file') as UploadFile;
 *   const content = await file.read();
 *   return { filename: file.filename, size: content.length, content_type: file.contentType };
 * });
 */
export class UploadFile implements UploadFileLike {
  /** The client's file name, reduced to a base name without path separators or control characters (may be `''`). */
  readonly filename: string;
  /** The part's `Content-Type`, `application/octet-stream` when it had none. */
  readonly contentType: string;
  #size: number;
  #chunks: Buffer[] | null;
  #path: string | null = null;

  static {
    attachSpool = (file, path, size) => {
      file.#path = path;
      file.#size = size;
      file.#chunks = null;
    };
  }

  constructor(init: UploadFileInit) {
    this.filename = init.filename;
    this.contentType = init.contentType ?? 'application/octet-stream';
    const { content } = init;
    const chunks =
      typeof content === 'string' ? [Buffer.from(content)] : content instanceof Uint8Array ? [toBuffer(content)] : content.map(toBuffer);
    this.#chunks = chunks;
    this.#size = chunks.reduce((n, c) => n + c.length, 0);
  }

  /** Size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** The whole content. A spooled file is read from disk, so this works only until the response is sent. */
  async read(): Promise<Buffer> {
    const chunks = this.#chunks;
    if (chunks !== null) {
      if (chunks.length === 1) return chunks[0] as Buffer;
      // Joined once: later reads get the same buffer without copying again.
      const whole = Buffer.concat(chunks, this.#size);
      this.#chunks = [whole];
      return whole;
    }
    try {
      return await readFile(this.#path as string);
    } catch (err) {
      throw this.#gone(err);
    }
  }

  /**
   * The content as a Node stream (an `AsyncIterable<Buffer>` too), without loading a spooled
   * file into memory.
   *
   * @example
   * for await (const chunk of file.stream()) hash.update(chunk)
   */
  stream(): Readable {
    if (this.#chunks !== null) return Readable.from(this.#chunks, { objectMode: false });
    return createReadStream(this.#path as string);
  }

  /**
   * Copies the content to `path` (replacing a file that is there). `path` must come from your
   * code, never from `filename`.
   *
   * @example
   * await file.saveTo(join(uploadsDir, `${randomUUID()}.bin`))
   */
  async saveTo(path: string): Promise<void> {
    if (this.#chunks !== null) {
      await writeFile(path, this.#chunks);
      return;
    }
    try {
      // A copy-on-write clone where the file system supports it, a plain copy elsewhere.
      await copyFile(this.#path as string, path, fsConstants.COPYFILE_FICLONE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).path === this.#path) throw this.#gone(err);
      throw err;
    }
  }

  /** `{ filename, contentType, size }`, so a form can be logged or returned as JSON. */
  toJSON(): { filename: string; contentType: string; size: number } {
    return { filename: this.filename, contentType: this.contentType, size: this.#size };
  }

  #gone(err: unknown): Error {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err as Error;
    return new Error(`The upload "${this.filename}" was stored in a temp file that is removed after the response; read it in the handler`, {
      cause: err,
    });
  }
}

/**
 * Reduces a client-supplied file name to something safe to show: the last path segment
 * (`/` and `\` both count), without control or bidirectional-override characters, trimmed;
 * `.` and `..` become `''`. Still only a label — never a path.
 *
 * @example
 * sanitizeFilename('../../etc/passwd') // 'passwd'
 * sanitizeFilename('C:\\Users\\me\\cv.pdf') // 'cv.pdf'
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.slice(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
  // Bidi overrides make "evil\u202Efdp.exe" display as "evilexe.pdf".
  const clean = base.replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '').trim();
  return clean === '.' || clean === '..' ? '' : clean;
}

/** The temp files of one request: created with random names, removed together. @internal */
export class TempFiles {
  readonly #dir: string;
  readonly #paths: string[] = [];
  #disposed = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A new empty file, `0600`, under a random name (never derived from the upload's name). */
  async create(): Promise<{ path: string; handle: FileHandle }> {
    if (this.#disposed) throw new Error('The request has finished; no more temp files');
    const path = join(this.#dir, `covet-upload-${randomBytes(16).toString('hex')}`);
    // `wx` (O_CREAT|O_EXCL) never opens an existing file or follows a planted symlink.
    const handle = await open(path, 'wx', 0o600);
    this.#paths.push(path);
    if (this.#disposed) {
      // Disposed while the file was being opened: it must not outlive the request either.
      await handle.close();
      await this.dispose();
      throw new Error('The request has finished; no more temp files');
    }
    return { path, handle };
  }

  /** Removes every file created so far; later `create()` calls fail. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const paths = this.#paths.splice(0);
    const results = await Promise.allSettled(paths.map((p) => unlink(p)));
    for (const r of results) {
      if (r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code !== 'ENOENT') throw r.reason;
    }
  }
}

// Spooled data is written in batches of at least this many bytes: fewer, larger writes.
const WRITE_BATCH = 256 * 1024;

/**
 * Collects one file part: in memory up to `threshold` bytes, then in a temp file. `write` is
 * synchronous (the parser calls it); `flush` does the I/O between network chunks, so disk
 * writes pace the reading of the body. @internal
 */
export class UploadSink {
  readonly filename: string;
  readonly contentType: string;
  size = 0;
  /** Set once the part's closing boundary has been seen. */
  complete = false;
  readonly #threshold: number;
  readonly #temp: TempFiles;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #handle: FileHandle | null = null;
  #path: string | null = null;

  constructor(filename: string, contentType: string, threshold: number, temp: TempFiles) {
    this.filename = filename;
    this.contentType = contentType;
    this.#threshold = threshold;
    this.#temp = temp;
  }

  write(data: Buffer): void {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    this.size += data.length;
  }

  /** Whether `flush` has I/O to do now. */
  get dirty(): boolean {
    if (this.#path === null) return this.size > this.#threshold;
    return this.#pendingBytes > 0 && (this.complete || this.#pendingBytes >= WRITE_BATCH);
  }

  /** Spools to disk once past the threshold; writes what is pending; closes when complete. */
  async flush(): Promise<void> {
    if (this.#path === null) {
      if (this.size <= this.#threshold) return;
      const { path, handle } = await this.#temp.create();
      this.#path = path;
      this.#handle = handle;
    }
    const handle = this.#handle;
    if (handle === null) return;
    if (this.#pendingBytes > 0 && (this.complete || this.#pendingBytes >= WRITE_BATCH)) {
      const batch = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      await writeAll(handle, batch);
    }
    if (this.complete) {
      this.#handle = null;
      await handle.close();
    }
  }

  /** The finished file (after the last `flush`). */
  toUploadFile(): UploadFile {
    const file = new UploadFile({ filename: this.filename, contentType: this.contentType, content: this.#pending });
    if (this.#path !== null) attachSpool(file, this.#path, this.size);
    return file;
  }

  /** Parsing failed: close the temp file (its owner `TempFiles` removes it). */
  async abort(): Promise<void> {
    this.#pending = [];
    const handle = this.#handle;
    this.#handle = null;
    if (handle !== null) await handle.close();
  }
}

/** `writev` until every byte is on disk (a write may be partial). */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  let total = rest.reduce((n, b) => n + b.length, 0);
  while (total > 0) {
    const { bytesWritten } = await handle.writev(rest);
    total -= bytesWritten;
    if (total === 0) return;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}
