import { CovetError } from '../errors.js';

/** Options of `XSSProtector`. */
export interface XSSProtectorOptions {
  /** Tags kept by `sanitizeHtml` (lower-case). Default: text formatting, lists, links, headings, code. */
  readonly allowedTags?: readonly string[];
  /** Attributes kept per tag; `*` applies to every tag. Default `{ a: ['href', 'title'], abbr: ['title'], '*': [] }`. */
  readonly allowedAttributes?: Readonly<Record<string, readonly string[]>>;
  /** URL schemes allowed in `href`/`src`/`cite` (relative URLs are always allowed). Default `http`, `https`, `mailto`. */
  readonly allowedSchemes?: readonly string[];
  /** What `sanitize(data)` does to each string: allow-list sanitize (default) or escape everything. */
  readonly mode?: 'sanitize' | 'escape';
  /** Deepest nesting `sanitize(data)` walks. Default 32. */
  readonly maxDepth?: number;
}

const XSS_DEFAULTS = {
  allowedTags: ['a', 'abbr', 'b', 'blockquote', 'br', 'code', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'li', 'ol', 'p', 'pre', 's', 'small', 'span', 'strong', 'sub', 'sup', 'u', 'ul'],
  allowedAttributes: { a: ['href', 'title'], abbr: ['title'], '*': [] } as Readonly<Record<string, readonly string[]>>,
  allowedSchemes: ['http', 'https', 'mailto'],
  mode: 'sanitize',
  maxDepth: 32,
} as const;

const VOID = new Set(['area', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
// Elements whose content is not text to show: dropped with everything inside.
const DROP_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'noscript', 'noembed', 'noframes', 'template', 'textarea', 'title', 'xmp', 'svg', 'math', 'select', 'frameset', 'applet']);
const URL_ATTRIBUTES = new Set(['href', 'src', 'cite', 'action', 'formaction', 'poster', 'background', 'longdesc', 'xlink:href']);
// Never kept whatever the configuration says: script and style carriers.
const FORBIDDEN_ATTRIBUTES = /^(?:on|style$|srcdoc$|formaction$)/;
const MAX_ATTRIBUTES = 64;
const MAX_NESTING = 256;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;' };
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', colon: ':', tab: '\t', newline: '\n', sol: '/', lpar: '(', rpar: ')', grave: '`', equals: '=' };

/**
 * Escapes text for HTML content and attribute values (`& < > " ' \``).
 *
 * @example
 * escapeHtml('<b>Tom & Jerry</b>') // '&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

/** Decodes character references (numeric, and the common named ones); others stay as written. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z]{2,10}));?/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? whole;
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(code);
  });
}

const TAG_NAME = /[A-Za-z][A-Za-z0-9:-]*/y;
const SPACE = /[\t\n\f\r /]*/y;
const ATTR_NAME = /[^\t\n\f\r />][^\t\n\f\r />=]*/y;
const UNQUOTED = /[^\t\n\f\r >]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: browsers ignore these inside URL schemes
const URL_JUNK = /[\u0000-\u0020\u007f]/g;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: URL parsing drops tabs and line breaks; NUL splits schemes in old browsers
const URL_BREAKS = /[\u0000\t\n\r]/g;

function match(re: RegExp, text: string, at: number): string {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? '' : m[0];
}

/** Index past `</name …>`, or the end of input (raw-text elements end only there). */
function skipContent(html: string, lower: string, name: string, from: number): number {
  let at = from;
  for (;;) {
    const close = lower.indexOf(`</${name}`, at);
    if (close === -1) return html.length;
    const after = lower[close + 2 + name.length];
    if (after === undefined || after === '>' || after === '/' || /\s/.test(after)) {
      const end = html.indexOf('>', close);
      return end === -1 ? html.length : end + 1;
    }
    at = close + 2;
  }
}

interface Tag {
  readonly name: string;
  readonly closing: boolean;
  readonly attributes: readonly (readonly [string, string])[];
  /** Index just past the `>`, or -1 when the tag never ends. */
  readonly end: number;
}

