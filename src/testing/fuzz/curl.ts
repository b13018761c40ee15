import type { FuzzRequest } from './fuzz-cases.js';

/**
 * Quotes a word for POSIX shells: single quotes, with `'` written as `'\''`; text with control
 * characters uses bash's `$'…'` form so that it stays on one line.
 *
 * @example
 * shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
  if (!/[\x00-\x1f\x7f]/.test(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `$'${out}'`;
}

/**
 * The `curl` command that sends the same request to a running server, to reproduce a finding.
 *
 * @example
 * toCurl({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, body: '{"name":"O\'Brien"}' })
 * // curl -X POST 'http://127.0.0.1:8000/users' -H 'content-type: application/json' --data-raw '{"name":"O'\''Brien"}'
 */
export function toCurl(request: FuzzRequest, baseUrl = 'http://127.0.0.1:8000'): string {
  const parts = ['curl'];
  if (request.method === 'HEAD') parts.push('--head');
  else if (request.method !== 'GET' || request.body !== undefined) parts.push('-X', request.method);
  parts.push(shellQuote(baseUrl.replace(/\/+$/, '') + request.url));
  for (const [name, value] of Object.entries(request.headers)) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (request.body !== undefined) parts.push('--data-raw', shellQuote(request.body));
  return parts.join(' ');
}
