import { CovetError } from '../errors.js';

/**
 * Thrown when the profiler is used out of order: `stop()` before `start()`, a report before a
 * profile, or a second profile while one runs (V8 profiles one session at a time).
 *
 * @example
 * try { await profiler.start() } catch (e) { if (e instanceof ProfilerError && e.code === 'ERR_PROFILER_BUSY') … }
 */
export class ProfilerError extends CovetError {
  declare readonly code: 'ERR_PROFILER_BUSY' | 'ERR_PROFILER_NOT_STARTED' | 'ERR_PROFILER_NO_PROFILE';

  constructor(message: string, code: 'ERR_PROFILER_BUSY' | 'ERR_PROFILER_NOT_STARTED' | 'ERR_PROFILER_NO_PROFILE') {
    super(message, { code });
  }
}
