// Jinja's `lipsum()` global: placeholder Latin text for layouts under construction.
import { isKwargs } from './kwargs.js';
import { Markup } from './markup.js';
import { sandboxError } from './sandbox.js';

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna ' +
  'aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute ' +
  'irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non ' +
  'proident sunt culpa qui officia deserunt mollit anim id est laborum curabitur pretium tincidunt lacus nunc pulvinar ' +
  'sapien vitae viverra mauris maecenas porta nibh venenatis cras semper auctor neque vivamus arcu felis bibendum ' +
  'integer quam elementum pharetra praesent tristique senectus netus malesuada fames ac turpis egestas'
).split(' ');

/** The most paragraphs, and words in one, that `lipsum()` writes (a template cannot ask for megabytes). */
export const MAX_LIPSUM_PARAGRAPHS = 100;
export const MAX_LIPSUM_WORDS = 1000;

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const between = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

function paragraph(min: number, max: number): string {
  const words: string[] = [];
  let sentence = 0;
  let last = '';
  const count = between(min, max);
  for (let i = 0; i < count; i++) {
    let word = pick(WORDS);
    while (word === last) word = pick(WORDS);
    last = word;
    if (sentence === 0) word = word[0]?.toUpperCase() + word.slice(1);
    sentence++;
    // A sentence ends after 5 to 14 words, a comma now and then inside it.
    if (i < count - 1 && sentence >= 5 && Math.random() < 0.2) {
      word += '.';
      sentence = 0;
    } else if (i < count - 1 && sentence >= 3 && Math.random() < 0.1) word += ',';
    words.push(word);
  }
  return `${words.join(' ').replace(/,$/, '')}.`;
}

function whole(value: unknown, name: string, fallback: number, limit: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`lipsum() ${name} must be a non-negative integer`);
  if (n > limit) throw sandboxError(`lipsum() ${name} is limited to ${limit}`);
  return n;
}

/**
 * `lipsum(n=5, html=True, min=20, max=100)`: `n` paragraphs of `min` to `max` random Latin
 * words; with `html`, each in a `<p>` (safe markup), else separated by blank lines.
 *
 * @example
 * templates.renderString('{{ lipsum(1, False, 3, 3) }}') // e.g. 'Dolor magna sit.'
 */
export function lipsum(...args: unknown[]): string | Markup {
  const kw = isKwargs(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : {};
  const [n, html, min, max] = [args[0] ?? kw.n, args[1] ?? kw.html, args[2] ?? kw.min, args[3] ?? kw.max];
  const paragraphs = whole(n, 'n', 5, MAX_LIPSUM_PARAGRAPHS);
  const lo = whole(min, 'min', 20, MAX_LIPSUM_WORDS);
  const hi = Math.max(lo, whole(max, 'max', 100, MAX_LIPSUM_WORDS));
  const out = Array.from({ length: paragraphs }, () => paragraph(Math.max(1, lo), Math.max(1, hi)));
  return html === undefined || html ? new Markup(out.map((p) => `<p>${p}</p>`).join('\n')) : out.join('\n\n');
}
