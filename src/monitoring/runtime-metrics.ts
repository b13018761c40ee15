import { readdirSync } from 'node:fs';
import { type IntervalHistogram, type PerformanceEntry, PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Counter } from './counter.js';
import type { Gauge } from './gauge.js';
import type { Histogram } from './histogram.js';
import type { Aggregator } from './metric.js';

/** Options of `metrics.collectDefaultMetrics()`. */
export interface RuntimeMetricsOptions {
  /** Event-loop delay sampling resolution in ms. Default 10. */
  readonly eventLoopResolution?: number;
  /** GC pause buckets in seconds. Default `[0.001, 0.01, 0.1, 1, 2, 5]`. */
  readonly gcDurationBuckets?: readonly number[];
}

/** What the collectors need from a `MetricsManager`. */
interface MetricsFactory {
  counter(name: string, labelNames: readonly string[], options: { help: string; collect?: (c: Counter) => void }): Counter;
  gauge(
    name: string,
    labelNames: readonly string[],
    options: { help: string; aggregator?: Aggregator; collect?: (g: Gauge) => void },
  ): Gauge;
  histogram(name: string, labelNames: readonly string[], options: { help: string; buckets: readonly number[] }): Histogram;
}

const GC_KINDS: Readonly<Record<number, string>> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb', 15: 'all' };

/** Counts open file descriptors (Linux `/proc`); `null` where there is no `/proc`. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the one readdir itself held open
  } catch {
    return null;
  }
}

/**
 * Declares the process and runtime metrics (prom-client's names) and starts what samples them;
 * returns the function that stops sampling. Values that can be read are read at scrape time.
 */
export function collectRuntimeMetrics(metrics: MetricsFactory, options: RuntimeMetricsOptions = {}): () => void {
  const startCpu = process.cpuUsage();
  const lastCpu = { user: 0, system: 0 };
  const cpuUser = metrics.counter('process_cpu_user_seconds_total', [], { help: 'User CPU time spent in seconds.' });
  const cpuSystem = metrics.counter('process_cpu_system_seconds_total', [], { help: 'System CPU time spent in seconds.' });
  metrics.counter('process_cpu_seconds_total', [], {
    help: 'Total user and system CPU time spent in seconds.',
    collect(total) {
      const now = process.cpuUsage(startCpu);
      const user = now.user / 1e6;
      const system = now.system / 1e6;
      cpuUser.inc(Math.max(0, user - lastCpu.user));
      cpuSystem.inc(Math.max(0, system - lastCpu.system));
      total.inc(Math.max(0, user - lastCpu.user) + Math.max(0, system - lastCpu.system));
      lastCpu.user = user;
      lastCpu.system = system;
    },
  });
  metrics
    .gauge('process_start_time_seconds', [], { help: 'Start time of the process since unix epoch in seconds.', aggregator: 'min' })
    .set(Math.round(performance.timeOrigin / 1000));
  metrics.gauge('process_resident_memory_bytes', [], {
    help: 'Resident memory size in bytes.',
    collect: (g) => g.set(process.memoryUsage.rss()),
  });
  metrics.gauge('process_open_fds', [], {
    help: 'Number of open file descriptors.',
    collect(g) {
      const n = openFds();
      if (n !== null) g.set(n);
    },
  });
  metrics.gauge('nodejs_heap_size_total_bytes', [], {
    help: 'Process heap size from Node.js in bytes.',
    collect: (g) => g.set(process.memoryUsage().heapTotal),
  });
  metrics.gauge('nodejs_heap_size_used_bytes', [], {
    help: 'Process heap size used from Node.js in bytes.',
    collect: (g) => g.set(process.memoryUsage().heapUsed),
  });
  metrics.gauge('nodejs_external_memory_bytes', [], {
    help: 'Node.js external memory size in bytes.',
    collect: (g) => g.set(process.memoryUsage().external),
  });
  metrics.gauge('nodejs_heap_space_size_used_bytes', ['space'], {
    help: 'Process heap space size used from Node.js in bytes.',
    collect(g) {
      for (const space of getHeapSpaceStatistics()) g.set({ space: space.space_name.replace(/_space$/, '') }, space.space_used_size);
    },
  });
  metrics.gauge('nodejs_active_handles_total', [], {
    help: 'Number of active libuv handles and requests keeping the event loop alive.',
    collect: (g) => g.set(process.getActiveResourcesInfo().length),
  });
  metrics.gauge('nodejs_active_resources', ['type'], {
    help: 'Active resources keeping the event loop alive, by type.',
    collect(g) {
      g.reset();
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
      for (const [type, n] of counts) g.set({ type }, n);
    },
  });
  const [major = '0', minor = '0', patch = '0'] = process.versions.node.split('.');
  metrics
    .gauge('nodejs_version_info', ['version', 'major', 'minor', 'patch'], { help: 'Node.js version info.', aggregator: 'first' })
    .set({ version: process.version, major, minor, patch }, 1);

  // Event-loop delay: a libuv-timer histogram, read and reset at each scrape.
  const resolution = options.eventLoopResolution ?? 10;
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution });
  delay.enable();
  const lag = (name: string, help: string, read: (h: IntervalHistogram) => number): void => {
    metrics.gauge(name, [], {
      help,
      aggregator: 'max',
      collect(g) {
        const v = read(delay);
        if (Number.isFinite(v) && delay.count > 0) g.set(v / 1e9);
      },
    });
  };
  lag('nodejs_eventloop_lag_seconds', 'Mean event-loop delay since the last scrape, in seconds.', (h) => h.mean);
  lag('nodejs_eventloop_lag_min_seconds', 'Minimum event-loop delay since the last scrape.', (h) => h.min);
  lag('nodejs_eventloop_lag_max_seconds', 'Maximum event-loop delay since the last scrape.', (h) => h.max);
  lag('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the last scrape.', (h) => h.percentile(50));
  lag('nodejs_eventloop_lag_p99_seconds', '99th percentile event-loop delay since the last scrape.', (h) => h.percentile(99));
  // Registered last so the gauges above have read the histogram before it is reset.
  metrics.gauge('nodejs_eventloop_lag_samples', [], {
    help: 'Event-loop delay samples taken since the last scrape.',
    collect(g) {
      g.set(delay.count);
      delay.reset();
    },
  });

  const gc = metrics.histogram('nodejs_gc_duration_seconds', ['kind'], {
    help: 'Garbage collection duration by kind, in seconds.',
    buckets: options.gcDurationBuckets ?? [0.001, 0.01, 0.1, 1, 2, 5],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as PerformanceEntry & { readonly detail?: unknown }).detail as { kind?: number } | undefined;
      gc.observe({ kind: GC_KINDS[detail?.kind ?? 0] ?? 'unknown' }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  return () => {
    delay.disable();
    observer.disconnect();
  };
}
