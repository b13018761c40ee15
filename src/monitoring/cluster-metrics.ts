import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { Request } from '../request.js';
import { Response } from '../response.js';
import {
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  negotiateFormat,
  renderExposition,
} from './exposition.js';
import type { MetricSnapshot, SeriesSnapshot } from './metric.js';

/** IPC message tags (the `covet` field), so other messages on the channel are left alone. */
const COLLECT = 'metrics:collect';
const SNAPSHOT = 'metrics:snapshot';
const AGGREGATE = 'metrics:aggregate';
const AGGREGATED = 'metrics:aggregated';

interface IpcMessage {
  readonly covet: string;
  readonly id: string;
  readonly payload?: string;
}

function isIpc(msg: unknown, tag: string): msg is IpcMessage {
  return (
    typeof msg === 'object' &&
    msg !== null &&
    (msg as { covet?: unknown }).covet === tag &&
    typeof (msg as { id?: unknown }).id === 'string'
  );
}

/** JSON has no NaN or ±Infinity; snapshots carry them as tagged strings. */
export function encodeSnapshots(snapshots: readonly MetricSnapshot[]): string {
  return JSON.stringify(snapshots, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? { $num: String(value) } : value,
  );
}

export function decodeSnapshots(text: string): MetricSnapshot[] {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && typeof (value as { $num?: unknown }).$num === 'string')
      return Number((value as { $num: string }).$num);
    return value;
  }) as MetricSnapshot[];
}