/** Reads a tag starting at `<` (at `at`); a linear scan with sticky regexes, no backtracking. */
function readTag(html: string, at: number): Tag | null {
  let i = at + 1;
  const closing = html[i] === '/';
  if (closing) i++;
  const name = match(TAG_NAME, html, i);
  if (name === '') return null;
  i += name.length;
  const attributes: [string, string][] = [];
  for (;;) {
    i += match(SPACE, html, i).length;
    if (i >= html.length) return { name: name.toLowerCase(), closing, attributes, end: -1 };
    if (html[i] === '>') return { name: name.toLowerCase(), closing, attributes, end: i + 1 };
    const attr = match(ATTR_NAME, html, i);
    i += attr.length;
    let value = '';
    const afterName = i + match(SPACE, html, i).length;
    if (html[afterName] === '=') {
      i = afterName + 1;
      while (html[i] === ' ' || html[i] === '\t' || html[i] === '\n' || html[i] === '\r' || html[i] === '\f') i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        if (close === -1) return { name: name.toLowerCase(), closing, attributes, end: -1 };
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        value = match(UNQUOTED, html, i);
        i += value.length;
      }
    }
    if (attributes.length < MAX_ATTRIBUTES) attributes.push([attr.toLowerCase(), decodeEntities(value)]);
  }
}

/**
 * Cross-site scripting defences for input: `escape` (everything becomes text) and
 * `sanitizeHtml` (an allow-list sanitizer for fields that are meant to hold HTML: only listed
 * tags and attributes survive, URLs must use allowed schemes, `<script>`/`<style>`/… are
 * dropped with their content). The output is rebuilt from scratch — every text node and
 * attribute value re-escaped — so nothing the browser could read as markup slips through.
 * The primary defence stays output escaping: Covet templates autoescape.
 *
 * @example
 * const xss = new XSSProtector();
 * xss.sanitizeHtml('<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>') // '<p>Hi <b>there</b></p>'
 * const clean = xss.sanitize({ bio: '<a href="javascript:alert(1)">me</a>' })           // { bio: '<a>me</a>' }
 */
export class XSSProtector {
  readonly #tags: ReadonlySet<string>;
  readonly #attributes: ReadonlyMap<string, ReadonlySet<string>>;
  readonly #schemes: ReadonlySet<string>;
  readonly #mode: 'sanitize' | 'escape';
  readonly #maxDepth: number;

