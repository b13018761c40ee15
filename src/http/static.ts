import { HTTPException } from '../errors.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';

/** Options of `app.static(prefix, directory, options)`. */
export interface StaticOptions {
  /** File served for a directory (`/static/docs/` → `docs/index.html`). Default `index.html`; `false` to turn off. */
  readonly index?: string | false;
  /** Serve `.br`/`.gz` siblings when the client accepts them. Default `true`. */
  readonly precompressed?: boolean;
  /** `Cache-Control` max-age in seconds. Default 0 (`public, max-age=0`, revalidate with ETag). */
  readonly maxAge?: number;
  /** Add `immutable` to `Cache-Control` (for fingerprinted assets). Default `false`. */
  readonly immutable?: boolean;
  /** Serve dotfiles (`.env`, `.git/…`). Default `false`: they are 404. */
  readonly dotfiles?: boolean;
  /** Send `ETag`. Default `true`. */
  readonly etag?: boolean;
  /** Send `Last-Modified`. Default `true`. */
  readonly lastModified?: boolean;
}

/**
 * A handler serving files below `root` for the `{path:path}` parameter of its route. Paths
 * that leave the root (`..`, encoded dots, absolute paths, NUL) are 404.
 */
export function createStaticHandler(_root: string, _options: StaticOptions = {}): (req: Request) => Promise<Response> {
  return async () => {
    throw new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
  };
}
