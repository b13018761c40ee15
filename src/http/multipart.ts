import { tmpdir } from 'node:os';
import { HTTPException } from '../errors.js';
import { type FormValue, type Request, RequestForm } from '../request.js';
import { sanitizeFilename, TempFiles, UploadSink } from './upload-file.js';

/**
 * Limits and storage of multipart uploads (`req.form()` on `multipart/form-data`). The app's
 * `bodyLimit` does not apply to multipart bodies: `maxTotalSize` does.
 */
export interface MultipartOptions {
  /** Largest single file in bytes. Default 10 MiB. */
  readonly maxFileSize?: number;
  /** Most files in one request. Default 10. */
  readonly maxFiles?: number;
  /** Most non-file fields in one request. Default 1000. */
  readonly maxFields?: number;
  /** Largest non-file field value in bytes. Default 1 MiB. */
  readonly maxFieldSize?: number;
  /** Largest whole multipart body in bytes. Default 100 MiB. */
  readonly maxTotalSize?: number;
  /** A file up to this size stays in memory; a larger one is spooled to a temp file. Default 1 MiB. */
  readonly memoryThreshold?: number;
  /** Where spooled files go. Default `os.tmpdir()`. */
  readonly tmpDir?: string;
}

/** The defaults of `MultipartOptions`. */
export const MULTIPART_DEFAULTS: Readonly<Required<Omit<MultipartOptions, 'tmpDir'>>> = {
  maxFileSize: 10 * 1024 * 1024,
  maxFiles: 10,
  maxFields: 1000,
  maxFieldSize: 1024 * 1024,
  maxTotalSize: 100 * 1024 * 1024,
  memoryThreshold: 1024 * 1024,
};

/** Largest header block of one part; more is refused (413) rather than buffered. */
const MAX_PART_HEADER_SIZE = 16 * 1024;

type ResolvedOptions = Required<MultipartOptions>;

// Route options objects are created once per route, so resolving them once each is enough.
const resolved = new WeakMap<MultipartOptions, ResolvedOptions>();

