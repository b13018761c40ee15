// Python indexes, slices and measures strings by character (code point); JavaScript by UTF-16
// unit, where an emoji or a CJK Extension B character is two. Templates follow Python, so
// `{{ s|length }}`, `{{ s[:3] }}` and `truncate` never count half a character or cut a
// surrogate pair in two (which the response's UTF-8 would turn into "�"); the `Validator`'s
// `minLength`/`maxLength` count characters too, as JSON Schema does.

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A string's characters: the string itself when it holds no surrogate (then every unit is a
 * character, and nothing is copied), else its code points as an array.
 */
export function charsOf(s: string): string | string[] {
  return SURROGATE.test(s) ? Array.from(s) : s;
}

/** `chars.slice(start, end)` as a string. */
export function sliceChars(chars: string | string[], start: number, end?: number): string {
  return typeof chars === 'string' ? chars.slice(start, end) : chars.slice(start, end).join('');
}

/** The number of characters (code points) in `s`: a surrogate pair counts once, a lone surrogate once. */
export function charLength(s: string): number {
  const units = s.length;
  let length = units;
  for (let i = 0; i < units - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}
