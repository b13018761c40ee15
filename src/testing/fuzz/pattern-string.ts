import type { Prng } from './prng.js';

/** A parsed regular expression: what can produce a matching string. */
type RegexNode =
  | { readonly kind: 'chars'; readonly chars: string }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number };

const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const EMPTY: RegexNode = { kind: 'seq', items: [] };

class Unsupported extends Error {}

/** A recursive-descent reader of the common subset of JavaScript regular expressions. */
class PatternParser {
  readonly #src: string;
  #pos = 0;

  constructor(src: string) {
    this.#src = src;
  }

  parse(): RegexNode {
    const node = this.#alternation();
    if (this.#pos < this.#src.length) throw new Unsupported(`unexpected ${this.#src[this.#pos]}`);
    return node;
  }

  #peek(): string | undefined {
    return this.#src[this.#pos];
  }

  #alternation(): RegexNode {
    const options = [this.#sequence()];
    while (this.#peek() === '|') {
      this.#pos++;
      options.push(this.#sequence());
    }
    return options.length === 1 ? (options[0] as RegexNode) : { kind: 'alt', options };
  }

  #sequence(): RegexNode {
    const items: RegexNode[] = [];
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) {
      const atom = this.#atom();
      if (atom !== null) items.push(this.#quantified(atom));
    }
    return { kind: 'seq', items };
  }

  #atom(): RegexNode | null {
    const c = this.#src[this.#pos++] as string;
    switch (c) {
      case '^':
      case '$':
        return null; // anchors: the generated string is the whole match anyway
      case '.':
        return { kind: 'chars', chars: WORD };
      case '(': {
        if (this.#peek() === '?') {
          if (this.#src[this.#pos + 1] !== ':') throw new Unsupported('lookaround or named group');
          this.#pos += 2;
        }
        const inner = this.#alternation();
        if (this.#src[this.#pos++] !== ')') throw new Unsupported('unclosed group');
        return inner;
      }
      case '[':
        return { kind: 'chars', chars: this.#charClass() };
      case '\\':
        return this.#escape(false);
      case '*':
      case '+':
      case '?':
      case '{':
        throw new Unsupported('quantifier without an atom');
      default:
        return { kind: 'chars', chars: c };
    }
  }

  #escape(inClass: boolean): RegexNode | null {
    const c = this.#src[this.#pos++];
    if (c === undefined) throw new Unsupported('trailing backslash');
    if (c === 'd') return { kind: 'chars', chars: DIGITS };
    if (c === 'w') return { kind: 'chars', chars: WORD };
    if (c === 's') return { kind: 'chars', chars: ' ' };
    if (c === 'b' && !inClass) return null;
    if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(this.#src.slice(this.#pos, this.#pos + 4))) {
      const ch = String.fromCharCode(Number.parseInt(this.#src.slice(this.#pos, this.#pos + 4), 16));
      this.#pos += 4;
      return { kind: 'chars', chars: ch };
    }
    if (/[DWSBpPk1-9]/.test(c)) throw new Unsupported(`\\${c}`);
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', '0': '\0' };
    return { kind: 'chars', chars: simple[c] ?? c };
  }

  #charClass(): string {
    const negate = this.#peek() === '^';
    if (negate) this.#pos++;
    let set = '';
    let first = true;
    for (let c = this.#peek(); c !== undefined && (c !== ']' || first); c = this.#peek()) {
      first = false;
      this.#pos++;
      let from: string;
      if (c === '\\') {
        const esc = this.#escape(true);
        if (esc === null || esc.kind !== 'chars') throw new Unsupported('class escape');
        if (esc.chars.length > 1) {
          set += esc.chars;
          continue;
        }
        from = esc.chars;
      } else {
        from = c;
      }
      const next = this.#src[this.#pos + 1];
      if (this.#peek() === '-' && next !== undefined && next !== ']') {
        this.#pos++;
        let to = this.#src[this.#pos++] as string;
        if (to === '\\') {
          const esc = this.#escape(true);
          if (esc === null || esc.kind !== 'chars' || esc.chars.length !== 1) throw new Unsupported('range end');
          to = esc.chars;
        }
        const a = from.charCodeAt(0);
        const b = to.charCodeAt(0);
        // Long ranges (\u0000-\uffff) are sampled, not spelled out.
        for (let code = a; code <= b && code - a < 200; code++) set += String.fromCharCode(code);
      } else {
        set += from;
      }
    }
    if (this.#src[this.#pos++] !== ']') throw new Unsupported('unclosed class');
    if (!negate) {
      if (set === '') throw new Unsupported('empty class');
      return set;
    }
    const allowed = [...PRINTABLE].filter((ch) => !set.includes(ch)).join('');
    if (allowed === '') throw new Unsupported('class excludes every printable character');
    return allowed;
  }

  #quantified(node: RegexNode): RegexNode {
    let min: number;
    let max: number;
    const c = this.#peek();
    if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.#pos));
      if (m === null) return node; // a literal "{"
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      this.#pos += m[0].length - 1;
    } else return node;
    this.#pos++;
    if (this.#peek() === '?') this.#pos++; // lazy: same strings
    return { kind: 'repeat', node, min, max };
  }
}

function produce(node: RegexNode, rng: Prng, out: string[]): void {
  switch (node.kind) {
    case 'chars':
      out.push(node.chars[rng.int(0, node.chars.length - 1)] as string);
      return;
    case 'seq':
      for (const item of node.items) produce(item, rng, out);
      return;
    case 'alt':
      produce(rng.pick(node.options), rng, out);
      return;
    case 'repeat': {
      const n = rng.int(node.min, Math.min(node.max, node.min + 4));
      for (let i = 0; i < n; i++) produce(node.node, rng, out);
    }
  }
}

/**
 * A string matching `pattern` (the common subset: literals, classes and ranges, `\d \w \s`,
 * groups, alternation, `* + ? {n,m}`), or `undefined` for what it does not cover
 * (lookarounds, backreferences, Unicode properties).
 *
 * @example
 * stringForPattern('^[A-Z]{3}-\\d{2}$', new Prng(1)) // e.g. 'QKD-07'
 */
export function stringForPattern(pattern: string, rng: Prng): string | undefined {
  let node: RegexNode;
  try {
    node = new PatternParser(pattern).parse();
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const out: string[] = [];
  produce(node ?? EMPTY, rng, out);
  return out.join('');
}
