const ESCAPE_RUN = /(?:%[0-9a-fA-F]{2})+/g;
const KEPT_ESCAPE = /(%2[fF]|%25)/;
const STRAY_PERCENT = /%(?![0-9a-fA-F]{2})/;

function decodeRun(run: string): string {
  // Continuation bytes of UTF-8 are 0x80–0xBF, so splitting on %2F/%25 never cuts a character.
  const pieces = run.split(KEPT_ESCAPE);
  let out = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    out += i % 2 === 1 ? piece.toUpperCase() : decodeURIComponent(piece);
  }
  return out;
}

/**
 * The path the router matches against: every percent-escape decoded except `%2F` (an encoded
 * `/` must not split a segment) and `%25` (so decoding never happens twice); parameter values
 * get those two decoded at the end. Returns `null` for malformed escapes (a stray `%`, bad hex,
 * or bytes that are not UTF-8), which the app answers with 400.
 *
 * @example
 * decodeRoutingPath('/files/caf%C3%A9') // '/files/café'
 * decodeRoutingPath('/files/a%2Fb')     // '/files/a%2Fb' (the parameter value becomes 'a/b')
 * decodeRoutingPath('/bad/%E0%A4%A')    // null
 */
export function decodeRoutingPath(path: string): string | null {
  if (path.indexOf('%') === -1) return path;
  if (STRAY_PERCENT.test(path)) return null;
  try {
    return path.replace(ESCAPE_RUN, decodeRun);
  } catch {
    return null; // URIError: the bytes are not valid UTF-8
  }
}

/**
 * Fully decodes a path for display (`req.path`); malformed escapes are left as they are.
 *
 * @example
 * displayPath('/a%2Fb%20c') // '/a/b c'
 */
export function displayPath(path: string): string {
  if (path.indexOf('%') === -1) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
