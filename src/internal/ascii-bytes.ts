// Writing JSON text straight into a byte buffer: for the parts of a log line or a span that
// are ASCII by construction (ids, digits) or checked to be (paths), a loop of byte stores is
// cheaper than building a string from pieces, which has to be flattened and encoded again.

/** Copies the ASCII text `s` (known to be ASCII: ids, digits) to `buf` at `at`; returns the end. */
export function writeAscii(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}

/**
 * Writes `s` as the inside of a JSON string when it is printable ASCII without `"` or `\`
 * (what request paths and ids are): the same bytes `JSON.stringify` would put between the
 * quotes. Returns the end, or -1 when it needs escaping or UTF-8.
 */
export function writePlainJsonText(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    buf[at++] = c;
  }
  return at;
}

/**
 * Copies the one-byte text `s` (ids: 32 or 36 ASCII characters) with one native call; returns
 * the end. Node's `latin1Write` is what `write(s, at, 'latin1')` calls, less the argument
 * checks, and beats a loop past a dozen characters.
 */
export function writeLatin1(buf: Buffer, at: number, s: string): number {
  return at + (buf as Buffer & { latin1Write(text: string, at: number): number }).latin1Write(s, at);
}

/** Copies `bytes` to `buf` at `at`; returns the end. Short pieces by loop, long ones natively. */
export function writeBytes(buf: Uint8Array, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 24) {
    buf.set(bytes, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) buf[at + i] = bytes[i] as number;
  return at + n;
}

/** Writes a non-negative safe integer in decimal; returns the end. */
export function writeUint(buf: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = n;
  for (let i = digits - 1; i >= 0; i--) {
    const rest = Math.floor(x / 10);
    buf[at + i] = 0x30 + (x - rest * 10);
    x = rest;
  }
  return at + digits;
}

/** Writes `n` as JavaScript prints it: by digits for a non-negative safe integer (a status), else as text. */
export function writeNumber(buf: Buffer, at: number, n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? writeUint(buf, at, n) : writeLatin1(buf, at, String(n));
}

/**
 * Writes `thousandths / 1000` as JavaScript prints it (`12`, `0.5`, `3.125`) for a
 * non-negative integer `thousandths`: the integer part, then up to three decimals without
 * trailing zeros. Returns the end.
 */
export function writeMillis(buf: Uint8Array, at: number, thousandths: number): number {
  const whole = Math.floor(thousandths / 1000);
  let frac = thousandths - whole * 1000;
  at = writeUint(buf, at, whole);
  if (frac === 0) return at;
  buf[at++] = 0x2e; // '.'
  buf[at++] = 0x30 + Math.floor(frac / 100);
  frac %= 100;
  if (frac === 0) return at;
  buf[at++] = 0x30 + Math.floor(frac / 10);
  frac %= 10;
  if (frac === 0) return at;
  buf[at++] = 0x30 + frac;
  return at;
}
