import { findSourceMap, type SourceMap, type SourceMapping } from 'node:module';

/** A V8 CPU profile, as `Profiler.stop` returns it (and `.cpuprofile` files hold). */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
    readonly hitCount?: number;
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One function in a report. */
export interface HotFunction {
  readonly functionName: string;
  /** `file:line:column` (1-based), or `native` / the V8 category. */
  readonly location: string;
  /** Time with this function on top of the stack. */
  readonly selfMs: number;
  /** Share of CPU time (idle excluded), 0–100. */
  readonly selfPercent: number;
  /** Time with this function anywhere on the stack. */
  readonly totalMs: number;
  readonly totalPercent: number;
  readonly samples: number;
}

/** What `profiler.getReport()` returns. */
export interface ProfileReport {
  /** Wall time profiled. */
  readonly durationMs: number;
  /** Time the CPU did work (not idle). */
  readonly cpuMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly samples: number;
  /** The hottest functions by self time, most first. */
  readonly hotFunctions: readonly HotFunction[];
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** The profiler's own frames (`session.post` while it starts and stops): not the code profiled. */
const PROFILER_URL = 'node:inspector';

/**
 * `file:line:column` (1-based) of a frame, in the source the developer wrote: a module compiled
 * on load (TypeScript through tsx, which turns source maps on) is mapped back through its
 * source map when Node has one; otherwise the position V8 ran.
 */
function location(frame: CpuProfile['nodes'][number]['callFrame'], maps: Map<string, SourceMap | undefined>): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : 'native';
  let map = maps.get(frame.url);
  if (!maps.has(frame.url)) {
    try {
      map = frame.url.startsWith('node:') ? undefined : findSourceMap(frame.url);
    } catch {
      map = undefined;
    }
    maps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as Partial<SourceMapping> | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
    return `${entry.originalSource.replace(/^file:\/\//, '')}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  }
  return `${frame.url.replace(/^file:\/\//, '')}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
}

/**
 * Turns a CPU profile into per-function self and total times. Each sample's time delta goes
 * to the function on top of the stack (self) and once to every distinct function below it
 * (total, so recursion is not counted twice).
 */
export function analyzeProfile(profile: CpuProfile, top = 10): ProfileReport {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map<number, string>();
  const info = new Map<string, { functionName: string; location: string; self: number; total: number; samples: number }>();
  const maps = new Map<string, SourceMap | undefined>();
  for (const n of profile.nodes) {
    const loc = location(n.callFrame, maps);
    const key = `${n.callFrame.functionName}@${loc}`;
    keyOf.set(n.id, key);
    if (!info.has(key))
      info.set(key, { functionName: n.callFrame.functionName || '(anonymous)', location: loc, self: 0, total: 0, samples: 0 });
  }
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let idle = 0;
  let gc = 0;
  let all = 0;
  // A sample lasts until the next one (as DevTools counts): `deltas[i]` is the gap *before*
  // sample i, and the first one spans the profiler's own start-up, not the code it sampled.
  let last = profile.startTime;
  for (const d of deltas) last += d;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    const dt = Math.max(0, (i + 1 < samples.length ? (deltas[i + 1] ?? 0) : profile.endTime - last) / 1000);
    const frame = byId.get(id)?.callFrame;
    // The profiler starting and stopping is neither the code profiled nor idle time.
    if (frame?.url === PROFILER_URL) continue;
    all += dt;
    const name = frame?.functionName;
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    if (name === '(garbage collector)') gc += dt;
    const top = info.get(keyOf.get(id) ?? '');
    if (top !== undefined) {
      top.self += dt;
      top.samples++;
    }
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = keyOf.get(cur) ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = info.get(key);
      if (entry !== undefined) entry.total += dt;
    }
  }
  const cpu = all - idle;
  const pct = (ms: number): number => (cpu > 0 ? round((ms / cpu) * 100) : 0);
  const hot = [...info.values()]
    .filter((f) => f.self > 0 && f.functionName !== '(root)' && f.functionName !== '(idle)')
    .sort((a, b) => b.self - a.self)
    .slice(0, top)
    .map((f) => ({
      functionName: f.functionName,
      location: f.location,
      selfMs: round(f.self),
      selfPercent: pct(f.self),
      totalMs: round(f.total),
      totalPercent: pct(f.total),
      samples: f.samples,
    }));
  return {
    durationMs: round((profile.endTime - profile.startTime) / 1000),
    cpuMs: round(cpu),
    idleMs: round(idle),
    gcMs: round(gc),
    samples: samples.length,
    hotFunctions: hot,
  };
}