function resolveOptions(options: MultipartOptions): ResolvedOptions {
  let out = resolved.get(options);
  if (out === undefined) {
    const merged: Record<string, unknown> = { ...MULTIPART_DEFAULTS, tmpDir: tmpdir() };
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
    for (const key of Object.keys(MULTIPART_DEFAULTS)) {
      const n = merged[key];
      if (typeof n !== 'number' || !(Number.isSafeInteger(n) || n === Number.POSITIVE_INFINITY) || n < 0) {
        throw new RangeError(`multipart.${key} must be a non-negative integer, got ${String(n)}`);
      }
    }
    if (typeof merged.tmpDir !== 'string' || merged.tmpDir === '') throw new RangeError('multipart.tmpDir must be a directory path');
    out = merged as unknown as ResolvedOptions;
    resolved.set(options, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header values: `type/subtype; a=b; c="d"` and `form-data; name="x"; filename*=UTF-8''y`.

/** A header value's leading token (lower-cased) and its parameters (names lower-cased, first wins). */
export interface HeaderValue {
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Parses `value; name=token; name="quoted \"string\""`. Inside quotes a backslash escapes only
 * `"` and `\` — browsers never escape (they send `"` as `%22`), and a Windows path such as
 * `C:\dir\a.txt` must keep its backslashes so that its base name can be taken.
 *
 * @example
 * parseHeaderValue('form-data; name="a;b"; filename=x.txt') // { value: 'form-data', params: Map { name → 'a;b', filename → 'x.txt' } }
 */
export function parseHeaderValue(header: string): HeaderValue {
  const params = new Map<string, string>();
  const len = header.length;
  let i = header.indexOf(';');
  if (i === -1) i = len;
  const value = header.slice(0, i).trim().toLowerCase();
  while (i < len) {
    i++; // past ';'
    while (i < len && isSpace(header.charCodeAt(i))) i++;
    const eq = header.indexOf('=', i);
    const semi = header.indexOf(';', i);
    if (eq === -1 || (semi !== -1 && semi < eq)) {
      // A parameter without a value: skip it.
      i = semi === -1 ? len : semi;
      continue;
    }
    const name = header.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < len && isSpace(header.charCodeAt(i))) i++;
    let v: string;
    if (header.charCodeAt(i) === 34 /* " */) {
      v = '';
      i++;
      let start = i;
      for (; i < len; i++) {
        const c = header.charCodeAt(i);
        if (c === 34) break;
        if (c === 92 /* \ */ && i + 1 < len) {
          const next = header.charCodeAt(i + 1);
          if (next === 34 || next === 92) {
            v += header.slice(start, i);
            i++;
            start = i;
          }
        }
      }
      // An unterminated quote takes the rest of the line.
      v += header.slice(start, i);
      const after = header.indexOf(';', i);
      i = after === -1 ? len : after;
    } else {
      const end = header.indexOf(';', i);
      v = header.slice(i, end === -1 ? len : end).trim();
      i = end === -1 ? len : end;
    }
    if (name !== '' && !params.has(name)) params.set(name, v);
  }
  return { value, params };
}

// RFC 2046 §5.1.1: 1 to 70 characters from this set, not ending with a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * The boundary of a `multipart/form-data` Content-Type; missing or invalid → 400.
 *
 * @example
 * boundaryOf('multipart/form-data; boundary="----abc"') // '----abc'
 */
export function boundaryOf(contentType: string): string {
  const boundary = parseHeaderValue(contentType).params.get('boundary');
  if (boundary === undefined || boundary === '') {
    throw new HTTPException(400, 'Missing boundary in the multipart/form-data Content-Type', { code: 'ERR_MULTIPART_BOUNDARY' });
  }
  if (!BOUNDARY.test(boundary)) {
    throw new HTTPException(
      400,
      "Invalid multipart boundary: 1 to 70 characters from RFC 2046 (letters, digits, '()+_,-./:=? and inner spaces)",
      {
        code: 'ERR_MULTIPART_BOUNDARY',
      },
    );
  }
  return boundary;
}

/** RFC 8187 `charset'lang'pct-encoded` (`filename*`); `undefined` when it cannot be decoded. */
function decodeExtValue(ext: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'[^']*'(.*)$/.exec(ext);
  if (m === null) return undefined;
  const charset = (m[1] as string).toLowerCase();
  const text = m[2] as string;
  if (charset === 'utf-8' || charset === 'utf8') {
    try {
      return decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  if (charset === 'iso-8859-1' || charset === 'latin1' || charset === 'us-ascii') {
    return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return undefined;
}

function malformed(what: string): HTTPException {
  return new HTTPException(400, `Malformed multipart body: ${what}`, { code: 'ERR_MULTIPART_MALFORMED' });
}

function tooLarge(message: string, code: string): HTTPException {
  return new HTTPException(413, `Payload Too Large: ${message}`, { code });
}

/** A field name quoted for an error message, cut short. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

// ---------------------------------------------------------------------------------------------
// The parser: a state machine fed one chunk at a time, never holding more than a part's
// headers and a delimiter's length of lookahead.
//
//   [preamble] --B CRLF headers CRLF CRLF body CRLF --B CRLF headers … body CRLF --B-- [epilogue]
//
// Every delimiter is `CRLF--B`: the CRLF before it belongs to the delimiter, not to the body.
// The first one has no CRLF when the body starts with it, so the parser starts as if one had
// just been seen (the lookbehind below is preset to `\r\n`).

/** What the parser reports; each may throw (a limit, a bad header) to stop parsing. */
export interface PartHandler {
  /** A part's headers, names lower-cased (the first of repeated ones kept). */
  onPart(headers: ReadonlyMap<string, string>): void;
  onData(data: Buffer): void;
  onPartEnd(): void;
}

const PREAMBLE = 0;
/** Just after a delimiter: `--` (the end), transport padding, or CRLF. */
const AFTER_DELIMITER = 1;
const CLOSE_DASH = 2;
const PADDING = 3;
const LINE_END = 4;
const HEADERS = 5;
const BODY = 6;
const EPILOGUE = 7;

/**
 * A streaming `multipart/form-data` parser. The delimiter is found with `Buffer#indexOf`
 * within a chunk; across chunks, the only state is how many bytes at the end of the last chunk
 * matched the start of the delimiter — they need not be kept, since they *are* that prefix.
 *
 * @example
 * const parser = new MultipartParser('xyz', handler);
 * for (const chunk of chunks) parser.write(chunk);
 * parser.end();
 */
export class MultipartParser {
  readonly #delimiter: Buffer;
  readonly #handler: PartHandler;
  #state = PREAMBLE;
  /** Bytes at the end of the previous chunk matching `#delimiter` from its start. */
  #matched = 2;
  #headerChunks: Buffer[] = [];
  #headerSize = 0;
  /** How much of `\r\n\r\n` ends the header bytes so far (starts at 2: the boundary line's CRLF). */
  #headerEnd = 2;

  constructor(boundary: string, handler: PartHandler) {
    // A boundary has no CR (checked by `boundaryOf`), so the delimiter's only CR is its first
    // byte: a match can start nowhere else, which keeps the lookbehind logic simple.
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#handler = handler;
  }

  /** Whether the closing delimiter has been seen. */
  get done(): boolean {
    return this.#state === EPILOGUE;
  }

  write(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.#state) {
        case PREAMBLE:
          pos = this.#scan(chunk, pos, false);
          break;
        case BODY:
          pos = this.#scan(chunk, pos, true);
          break;
        case AFTER_DELIMITER: {
          const c = chunk[pos++];
          if (c === 45 /* - */) this.#state = CLOSE_DASH;
          else if (c === 13) this.#state = LINE_END;
          else if (c === 32 || c === 9) this.#state = PADDING;
          else throw malformed('a boundary must be followed by CRLF or "--"');
          break;
        }
        case CLOSE_DASH:
          if (chunk[pos++] !== 45) throw malformed('a boundary must be followed by CRLF or "--"');
          this.#state = EPILOGUE;
          break;
        case PADDING: {
          const c = chunk[pos++];
          if (c === 13) this.#state = LINE_END;
          else if (c !== 32 && c !== 9) throw malformed('a boundary must be followed by CRLF or "--"');
          break;
        }
        case LINE_END:
          if (chunk[pos++] !== 10) throw malformed('a boundary must be followed by CRLF or "--"');
          this.#state = HEADERS;
          this.#headerChunks = [];
          this.#headerSize = 0;
          this.#headerEnd = 2;
          break;
        case HEADERS:
          pos = this.#headers(chunk, pos);
          break;
        default:
          // The epilogue is ignored.
          return;
      }
    }
  }

  /** The body has ended: anything but a complete closing delimiter → 400. */
  end(): void {
    if (this.#state !== EPILOGUE) {
      throw new HTTPException(400, 'Malformed multipart body: it ended before the closing boundary (truncated?)', {
        code: 'ERR_MULTIPART_TRUNCATED',
      });
    }
  }

  /** Looks for the delimiter from `pos`; data before it goes to the handler (when `emit`). */
  #scan(chunk: Buffer, pos: number, emit: boolean): number {
    const d = this.#delimiter;
    const dlen = d.length;
    const len = chunk.length;
    if (this.#matched > 0) {
      const matched = this.#matched;
      const n = Math.min(dlen - matched, len - pos);
      if (chunk.compare(d, matched, matched + n, pos, pos + n) === 0) {
        if (matched + n === dlen) {
          this.#matched = 0;
          this.#delimiterFound();
          return pos + n;
        }
        this.#matched = matched + n;
        return len;
      }
      // Not a delimiter after all: the held-back bytes were data. They equal the delimiter's
      // prefix, so that is what is handed on.
      this.#matched = 0;
      if (emit) this.#handler.onData(d.subarray(0, matched));
    }
    const at = chunk.indexOf(d, pos);
    if (at !== -1) {
      if (emit && at > pos) this.#handler.onData(chunk.subarray(pos, at));
      this.#delimiterFound();
      return at + dlen;
    }
    // No delimiter here; the chunk may end with its beginning. Only a CR can start one, and
    // at most one CR fits in a proper prefix, so the last CR in the final dlen-1 bytes decides.
    let keep = len;
    for (let i = len - 1, stop = Math.max(pos, len - dlen + 1); i >= stop; i--) {
      if (chunk[i] === 13) {
        if (chunk.compare(d, 0, len - i, i, len) === 0) keep = i;
        break;
      }
    }
    if (emit && keep > pos) this.#handler.onData(chunk.subarray(pos, keep));
    this.#matched = len - keep;
    return len;
  }

  #delimiterFound(): void {
    if (this.#state === BODY) this.#handler.onPartEnd();
    this.#state = AFTER_DELIMITER;
  }

  /** Collects a part's header block up to the blank line; then hands the headers on. */
  #headers(chunk: Buffer, pos: number): number {
    const len = chunk.length;
    let end = this.#headerEnd;
    let i = pos;
    while (i < len && end < 4) {
      const c = chunk[i++];
      if (c === 13) end = end === 0 || end === 2 ? end + 1 : 1;
      else if (c === 10) end = end === 1 || end === 3 ? end + 1 : 0;
      else end = 0;
    }
    this.#headerEnd = end;
    this.#headerSize += i - pos;
    if (this.#headerSize > MAX_PART_HEADER_SIZE + 4) {
      throw tooLarge(`the headers of a multipart part exceed ${MAX_PART_HEADER_SIZE} bytes`, 'ERR_MULTIPART_HEADERS_TOO_LARGE');
    }
    this.#headerChunks.push(chunk.subarray(pos, i));
    if (end === 4) {
      const block = this.#headerChunks.length === 1 ? (this.#headerChunks[0] as Buffer) : Buffer.concat(this.#headerChunks);
      this.#headerChunks = [];
      // The block ends with CRLF CRLF, or is a lone CRLF (a part without headers).
      this.#handler.onPart(parseHeaderBlock(block.length >= 4 ? block.toString('utf8', 0, block.length - 4) : ''));
      this.#state = BODY;
    }
    return i;
  }
}

/** `Name: value` lines (obsolete folded lines joined), names lower-cased, first one wins. */
function parseHeaderBlock(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (text === '') return headers;
  let name = '';
  let value = '';
  const flush = (): void => {
    if (name !== '' && !headers.has(name)) headers.set(name, value.trim());
  };
  for (const line of text.split('\r\n')) {
    if (line.length > 0 && isSpace(line.charCodeAt(0))) {
      value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    // A line without a colon is not a header; like other parsers, ignore it.
    name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    value = colon > 0 ? line.slice(colon + 1) : '';
  }
  flush();
  return headers;
}

// ---------------------------------------------------------------------------------------------
// From parts to a form: limits, fields as strings, files as UploadFile.

class FormBuilder implements PartHandler {
  readonly keys: string[] = [];
  readonly values: (string | UploadSink)[] = [];
  readonly #opts: ResolvedOptions;
  readonly #temp: TempFiles;
  /** Files that may have I/O to do: the current one and any finished in the last chunk. */
  #open: UploadSink[] = [];
  #files = 0;
  #fields = 0;
  #name = '';
  #file: UploadSink | null = null;
  #field: Buffer[] = [];
  #fieldSize = 0;

  constructor(opts: ResolvedOptions, temp: TempFiles) {
    this.#opts = opts;
    this.#temp = temp;
  }

  onPart(headers: ReadonlyMap<string, string>): void {
    const disposition = headers.get('content-disposition');
    const parsed = disposition === undefined ? null : parseHeaderValue(disposition);
    const name = parsed?.value === 'form-data' ? parsed.params.get('name') : undefined;
    if (parsed === null || name === undefined) throw malformed('every part needs a "Content-Disposition: form-data" header with a name');
    this.#name = name;
    const rawFilename = parsed.params.get('filename');
    const extFilename = parsed.params.get('filename*');
    if (rawFilename === undefined && extFilename === undefined) {
      if (++this.#fields > this.#opts.maxFields) {
        throw tooLarge(`more than maxFields (${this.#opts.maxFields}) fields`, 'ERR_MULTIPART_TOO_MANY_FIELDS');
      }
      this.#file = null;
      this.#field = [];
      this.#fieldSize = 0;
      return;
    }
    if (++this.#files > this.#opts.maxFiles) {
      throw tooLarge(`more than maxFiles (${this.#opts.maxFiles}) files`, 'ERR_MULTIPART_TOO_MANY_FILES');
    }
    const filename = sanitizeFilename((extFilename === undefined ? undefined : decodeExtValue(extFilename)) ?? rawFilename ?? '');
    const type = headers.get('content-type') || 'application/octet-stream';
    const sink = new UploadSink(filename, type, this.#opts.memoryThreshold, this.#temp);
    this.#file = sink;
    this.#open.push(sink);
  }

  onData(data: Buffer): void {
    const file = this.#file;
    if (file !== null) {
      if (file.size + data.length > this.#opts.maxFileSize) {
        throw tooLarge(
          `the file in field ${quoteName(this.#name)} exceeds maxFileSize (${this.#opts.maxFileSize} bytes)`,
          'ERR_MULTIPART_FILE_TOO_LARGE',
        );
      }
      file.write(data);
      return;
    }
    this.#fieldSize += data.length;
    if (this.#fieldSize > this.#opts.maxFieldSize) {
      throw tooLarge(
        `field ${quoteName(this.#name)} exceeds maxFieldSize (${this.#opts.maxFieldSize} bytes)`,
        'ERR_MULTIPART_FIELD_TOO_LARGE',
      );
    }
    this.#field.push(data);
  }

  onPartEnd(): void {
    this.keys.push(this.#name);
    const file = this.#file;
    if (file !== null) {
      file.complete = true;
      this.values.push(file);
      this.#file = null;
    } else {
      const parts = this.#field;
      this.values.push(parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8'));
      this.#field = [];
    }
  }

  /** Does the file I/O the last chunk made due; this is what paces reading from the socket. */
  async drain(): Promise<void> {
    if (this.#open.length === 0) return;
    for (const sink of this.#open) if (sink.dirty || sink.complete) await sink.flush();
    this.#open = this.#open.filter((s) => !s.complete);
  }

  form(): RequestForm {
    const values: FormValue[] = this.values.map((v) => (typeof v === 'string' ? v : v.toUploadFile()));
    return new RequestForm({ keys: this.keys, values });
  }

  async abort(): Promise<void> {
    const sinks = [...this.#open, ...this.values.filter((v): v is UploadSink => typeof v !== 'string')];
    await Promise.allSettled(sinks.map((s) => s.abort()));
  }
}

/**
 * Parses a `multipart/form-data` request body, streaming: fields become strings, files
 * `UploadFile`s (in memory up to `memoryThreshold`, else in a temp file). `onFinish` registers
 * the removal of temp files after the response; when parsing fails they are removed at once.
 * Limits → 413, malformed or truncated bodies → 400; when that leaves part of the body unread,
 * the error response closes the connection.
 *
 * @example
 * const form = await parseMultipart(req, req.headers.get('content-type') ?? '', MULTIPART_DEFAULTS, (fn) => cleanups.push(fn));
 */
export async function parseMultipart(
  req: Request,
  contentType: string,
  options: MultipartOptions,
  onFinish: (cleanup: () => unknown) => void,
): Promise<RequestForm> {
  const opts = resolveOptions(options);
  const boundary = boundaryOf(contentType);
  const temp = new TempFiles(opts.tmpDir);
  // Registered first: should the response go out while parsing still runs (a handler that
  // did not await the form), the files go then and later ones are refused.
  onFinish(() => temp.dispose());
  const form = new FormBuilder(opts, temp);
  const parser = new MultipartParser(boundary, form);
  const body = req.stream();
  let total = 0;
  let reading = true;
  try {
    for (;;) {
      let step: IteratorResult<Buffer>;
      try {
        step = await body.next();
      } catch (err) {
        reading = false;
        // The request's own limit is `maxTotalSize` for multipart (see `Request#form`).
        if (err instanceof HTTPException && err.code === 'ERR_BODY_TOO_LARGE') throw totalTooLarge(req.bodyLimit);
        throw err;
      }
      if (step.done === true) break;
      const chunk = step.value;
      total += chunk.length;
      if (total > opts.maxTotalSize) throw totalTooLarge(opts.maxTotalSize);
      parser.write(chunk);
      await form.drain();
    }
    reading = false;
    parser.end();
    await form.drain();
    return form.form();
  } catch (err) {
    if (reading) {
      // Thrown into the body stream, the error marks the body unread, so the error response
      // says `Connection: close` instead of leaving the rest of the upload on the socket.
      await body.throw(err).catch(() => undefined);
    }
    await form.abort();
    // A file that cannot be removed must not hide why parsing failed.
    await temp.dispose().catch(() => undefined);
    throw err;
  }
}

function totalTooLarge(limit: number): HTTPException {
  return tooLarge(`the multipart body exceeds maxTotalSize (${limit} bytes)`, 'ERR_MULTIPART_TOO_LARGE');
}