  constructor(options: XSSProtectorOptions = {}) {
    const o = { ...XSS_DEFAULTS, ...options };
    this.#tags = new Set(o.allowedTags.map((t) => t.toLowerCase()));
    for (const tag of this.#tags) if (DROP_CONTENT.has(tag)) throw new CovetError(`<${tag}> cannot be allowed by the sanitizer`, { code: 'ERR_XSS_OPTIONS' });
    const all = o.allowedAttributes['*'] ?? [];
    const attrs = new Map<string, Set<string>>();
    for (const tag of this.#tags) {
      const allowed = new Set([...all, ...(o.allowedAttributes[tag] ?? [])].map((a) => a.toLowerCase()).filter((a) => !FORBIDDEN_ATTRIBUTES.test(a)));
      attrs.set(tag, allowed);
    }
    this.#attributes = attrs;
    this.#schemes = new Set(o.allowedSchemes.map((s) => s.toLowerCase().replace(/:$/, '')));
    this.#mode = o.mode;
    this.#maxDepth = o.maxDepth;
  }

  /** Escapes text for HTML (`& < > " ' \``). */
  escape(text: string): string {
    return escapeHtml(text);
  }

  /** Keeps the allowed tags and attributes of `html` and turns everything else into text or nothing. */
  sanitizeHtml(html: string): string {
    const out: string[] = [];
    const open: string[] = [];
    let lower: string | undefined;
    let i = 0;
    const n = html.length;
    while (i < n) {
      const lt = html.indexOf('<', i);
      if (lt === -1) {
        out.push(escapeHtml(decodeEntities(html.slice(i))));
        break;
      }
      if (lt > i) out.push(escapeHtml(decodeEntities(html.slice(i, lt))));
      if (html.startsWith('<!--', lt)) {
        const end = html.indexOf('-->', lt + 4);
        i = end === -1 ? n : end + 3;
        continue;
      }
      const next = html[lt + 1];
      if (next === '!' || next === '?') {
        const end = html.indexOf('>', lt + 2);
        i = end === -1 ? n : end + 1;
        continue;
      }
      const tag = readTag(html, lt);
      if (tag === null) {
        out.push('&lt;');
        i = lt + 1;
        continue;
      }
      if (tag.end === -1) break; // an unterminated tag at the end: browsers drop it too
      i = tag.end;
      if (tag.closing) {
        const at = open.lastIndexOf(tag.name);
        if (at !== -1) while (open.length > at) out.push(`</${open.pop()}>`);
        continue;
      }
      if (DROP_CONTENT.has(tag.name)) {
        // ASCII-only lower-casing keeps indices aligned (full Unicode lower-casing can change lengths).
        lower ??= html.replace(/[A-Z]+/g, (c) => c.toLowerCase());
        i = skipContent(html, lower, tag.name, i);
        continue;
      }
      // Past MAX_NESTING open elements, more are dropped (keeps closing-tag lookups bounded).
      if (!this.#tags.has(tag.name) || open.length >= MAX_NESTING) continue;
      out.push(this.#openTag(tag));
      if (!VOID.has(tag.name)) open.push(tag.name);
    }
    while (open.length > 0) out.push(`</${open.pop()}>`);
    return out.join('');
  }

  #openTag(tag: Tag): string {
    const allowed = this.#attributes.get(tag.name);
    let attrs = '';
    const seen = new Set<string>();
    for (const [name, value] of tag.attributes) {
      if (allowed === undefined || !allowed.has(name) || seen.has(name)) continue;
      if (URL_ATTRIBUTES.has(name) && !this.#safeUrl(value)) continue;
      seen.add(name);
      attrs += ` ${name}="${escapeHtml(value)}"`;
    }
    if (tag.name === 'a' && seen.has('href')) attrs += ' rel="noopener noreferrer nofollow"';
    return `<${tag.name}${attrs}>`;
  }

  #safeUrl(value: string): boolean {
    const compact = value.replace(URL_JUNK, '');
    const scheme = SCHEME.exec(compact);
    return scheme === null || this.#schemes.has((scheme[1] as string).toLowerCase());
  }

  /**
   * Whether `text` carries markup or URLs that are typical of XSS payloads, also when they are
   * written with character references or split by tabs and line breaks (`&#106;avascript:`,
   * `jav&#x09;ascript:`), which browsers decode in attributes and drop from URLs.
   */
  containsXSS(text: string): boolean {
    if (XSS_PATTERNS.some((re) => re.test(text))) return true;
    const decoded = decodeEntities(text).replace(URL_BREAKS, '');
    return decoded !== text && XSS_PATTERNS.some((re) => re.test(decoded));
  }

  /**
   * Returns a copy of `data` with every string sanitized (or escaped, with `mode: 'escape'`),
   * object keys included. Bounded: nesting past `maxDepth` throws `ERR_XSS_TOO_DEEP`.
   */
  sanitize<T>(data: T): T {
    return this.#walk(data, 0) as T;
  }

  #walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.#mode === 'escape' ? escapeHtml(value) : this.sanitizeHtml(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= this.#maxDepth) throw new CovetError('Input is nested too deeply to sanitize', { code: 'ERR_XSS_TOO_DEEP' });
    if (Array.isArray(value)) return value.map((item) => this.#walk(item, depth + 1));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') continue;
      out[this.#mode === 'escape' ? escapeHtml(k) : this.sanitizeHtml(k)] = this.#walk(v, depth + 1);
    }
    return out;
  }
}

// Linear patterns (no adjacent overlapping quantifiers) for `containsXSS`.
const XSS_PATTERNS: readonly RegExp[] = [
  /<\/?(?:script|iframe|object|embed|svg|math|style|link|meta|base|form|frame|frameset|applet|template)\b/i,
  /[\t\n\f\r "'/]on[a-z]{3,30}[\t\n\f\r ]{0,20}=/i,
  /(?:java|vb|live)script[\t\n\f\r ]{0,20}:/i,
  /data[\t\n\f\r ]{0,20}:[\t\n\f\r ]{0,20}text\/html/i,
  /expression[\t\n\f\r ]{0,20}\(/i,
  /&#0{0,8}(?:60|x0{0,8}3c);?/i,
];
