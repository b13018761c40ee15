const HTML_SPECIAL = /[&<>"']/;

/**
 * Escapes the five characters that matter in HTML text and quoted attributes (`&`, `<`, `>`,
 * `"`, `'`), as Jinja's `escape` and Nunjucks do.
 *
 * @example
 * escapeHtml('<a href="x">') // '&lt;a href=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  // Most output has nothing to escape: one regex search, then the string itself. Otherwise
  // copy from the first special character on (faster than replace() with a callback).
  const first = text.search(HTML_SPECIAL);
  if (first === -1) return text;
  let out = text.slice(0, first);
  let last = first;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let rep: string;
    if (c === 38) rep = '&amp;';
    else if (c === 60) rep = '&lt;';
    else if (c === 62) rep = '&gt;';
    else if (c === 34) rep = '&quot;';
    else if (c === 39) rep = '&#39;';
    else continue;
    if (i > last) out += text.slice(last, i);
    out += rep;
    last = i + 1;
  }
  return last < text.length ? out + text.slice(last) : out;
}

/**
 * A string that is already safe HTML: autoescape leaves it as it is. Filters `safe` and
 * `escape`, macros, `super()` and `tojson` return one; wrap trusted HTML of your own in it.
 *
 * @example
 * templates.renderString('{{ icon }}', { icon: new Markup('<svg/>') }) // '<svg/>'
 */
export class Markup {
  readonly value: string;

  constructor(value: unknown) {
    this.value = value instanceof Markup ? value.value : value == null ? '' : String(value);
  }

  /** Escapes `value` unless it is already `Markup`. */
  static escape(value: unknown): Markup {
    if (value instanceof Markup) return value;
    return new Markup(escapeHtml(value == null ? '' : String(value)));
  }

  get length(): number {
    return this.value.length;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}
