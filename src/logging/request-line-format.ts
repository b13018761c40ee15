import { writeBytes, writeLatin1, writeMillis, writeNumber, writePlainJsonText } from '../internal/ascii-bytes.js';
import type { LogLevel } from './log-level.js';
import type { Redactor } from './redact.js';

/** The fields of a request line (what `logger.middleware()` records for one request). */
export interface RequestLineFields {
  readonly time: number;
  readonly level: LogLevel;
  readonly message: string;
  readonly id: string | undefined;
  /** The id is a UUID Covet made (nothing to escape or redact). */
  readonly generatedId: boolean;
  readonly method: string;
  readonly path: string;
  readonly route: string | undefined;
  readonly status: number;
  readonly durationMs: number | undefined;
  /** The user agent, redacted, as JSON. */
  readonly userAgentJson: string | undefined;
}

/**
 * A request line's JSON — as text, or written straight into a byte buffer. Both give the same
 * bytes (the keys and order of `logger.info(message, fields)` with the request's context).
 */
export interface RequestLineFormat {
  text(r: RequestLineFields): string;
  /** Writes the line (with its newline) at `at`; returns the end, or -1 when `buf` has no room for it. */
  write(r: RequestLineFields, buf: Buffer, at: number): number;
}

let lastMs = 0;
let lastIso = '';
/** A time (ms since the epoch) in ISO 8601, formatted once per millisecond however many lines share it. */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const ID_UUID = ascii(',"correlationId":"');
const ID = ascii(',"correlationId":');
const STATUS = ascii(',"status":');
const DURATION = ascii(',"durationMs":');
/** Room for the fixed parts, the status and the duration. */
const FIXED_BYTES = 96;

/** The largest thousandths value written with integer arithmetic (beyond it, as JavaScript prints it). */
const MAX_THOUSANDTHS = 2 ** 50;

/** `make(value)`, made once per value (up to 1,024 values kept). */
function memo<T>(make: (value: string) => T): (value: string) => T {
  const known = new Map<string, T>();
  return (value) => {
    let out = known.get(value);
    if (out === undefined) {
      out = make(value);
      if (known.size < 1024) known.set(value, out);
    }
    return out;
  };
}

/**
 * The request line's format: `name` is the logger's name (or none), `r` the redactor every
 * value goes through, as `logger.info` would.
 */
export function requestLineFormat(name: string | undefined, r: Redactor): RequestLineFormat {
  const nameJson = name === undefined ? '' : `"logger":${JSON.stringify(name)},`;
  const str = (value: string): string => JSON.stringify(r.text(value));
  // Method names, route templates and messages repeat: their JSON is computed once each.
  const cached = memo(str);
  // The line is copied in a few long pieces, each made once: byte-by-byte copies cost about a
  // nanosecond a byte, a native copy about twenty nanoseconds whatever its length.
  // `{"timestamp":"…","level":"INFO",<name>"message":"Request completed"`: per millisecond
  // and level/message (the last one kept).
  let prefixMs = -1;
  let prefixLevel = '';
  let prefixMessage = '';
  let prefix: Buffer = Buffer.alloc(0);
  const prefixOf = (ms: number, level: LogLevel, message: string): Buffer => {
    if (ms !== prefixMs || level !== prefixLevel || message !== prefixMessage) {
      prefixMs = ms;
      prefixLevel = level;
      prefixMessage = message;
      prefix = Buffer.from(`{"timestamp":"${isoAt(ms)}","level":"${level}",${nameJson}"message":${cached(message)}`, 'utf8');
    }
    return prefix;
  };
  // `,"method":"GET","path":` and `,"route":"/x/{id}","status":`.
  const methodPiece = memo((method) => Buffer.from(`,"method":${cached(method)},"path":`, 'utf8'));
  const routePiece = memo((route) => Buffer.from(`,"route":${cached(route)},"status":`, 'utf8'));
  // `,"userAgent":"…"}` + newline, for the last user agent.
  let lastAgent = '';
  let agentPiece: Buffer = Buffer.alloc(0);
  const agentOf = (json: string): Buffer => {
    if (json !== lastAgent) {
      lastAgent = json;
      agentPiece = Buffer.from(`,"userAgent":${json}}\n`, 'utf8');
    }
    return agentPiece;
  };

  /** Writes `clean` (already redacted) as a JSON string: byte by byte when plain ASCII, else encoded. */
  const writeJsonString = (buf: Buffer, at: number, clean: string): number => {
    buf[at] = 0x22;
    const end = writePlainJsonText(buf, at + 1, clean);
    if (end !== -1) {
      buf[end] = 0x22;
      return end + 1;
    }
    return at + buf.write(JSON.stringify(clean), at, 'utf8');
  };

  return {
    text(l) {
      let line = `{"timestamp":"${isoAt(l.time)}","level":"${l.level}",${nameJson}"message":${cached(l.message)}`;
      // A generated id is a UUID: nothing to escape or redact. A client's id has a safe alphabet.
      if (l.id !== undefined) line += l.generatedId ? `,"correlationId":"${l.id}"` : `,"correlationId":${str(l.id)}`;
      line += `,"method":${cached(l.method)},"path":${str(l.path)}`;
      if (l.route !== undefined) line += `,"route":${cached(l.route)}`;
      line += `,"status":${l.status}`;
      if (l.durationMs !== undefined) line += `,"durationMs":${l.durationMs}`;
      if (l.userAgentJson !== undefined) line += `,"userAgent":${l.userAgentJson}`;
      return `${line}}\n`;
    },

    write(l, buf, at) {
      const head = prefixOf(l.time, l.level, l.message);
      const method = methodPiece(l.method);
      const route = l.route === undefined ? STATUS : routePiece(l.route);
      const agent = l.userAgentJson === undefined ? null : agentOf(l.userAgentJson);
      const path = r.text(l.path);
      const clientId = l.id === undefined || l.generatedId ? '' : r.text(l.id);
      // A JSON string takes at most 6 bytes per UTF-16 unit (`\u001f`), and 2 for its quotes.
      const need =
        FIXED_BYTES +
        head.length +
        method.length +
        route.length +
        (agent?.length ?? 0) +
        6 * path.length +
        6 * (l.id === undefined ? 0 : Math.max(l.id.length, clientId.length)) +
        4;
      if (at + need > buf.length) return -1;
      let o = writeBytes(buf, at, head);
      if (l.id !== undefined) {
        if (l.generatedId) {
          o = writeBytes(buf, o, ID_UUID);
          o = writeLatin1(buf, o, l.id);
          buf[o++] = 0x22;
        } else o = writeJsonString(buf, writeBytes(buf, o, ID), clientId);
      }
      o = writeJsonString(buf, writeBytes(buf, o, method), path);
      o = writeBytes(buf, o, route);
      o = writeNumber(buf, o, l.status);
      if (l.durationMs !== undefined) {
        o = writeBytes(buf, o, DURATION);
        const thousandths = Math.round(l.durationMs * 1000);
        // Durations are whole microseconds; anything else is written as JavaScript prints it.
        o =
          thousandths >= 0 && thousandths < MAX_THOUSANDTHS && thousandths / 1000 === l.durationMs
            ? writeMillis(buf, o, thousandths)
            : writeNumber(buf, o, l.durationMs);
      }
      if (agent !== null) return writeBytes(buf, o, agent);
      buf[o++] = 0x7d; // '}'
      buf[o++] = 0x0a; // '\n'
      return o;
    },
  };
}
