import { locate, TemplateError } from './template-error.js';

/** The kinds of token the lexer produces. */
export type TokenType = 'text' | 'var_start' | 'var_end' | 'block_start' | 'block_end' | 'name' | 'string' | 'number' | 'op' | 'eof';

/** One token; `pos` is its offset in the source. */
export interface Token {
  readonly type: TokenType;
  /** The text of a `text` token, the decoded value of a `string`, the name or operator otherwise. */
  readonly value: string;
  readonly pos: number;
}

/** Whitespace options of the lexer (Jinja's `trim_blocks` and `lstrip_blocks`). */
export interface LexerOptions {
  /** Remove the first newline after a block tag or comment. Default `false`. */
  readonly trimBlocks?: boolean;
  /** Strip spaces and tabs from the start of a line up to a block tag or comment. Default `false`. */
  readonly lstripBlocks?: boolean;
}

const TAG_START = /\{([{%#])/g;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
// Python's literals as Jinja reads them: 0b/0o/0x integers, and `_` between digits (`1_000`).
const NUMBER = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?/y;
const INTEGER = /[0-9]+/y;
const RAW_OPEN = /([-+]?)\s*raw\s*(-?)%\}/y;
const END_RAW = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;
const TWO_CHAR_OPS = new Set(['**', '//', '==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = '+-*/%~|.,:()[]{}<>=';
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
};

/**
 * Splits a template into text and tag tokens, applying whitespace control (`{%-`, `-%}`,
 * `trimBlocks`, `lstripBlocks`) to the text and turning `{% raw %}` sections into text.
 * Throws `TemplateError` (`ERR_TEMPLATE_SYNTAX`) on an unclosed tag, comment or string.
 */
export function tokenize(source: string, name: string, options: LexerOptions = {}): Token[] {
  const tokens: Token[] = [];
  const fail = (message: string, at: number): never => {
    throw new TemplateError(message, { code: 'ERR_TEMPLATE_SYNTAX', location: locate(name, source, at) });
  };
  let pos = 0;
  let stripNext = false;

  const pushText = (text: string, at: number) => {
    if (text !== '') tokens.push({ type: 'text', value: text, pos: at });
  };
  /** Text before a tag, with the whitespace control of the tag before and the tag after applied. */
  const leadingText = (start: number, end: number, tagKind: string, modifier: string): string => {
    let text = source.slice(start, end);
    if (stripNext) text = text.replace(/^\s+/, '');
    stripNext = false;
    if (modifier === '-') return text.replace(/\s+$/, '');
    if (options.lstripBlocks === true && tagKind !== '{' && modifier !== '+') {
      // Only when the tag is the first thing on its line.
      const nl = text.lastIndexOf('\n');
      const tail = text.slice(nl + 1);
      if (/^[ \t]*$/.test(tail) && (nl !== -1 || start === 0 || source[start - 1] === '\n')) text = text.slice(0, nl + 1);
    }
    return text;
  };
  const afterBlockEnd = (at: number, stripped: boolean): number => {
    if (stripped) stripNext = true;
    else if (options.trimBlocks === true) {
      if (source.startsWith('\r\n', at)) return at + 2;
      if (source[at] === '\n') return at + 1;
    }
    return at;
  };

  while (pos < source.length) {
    TAG_START.lastIndex = pos;
    const m = TAG_START.exec(source);
    if (m === null) {
      pushText(leadingText(pos, source.length, '', ''), pos);
      break;
    }
    const kind = m[1] as '{' | '%' | '#';
    const open = m.index;
    let inner = open + 2;
    const modifier = source[inner] === '-' || source[inner] === '+' ? (source[inner] as string) : '';
    pushText(leadingText(pos, open, kind, modifier), pos);
    if (modifier !== '') inner++;

    if (kind === '#') {
      const close = source.indexOf('#}', inner);
      if (close === -1) fail('unclosed comment', open);
      pos = afterBlockEnd(close + 2, source[close - 1] === '-' && close - 1 >= inner);
      continue;
    }

    if (kind === '%') {
      RAW_OPEN.lastIndex = open + 2;
      const raw = RAW_OPEN.exec(source);
      if (raw !== null) {
        END_RAW.lastIndex = RAW_OPEN.lastIndex;
        const end = END_RAW.exec(source);
        if (end === null) fail("unclosed '{% raw %}', expected '{% endraw %}'", open);
        const endMatch = end as RegExpExecArray;
        let text = source.slice(RAW_OPEN.lastIndex, endMatch.index);
        if (raw[2] === '-') text = text.replace(/^\s+/, '');
        else if (options.trimBlocks === true) text = text.replace(/^\r?\n/, '');
        if (endMatch[1] === '-') text = text.replace(/\s+$/, '');
        pushText(text, RAW_OPEN.lastIndex);
        pos = afterBlockEnd(endMatch.index + endMatch[0].length, endMatch[2] === '-');
        continue;
      }
    }

    const isBlock = kind === '%';
    tokens.push({ type: isBlock ? 'block_start' : 'var_start', value: isBlock ? '{%' : '{{', pos: open });
    pos = inner;
    const brackets: number[] = [];
    const closer = isBlock ? '%}' : '}}';
    for (;;) {
      while (pos < source.length && (source[pos] === ' ' || source[pos] === '\t' || source[pos] === '\n' || source[pos] === '\r')) pos++;
      if (pos >= source.length) {
        const b = brackets[brackets.length - 1];
        if (b !== undefined) fail(`unclosed '${source[b]}'`, b);
        fail(`unclosed tag, expected '${closer}'`, open);
      }
      const ch = source[pos] as string;
      // `}` closes an open `{`; otherwise `}}` ends the tag even inside brackets, so the parser
      // reports the unclosed bracket where the tag ends.
      const top = brackets[brackets.length - 1];
      if (isBlock || top === undefined || source[top] !== '{') {
        if (ch === '-' && source.startsWith(closer, pos + 1)) {
          tokens.push({ type: isBlock ? 'block_end' : 'var_end', value: closer, pos });
          pos = afterBlockEnd(pos + 3, true);
          break;
        }
        if (source.startsWith(closer, pos)) {
          tokens.push({ type: isBlock ? 'block_end' : 'var_end', value: closer, pos });
          pos = isBlock ? afterBlockEnd(pos + 2, false) : pos + 2;
          break;
        }
      }
      if (ch === '"' || ch === "'") {
        const start = pos;
        let value = '';
        pos++;
        for (;;) {
          if (pos >= source.length) fail('unclosed string literal', start);
          const c = source[pos] as string;
          if (c === ch) {
            pos++;
            break;
          }
          if (c === '\\') {
            const next = source[pos + 1] ?? '';
            if (next === 'u' || next === 'x') {
              const len = next === 'u' ? 4 : 2;
              const hex = source.slice(pos + 2, pos + 2 + len);
              if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail(`invalid \\${next} escape in string literal`, pos);
              value += String.fromCharCode(Number.parseInt(hex, 16));
              pos += 2 + len;
              continue;
            }
            const esc = ESCAPES[next];
            value += esc ?? `\\${next}`;
            pos += 2;
            continue;
          }
          value += c;
          pos++;
        }
        tokens.push({ type: 'string', value, pos: start });
        continue;
      }
      NAME.lastIndex = pos;
      const nm = NAME.exec(source);
      if (nm !== null) {
        tokens.push({ type: 'name', value: nm[0], pos });
        pos += nm[0].length;
        continue;
      }
      // After a dot only an integer: `items.0.name` is two subscripts, not the float `0.`.
      const prev = tokens[tokens.length - 1];
      const numRe = prev?.type === 'op' && prev.value === '.' ? INTEGER : NUMBER;
      numRe.lastIndex = pos;
      const num = numRe.exec(source);
      if (num !== null) {
        tokens.push({ type: 'number', value: num[0], pos });
        pos += num[0].length;
        continue;
      }
      const two = source.slice(pos, pos + 2);
      if (TWO_CHAR_OPS.has(two)) {
        tokens.push({ type: 'op', value: two, pos });
        pos += 2;
        continue;
      }
      if (ONE_CHAR_OPS.includes(ch)) {
        if (ch === '(' || ch === '[' || ch === '{') brackets.push(pos);
        else if (ch === ')' || ch === ']' || ch === '}') brackets.pop();
        tokens.push({ type: 'op', value: ch, pos });
        pos++;
        continue;
      }
      fail(`unexpected character ${JSON.stringify(ch)}`, pos);
    }
  }
  tokens.push({ type: 'eof', value: '', pos: source.length });
  return tokens;
}
