/**
 * Reads a fetch response's body by its type: JSON (`application/json`, `…+json`) parsed,
 * text (`text/*`, XML, JavaScript) as a string, no body as `null`, anything else as a `Blob`.
 *
 * @example
 * const data = await readBody(await fetch(url), 'GET')
 */
export async function readBody(res: Response, method: string): Promise<unknown> {
  if (method === 'HEAD' || res.status === 204 || res.status === 205 || res.status === 304 || res.body === null) return null;
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  if (/^application\/(?:[\w.+-]*\+)?json\b/.test(type)) {
    const text = await res.text();
    if (text === '') return null;
    // An error answer labelled JSON that is not (a proxy's HTML 502 page) still becomes a
    // ClientError with its status; its text is the data. A 2xx that does not parse throws.
    if (res.status >= 200 && res.status <= 299) return JSON.parse(text);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type.startsWith('text/') || /^application\/(?:[\w.+-]*\+)?(?:xml|javascript)\b/.test(type)) return res.text();
  const blob = await res.blob();
  return type === '' && blob.size === 0 ? null : blob;
}
