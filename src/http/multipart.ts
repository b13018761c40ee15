import { HTTPException } from '../errors.js';
import type { Request, RequestForm } from '../request.js';

/** Limits and storage of multipart uploads (`req.form()` on `multipart/form-data`). */
export interface MultipartOptions {
  /** Largest single file in bytes. Default 10 MiB. */
  readonly maxFileSize?: number;
  /** Most files in one request. Default 10. */
  readonly maxFiles?: number;
  /** Most non-file fields in one request. Default 1000. */
  readonly maxFields?: number;
  /** Largest non-file field value in bytes. Default 1 MiB. */
  readonly maxFieldSize?: number;
  /** Largest whole multipart body in bytes. Default 100 MiB. */
  readonly maxTotalSize?: number;
  /** A file up to this size stays in memory; a larger one is spooled to a temp file. Default 1 MiB. */
  readonly memoryThreshold?: number;
  /** Where spooled files go. Default `os.tmpdir()`. */
  readonly tmpDir?: string;
}

/** The defaults of `MultipartOptions`. */
export const MULTIPART_DEFAULTS: Readonly<Required<Omit<MultipartOptions, 'tmpDir'>>> = {
  maxFileSize: 10 * 1024 * 1024,
  maxFiles: 10,
  maxFields: 1000,
  maxFieldSize: 1024 * 1024,
  maxTotalSize: 100 * 1024 * 1024,
  memoryThreshold: 1024 * 1024,
};

/**
 * Parses a `multipart/form-data` request body. `onFinish` registers cleanup (temp files) that
 * runs after the response has been sent.
 */
export async function parseMultipart(
  _req: Request,
  _contentType: string,
  _options: MultipartOptions,
  _onFinish: (cleanup: () => unknown) => void,
): Promise<RequestForm> {
  throw new HTTPException(415, 'Unsupported Media Type: multipart/form-data is not supported yet', { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
}
