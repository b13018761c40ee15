import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { type CpuProfile, type HotFunction, type ProfileReport, analyzeProfile } from './cpu-profile-report.js';
import { CovetError } from '../errors.js';
import { ProfilerError } from './profiler-error.js';

/** Options of `PerformanceProfiler`. */
export interface PerformanceProfilerOptions {
  /** Microseconds between samples. Default 100. */
  readonly samplingInterval?: number;
  /** Functions listed in the report. Default 10. */
  readonly top?: number;
  /** Share of CPU time (percent) from which a function counts as a bottleneck. Default 5. */
  readonly bottleneckThreshold?: number;
}

/** A function that takes a large share of CPU time. */
export interface Bottleneck extends HotFunction {
  readonly reason: string;
}

let active: PerformanceProfiler | null = null;

const HINTS: readonly [RegExp, string][] = [
  [/^(?:JSON\.)?(?:parse|stringify)$/, 'JSON (de)serialization is hot: send smaller payloads, paginate, or cache serialized responses.'],
  [/Sync$/, 'A synchronous call blocks the event loop: use the async (promise) version.'],
  [
    /^(?:pbkdf2|scrypt|bcrypt|hash|digest|createHash)/i,
    'Hashing is CPU-bound: move it off the request path (worker thread) or cache results.',
  ],
  [
    /^(?:exec|test|match|replace|split)$|RegExp/,
    'Regular expressions are hot: precompile them, anchor them, and avoid backtracking patterns.',
  ],
  [/^(?:sort|localeCompare)$/, 'Sorting is hot: sort in the database (ORDER BY … LIMIT) or keep data pre-sorted.'],
];

const V8_CATEGORIES = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * Below this much sampled CPU time (or for a function seen in fewer samples than this), shares
 * are noise — timer callbacks of an idle process, a single sample — not bottlenecks.
 */
const MIN_CPU_MS = 10;
const MIN_SAMPLES = 3;

/**
 * A CPU profiler over `node:inspector` (the V8 sampling profiler): profile a piece of code,
 * then read the hottest functions, the bottlenecks and recommendations (the seed's
 * `PerformanceProfiler`). One profile runs at a time per process.
 *
 * @example
 * const profiler = new PerformanceProfiler();
 * const result = await profiler.profile(() => slowOperation());
 * return { performanceReport: profiler.getReport(), bottlenecks: profiler.identifyBottlenecks(), recommendations: profiler.getRecommendations() };
 */
export class PerformanceProfiler {
  readonly #interval: number;
  readonly #top: number;
  readonly #threshold: number;
  #session: Session | null = null;
  #profile: CpuProfile | null = null;
  #report: ProfileReport | null = null;

