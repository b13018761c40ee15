import { HTTPException } from '../errors.js';

/**
 * Thrown when the profiler is used out of order: `stop()` before `start()`, a report before a
 * profile, or a second profile while one runs (V8 profiles one session at a time). It is a 409
 * `HTTPException`, so a profiling route hit twice at once answers `409 {"error": …}`, not a 500.
 *
 * @example
 * try { await profiler.start() } catch (e) { if (e instanceof ProfilerError && e.code === 'ERR_PROFILER_BUSY') … }
 */
export class ProfilerError extends HTTPException {
  declare readonly code: 'ERR_PROFILER_BUSY' | 'ERR_PROFILER_NOT_STARTED' | 'ERR_PROFILER_NO_PROFILE';

  constructor(message: string, code: 'ERR_PROFILER_BUSY' | 'ERR_PROFILER_NOT_STARTED' | 'ERR_PROFILER_NO_PROFILE') {
    super(409, message, { code });
  }
}
