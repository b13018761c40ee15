import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { HTTPException } from '../errors.js';
import { Response } from '../response.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.zip': 'application/zip',
};

/** The content type for a file name, `application/octet-stream` when unknown. */
export function contentTypeFor(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Options of `file()`. */
export interface FileOptions {
  /** Overrides the type guessed from the extension. */
  readonly contentType?: string;
  /** Sends `Content-Disposition: attachment` with this download name. */
  readonly downloadName?: string;
}

/**
 * Streams a file from disk with its length, type and `Last-Modified`. A missing file → 404.
 * The path is used as given: never build it from request input (use static files for that).
 *
 * @example
 * app.get('/report', () => file('reports/latest.pdf', { downloadName: 'report.pdf' }))
 */
export async function file(path: string, options: FileOptions = {}): Promise<Response> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) throw new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
  const res = new Response(createReadStream(path), {
    headers: {
      'content-type': options.contentType ?? contentTypeFor(path),
      'content-length': String(info.size),
      'last-modified': info.mtime.toUTCString(),
    },
  });
  if (options.downloadName !== undefined) {
    const name = basename(options.downloadName);
    const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.headers.set('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  }
  return res;
}
