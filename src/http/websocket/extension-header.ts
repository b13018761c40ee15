/** One extension of a `Sec-WebSocket-Extensions` header: its name and parameters, in order. */
export interface ExtensionOffer {
  readonly name: string;
  /** Parameter name → values (`true` for a parameter without a value); a name may repeat. */
  readonly params: ReadonlyMap<string, readonly (string | true)[]>;
}

// RFC 7230 `tchar`: what a token may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits on `sep` outside quoted strings; `null` when a quote is left open. */
function splitOutsideQuotes(text: string, sep: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return null;
  parts.push(text.slice(start));
  return parts;
}

function paramValue(raw: string): string | null {
  if (!raw.startsWith('"')) return TOKEN.test(raw) ? raw : null;
  if (raw.length < 2 || !raw.endsWith('"')) return null;
  const value = raw.slice(1, -1).replace(/\\(.)/g, '$1');
  // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
  return TOKEN.test(value) ? value : null;
}

/**
 * Parses a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1) into offers, in order; `null`
 * when the header is malformed (the handshake is then refused with 400).
 *
 * @example
 * parseExtensions('permessage-deflate; client_max_window_bits, x-foo')
 * // [{ name: 'permessage-deflate', params: Map { client_max_window_bits → [true] } }, { name: 'x-foo', params: Map {} }]
 */
export function parseExtensions(header: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  const items = splitOutsideQuotes(header, ',');
  if (items === null) return null;
  for (const item of items) {
    if (item.trim() === '') continue;
    const parts = splitOutsideQuotes(item, ';');
    if (parts === null) return null;
    const name = (parts[0] ?? '').trim();
    if (!TOKEN.test(name)) return null;
    const params = new Map<string, (string | true)[]>();
    for (let i = 1; i < parts.length; i++) {
      const part = (parts[i] as string).trim();
      const eq = part.indexOf('=');
      const key = (eq === -1 ? part : part.slice(0, eq)).trim();
      if (!TOKEN.test(key)) return null;
      let value: string | true = true;
      if (eq !== -1) {
        const parsed = paramValue(part.slice(eq + 1).trim());
        if (parsed === null) return null;
        value = parsed;
      }
      const list = params.get(key);
      if (list === undefined) params.set(key, [value]);
      else list.push(value);
    }
    offers.push({ name, params });
  }
  return offers;
}

/**
 * Formats one extension for a `Sec-WebSocket-Extensions` response header.
 *
 * @example
 * formatExtension('permessage-deflate', { server_no_context_takeover: true, client_max_window_bits: 10 })
 * // 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10'
 */
export function formatExtension(name: string, params: Readonly<Record<string, string | number | true>>): string {
  let out = name;
  for (const [key, value] of Object.entries(params)) out += value === true ? `; ${key}` : `; ${key}=${value}`;
  return out;
}
