export { analyzeProfile, type CpuProfile, type HotFunction, type ProfileReport } from './cpu-profile-report.js';
export {
  type LeakReport,
  type MemoryLogger,
  MemoryMonitor,
  type MemoryMonitorOptions,
  type MemorySnapshot,
  type MemoryWarning,
} from './memory-monitor.js';
export { type Bottleneck, PerformanceProfiler, type PerformanceProfilerOptions } from './performance-profiler.js';
export { ProfilerError } from './profiler-error.js';