  constructor(options: PerformanceProfilerOptions = {}) {
    this.#interval = options.samplingInterval ?? 100;
    this.#top = options.top ?? 10;
    this.#threshold = options.bottleneckThreshold ?? 5;
    const bad = (message: string) => new CovetError(`PerformanceProfiler ${message}`, { code: 'ERR_PROFILER_OPTIONS' });
    if (!Number.isInteger(this.#interval) || this.#interval < 1) throw bad('samplingInterval must be a whole number of microseconds ≥ 1');
    if (!Number.isInteger(this.#top) || this.#top < 1) throw bad('top must be an integer ≥ 1');
    if (typeof this.#threshold !== 'number' || !(this.#threshold >= 0 && this.#threshold <= 100)) throw bad('bottleneckThreshold must be a percentage from 0 to 100');
  }

  /** Starts sampling. Resolves to the profiler, so `await using p = await profiler.start()` stops it at scope end. */
  async start(): Promise<this> {
    if (active !== null) throw new ProfilerError('A CPU profile is already running in this process', 'ERR_PROFILER_BUSY');
    active = this;
    try {
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: this.#interval });
      await session.post('Profiler.start');
      this.#session = session;
    } catch (err) {
      active = null;
      throw err;
    }
    this.#profile = null;
    this.#report = null;
    return this;
  }

  /** Stops sampling and returns the V8 profile (also kept for the report). */
  async stop(): Promise<CpuProfile> {
    const session = this.#session;
    if (session === null) throw new ProfilerError('The profiler is not running', 'ERR_PROFILER_NOT_STARTED');
    try {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      await session.post('Profiler.disable');
      this.#profile = profile;
      this.#report = null;
      return profile;
    } finally {
      session.disconnect();
      this.#session = null;
      active = null;
    }
  }

  /** Profiles `fn` (the seed's `with profiler:`) and returns its result. */
  async profile<T>(fn: () => T | Promise<T>): Promise<T> {
    await this.start();
    try {
      return await fn();
    } finally {
      await this.stop();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#session !== null) await this.stop();
  }

  /** Whether a profile is running. */
  get running(): boolean {
    return this.#session !== null;
  }

  /** The last profile (open it in Chrome DevTools or VS Code after `saveProfile`). */
  get cpuProfile(): CpuProfile | null {
    return this.#profile;
  }

  /** Writes the last profile as a `.cpuprofile` file. */
  async saveProfile(path: string): Promise<void> {
    await writeFile(path, JSON.stringify(this.#require()));
  }

  #require(): CpuProfile {
    if (this.#profile === null)
      throw new ProfilerError('No profile yet: run start()/stop() or profile(fn) first', 'ERR_PROFILER_NO_PROFILE');
    return this.#profile;
  }

  /** Durations and the hottest functions of the last profile. */
  getReport(): ProfileReport {
    this.#report ??= analyzeProfile(this.#require(), this.#top);
    return this.#report;
  }

  /**
   * The functions above the bottleneck threshold (percent of CPU time, self), hottest first;
   * none when the profile holds less than 10 ms of CPU time (an I/O-bound block), and never a
   * function seen in fewer than 3 samples.
   */
  identifyBottlenecks(): Bottleneck[] {
    const report = this.getReport();
    if (report.cpuMs < MIN_CPU_MS) return [];
    return report
      // V8's own categories are not code to optimise; an anonymous function (inline code in the
      // profiled block) is, and it has a location.
      .hotFunctions.filter((f) => f.selfPercent >= this.#threshold && f.samples >= MIN_SAMPLES && !V8_CATEGORIES.has(f.functionName))
      .map((f) => ({ ...f, reason: `${f.selfPercent}% of CPU time is spent in ${f.functionName} itself` }));
  }

  /** Advice drawn from the profile: hot functions, GC pressure, I/O-bound waits. */
  getRecommendations(): string[] {
    const report = this.getReport();
    const out: string[] = [];
    const wall = report.cpuMs + report.idleMs;
    if (wall > 0 && report.idleMs / wall > 0.5) {
      out.push(
        `The process was idle ${Math.round((report.idleMs / wall) * 100)}% of the time: the work is I/O-bound. Look at database query times, the connection pool size and external calls rather than CPU.`,
      );
    }
    if (report.cpuMs > 0 && report.gcMs / report.cpuMs > 0.1) {
      out.push(
        `Garbage collection took ${Math.round((report.gcMs / report.cpuMs) * 100)}% of CPU time: allocate less per request (reuse buffers, stream large bodies).`,
      );
    }
    for (const b of this.identifyBottlenecks()) {
      const hint = HINTS.find(([re]) => re.test(b.functionName))?.[1];
      const where = b.location.includes('/node_modules/')
        ? ` (in dependency ${b.location.split('/node_modules/').pop()?.split('/')[0]})`
        : '';
      out.push(
        `${b.functionName} at ${b.location}${where} takes ${b.selfPercent}% of CPU time.${hint === undefined ? ' Optimize it or cache its result.' : ` ${hint}`}`,
      );
    }
    if (report.cpuMs < MIN_CPU_MS)
      out.push(`Only ${report.cpuMs} ms of CPU time was sampled: too little to name hot functions. Profile a longer or busier stretch.`);
    else if (out.length === 0) out.push(`No function takes ${this.#threshold}% or more of CPU time; nothing stands out.`);
    return out;
  }
}