function mergeGauge(values: number[], aggregator: MetricSnapshot['aggregator']): number {
  switch (aggregator) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'first':
      return values[0] ?? 0;
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

/**
 * Adds up the snapshots of several processes: counters, histogram buckets and summary
 * counts/sums add; summary samples are pooled (so quantiles are over all workers' samples);
 * gauges follow their `aggregator` (`sum` by default, `omit` drops them). A metric whose type,
 * labels or buckets differ from the first worker's is skipped in that worker.
 *
 * @example
 * aggregateSnapshots([await workerA.collect(), await workerB.collect()])
 */
export function aggregateSnapshots(perProcess: readonly (readonly MetricSnapshot[])[]): MetricSnapshot[] {
  const families = new Map<string, { head: MetricSnapshot; series: Map<string, SeriesSnapshot[]> }>();
  for (const snapshots of perProcess) {
    for (const m of snapshots) {
      if (m.aggregator === 'omit') continue;
      let family = families.get(m.name);
      if (family === undefined) {
        family = { head: m, series: new Map() };
        families.set(m.name, family);
      }
      const h = family.head;
      if (
        h.type !== m.type ||
        h.labelNames.join(',') !== m.labelNames.join(',') ||
        (h.buckets ?? []).join(',') !== (m.buckets ?? []).join(',')
      )
        continue;
      for (const s of m.series) {
        const key = JSON.stringify(s.labels);
        const list = family.series.get(key);
        if (list === undefined) family.series.set(key, [s]);
        else list.push(s);
      }
    }
  }
  const out: MetricSnapshot[] = [];
  for (const { head, series } of families.values()) {
    const merged: SeriesSnapshot[] = [];
    for (const list of series.values()) {
      const first = list[0] as SeriesSnapshot;
      const sum = list.reduce((a, s) => a + (s.sum ?? 0), 0);
      const count = list.reduce((a, s) => a + (s.count ?? 0), 0);
      switch (head.type) {
        case 'counter':
          merged.push({ labels: first.labels, value: list.reduce((a, s) => a + (s.value ?? 0), 0) });
          break;
        case 'gauge':
          merged.push({
            labels: first.labels,
            value: mergeGauge(
              list.map((s) => s.value ?? 0),
              head.aggregator,
            ),
          });
          break;
        case 'histogram': {
          const buckets = (first.buckets ?? []).map((_, i) => list.reduce((a, s) => a + (s.buckets?.[i] ?? 0), 0));
          merged.push({ labels: first.labels, buckets, sum, count });
          break;
        }
        case 'summary':
          merged.push({ labels: first.labels, samples: list.flatMap((s) => s.samples ?? []), sum, count });
          break;
      }
    }
    out.push({ ...head, series: merged });
  }
  return out;
}

/** What each live bridge of this worker collects from (its manager's backend) and how. */
const collectors = new Map<ClusterWorkerBridge, { readonly source: object; readonly collect: () => Promise<MetricSnapshot[]> }>();

/**
 * Answers the primary's collection request once for the whole worker, with the metrics of every
 * `MetricsManager` in it (a backend shared by several managers counted once). The primary takes
 * one reply per worker: when each manager answered on its own (a `PerformanceMonitor` makes a
 * manager of its own, say), the first reply to arrive stood for the worker and the cluster-wide
 * sums missed the others at random.
 */
function answerCollect(msg: unknown): void {
  if (!isIpc(msg, COLLECT)) return;
  const seen = new Set<object>();
  const runs: Promise<MetricSnapshot[]>[] = [];
  for (const { source, collect } of collectors.values()) {
    if (seen.has(source)) continue;
    seen.add(source);
    runs.push(collect().catch(() => []));
  }
  void Promise.all(runs).then((lists) => process.send?.({ covet: SNAPSHOT, id: msg.id, payload: encodeSnapshots(lists.flat()) }));
}

/**
 * The worker side of cluster aggregation: answers the primary's collection requests (one
 * answer per worker, see `answerCollect`), and (when `aggregate` is on) asks the primary for the
 * cluster-wide metrics. Made by `MetricsManager`.
 */
export class ClusterWorkerBridge {
  readonly aggregate: boolean;
  readonly #timeout: number;
  readonly #pending = new Map<string, (snapshots: MetricSnapshot[] | null) => void>();
  readonly #onMessage = (msg: unknown): void => {
    if (isIpc(msg, AGGREGATED)) {
      this.#pending.get(msg.id)?.(msg.payload === undefined ? null : decodeSnapshots(msg.payload));
    }
  };

  /** A bridge when this process is a cluster worker, else `null`. */
  static forWorker(source: object, collect: () => Promise<MetricSnapshot[]>, aggregate: boolean, timeout: number): ClusterWorkerBridge | null {
    if (!cluster.isWorker || typeof process.send !== 'function') return null;
    return new ClusterWorkerBridge(source, collect, aggregate, timeout);
  }

  private constructor(source: object, collect: () => Promise<MetricSnapshot[]>, aggregate: boolean, timeout: number) {
    this.aggregate = aggregate;
    this.#timeout = timeout;
    if (collectors.size === 0) process.on('message', answerCollect);
    collectors.set(this, { source, collect });
    process.on('message', this.#onMessage);
  }

  /** The cluster-wide snapshots from the primary, or `null` when it does not answer in time. */
  requestAggregate(): Promise<MetricSnapshot[] | null> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), this.#timeout);
      const done = (value: MetricSnapshot[] | null): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(value);
      };
      this.#pending.set(id, done);
      process.send?.({ covet: AGGREGATE, id });
    });
  }

  close(): void {
    process.off('message', this.#onMessage);
    if (collectors.delete(this) && collectors.size === 0) process.off('message', answerCollect);
    for (const done of this.#pending.values()) done(null);
  }
}

/** Options of `ClusterMetricsAggregator`. */
export interface ClusterMetricsAggregatorOptions {
  /** How long to wait for each worker. Default 2000 ms; a worker that does not answer is left out. */
  readonly timeout?: number;
  /** Metrics of the primary itself to include (a `MetricsManager`, say). Default none. */
  readonly local?: { collect(): Promise<MetricSnapshot[]> };
  /** Labels added to every sample. Default none. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/**
 * The primary side of `node:cluster` aggregation: asks every worker for its metrics and adds
 * them up. Serve `aggregator.handler` from the primary, or `attach()` it so that workers whose
 * `MetricsManager` has `aggregateCluster: true` answer `/metrics` with the cluster-wide sum.
 *
 * @example
 * if (cluster.isPrimary) { new ClusterMetricsAggregator().attach(); for (let i = 0; i < 4; i++) cluster.fork(); }
 * else { const metrics = new MetricsManager(undefined, { aggregateCluster: true }); app.route('/metrics', metrics.handler); }
 */
export class ClusterMetricsAggregator {
  readonly #timeout: number;
  readonly #local: ClusterMetricsAggregatorOptions['local'];
  readonly #defaultLabels: Readonly<Record<string, string>>;
  readonly #pending = new Map<string, (worker: Worker, payload: string) => void>();
  #attached = false;

  readonly #onMessage = (worker: Worker, msg: unknown): void => {
    if (isIpc(msg, SNAPSHOT)) {
      this.#pending.get(msg.id)?.(worker, msg.payload ?? '[]');
    } else if (isIpc(msg, AGGREGATE) && this.#attached) {
      this.collect().then(
        (snapshots) => worker.send({ covet: AGGREGATED, id: msg.id, payload: encodeSnapshots(snapshots) }),
        () => worker.send({ covet: AGGREGATED, id: msg.id }),
      );
    }
  };

  constructor(options: ClusterMetricsAggregatorOptions = {}) {
    if (!cluster.isPrimary) throw new TypeError('ClusterMetricsAggregator runs in the cluster primary');
    this.#timeout = options.timeout ?? 2000;
    this.#local = options.local;
    this.#defaultLabels = options.defaultLabels ?? {};
    cluster.on('message', this.#onMessage);
  }

  /** Answers workers that ask for the aggregate (`aggregateCluster: true`). */
  attach(): this {
    this.#attached = true;
    return this;
  }

  /** Stops listening to workers. */
  close(): void {
    this.#attached = false;
    cluster.off('message', this.#onMessage);
  }

  /** Every live worker's snapshots (and the local ones), added up. */
  async collect(): Promise<MetricSnapshot[]> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
    const id = randomUUID();
    const replies = await new Promise<MetricSnapshot[][]>((resolve) => {
      const got = new Map<number, MetricSnapshot[]>();
      const finish = (): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve([...got.values()]);
      };
      const timer = setTimeout(finish, this.#timeout);
      this.#pending.set(id, (worker, payload) => {
        try {
          got.set(worker.id, decodeSnapshots(payload));
        } catch {
          got.set(worker.id, []);
        }
        if (got.size >= workers.length) finish();
      });
      if (workers.length === 0) finish();
      for (const w of workers) w.send({ covet: COLLECT, id });
    });
    if (this.#local !== undefined) replies.unshift(await this.#local.collect());
    return aggregateSnapshots(replies);
  }

  /** The aggregate as exposition text. */
  async metrics(format: ExpositionFormat = 'prometheus'): Promise<string> {
    return renderExposition(await this.collect(), format, this.#defaultLabels);
  }

  /** A bound `/metrics` handler for an app running in the primary. */
  readonly handler = async (req: Request): Promise<Response> => {
    const format = negotiateFormat(req.headers.get('accept'));
    return new Response(await this.metrics(format), {
      headers: {
        'content-type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
        'cache-control': 'no-store',
      },
    });
  };
}
