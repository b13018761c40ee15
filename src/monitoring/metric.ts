import { checkLabelNames, labelValue } from './metric-names.js';
import { MetricsError } from './metrics-error.js';

/** The metric types of the Prometheus data model that Covet implements. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * Label values by label name; numbers and booleans are written as text. `L` is the declared
 * label names when they are known to the type system (`metrics.counter('x', ['method'])`).
 */
export type Labels<L extends string = string> = Readonly<Record<L, string | number | boolean>>;

/**
 * How `node:cluster` aggregation merges one metric's series across workers. Counters,
 * histograms and summaries always add up; gauges use this (default `sum`); `omit` leaves the
 * metric out of the aggregate.
 */
export type Aggregator = 'sum' | 'max' | 'min' | 'average' | 'first' | 'omit';

/** One series in a snapshot: label values in declared order, and its state. */
export interface SeriesSnapshot {
  readonly labels: readonly string[];
  /** Counter and gauge value. */
  readonly value?: number;
  /** Histogram: cumulative counts per bucket (the last is `+Inf`). */
  readonly buckets?: readonly number[];
  /** Summary: the observations in the current window (a bounded sample). */
  readonly samples?: readonly number[];
  readonly sum?: number;
  readonly count?: number;
}

/** A metric's state at one instant, plain data (the exposition and cluster aggregation use it). */
export interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  readonly aggregator: Aggregator;
  /** Histogram upper bounds, ascending, without `+Inf`. */
  readonly buckets?: readonly number[];
  /** Summary quantiles, each in [0, 1]. */
  readonly quantiles?: readonly number[];
  readonly series: readonly SeriesSnapshot[];
}

/** Options every metric takes. */
export interface MetricOptions<M> {
  /** The `# HELP` text. Default: none. */
  readonly help?: string;
  /**
   * Most distinct label sets kept; past it new label sets are dropped (counted in
   * `covet_metrics_series_dropped_total`) and a warning is logged once. Default: the backend's
   * `maxSeriesPerMetric` (2000).
   */
  readonly maxSeries?: number;
  /** Cluster aggregation of a gauge. Default `sum`. */
  readonly aggregator?: Aggregator;
  /** Called before every collection (scrape), to set values that are read rather than counted. */
  readonly collect?: (metric: M) => void | Promise<void>;
}

/** What a metric needs from the registry it belongs to. */
export interface MetricHost {
  readonly maxSeriesPerMetric: number;
  seriesDropped(metric: string): void;
}

/** A constructor's view of a declaration. */
export interface MetricInit {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly help: string;
  readonly maxSeries: number;
  readonly aggregator: Aggregator;
}

type Tree<S> = Map<string, Tree<S> | S>;

/**
 * What the metric types share: declared label names, and a tree of series keyed by label
 * value (one map level per label, so two label sets never collide the way joined strings can).
 */
export abstract class Metric<S extends { readonly labels: readonly string[] }> {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: Aggregator;
  readonly #maxSeries: number;
  readonly #host: MetricHost | null;
  readonly #collect: ((metric: this) => void | Promise<void>) | undefined;
  #root: Tree<S> = new Map();
  #single: S | null = null;
  #size = 0;
  #generation = 0;

  constructor(
    init: MetricInit,
    reserved: readonly string[],
    host: MetricHost | null,
    collect: ((metric: never) => void | Promise<void>) | undefined,
  ) {
    this.name = init.name;
    this.help = init.help;
    this.labelNames = checkLabelNames(init.name, init.labelNames, reserved);
    this.aggregator = init.aggregator;
    this.#maxSeries = init.maxSeries;
    this.#host = host;
    this.#collect = collect as ((metric: this) => void | Promise<void>) | undefined;
    if (!Number.isInteger(this.#maxSeries) || this.#maxSeries < 1)
      throw new MetricsError(`Metric ${this.name}: maxSeries must be a positive integer`, 'ERR_METRIC_OPTIONS');
  }

  /** Makes a fresh series for validated label values. */
  protected abstract createSeries(labels: readonly string[]): S;

  /** The series' part of a snapshot. */
  protected abstract snapshotSeries(series: S): SeriesSnapshot;

  /** Type-specific snapshot fields (buckets, quantiles). */
  protected snapshotExtras(): Partial<MetricSnapshot> {
    return {};
  }

  /** Runs the `collect` callback (the registry calls it before each collection). */
  async runCollect(): Promise<void> {
    if (this.#collect !== undefined) await this.#collect(this);
  }

  /**
   * The series for a label set, created on first use; `null` when the cardinality cap drops it.
   * Throws `MetricsError` when the label names do not match the declaration.
   */
  protected seriesFor(labels: Labels | undefined): S | null {
    const names = this.labelNames;
    if (names.length === 0) {
      if (labels !== undefined) for (const key in labels) this.#unknownLabel(key);
      return (this.#single ??= this.#add([]));
    }
    if (labels === undefined || labels === null || typeof labels !== 'object') {
      throw new MetricsError(`Metric ${this.name} needs labels {${names.join(', ')}}`, 'ERR_METRIC_LABELS');
    }
    let given = 0;
    for (const _ in labels) given++;
    if (given !== names.length) this.#mismatch(labels);
    let node: Tree<S> = this.#root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i] as string];
      const key = typeof value === 'string' ? value : this.#text(names[i] as string, value);
      let next = node.get(key) as Tree<S> | undefined;
      if (next === undefined) {
        this.#validate(labels);
        if (this.#size >= this.#maxSeries) return this.#drop();
        next = new Map();
        node.set(key, next);
      }
      node = next;
    }
    const value = labels[names[last] as string];
    const key = typeof value === 'string' ? value : this.#text(names[last] as string, value);
    let series = node.get(key) as S | undefined;
    if (series === undefined) {
      const values = this.#validate(labels);
      if (this.#size >= this.#maxSeries) return this.#drop();
      series = this.#add(values);
      node.set(key, series);
    }
    return series;
  }

  #text(name: string, value: unknown): string {
    if (value === undefined) throw new MetricsError(`Metric ${this.name}: missing label "${name}"`, 'ERR_METRIC_LABELS');
    return labelValue(this.name, name, value);
  }

  #validate(labels: Labels): string[] {
    return this.labelNames.map((name) => this.#text(name, labels[name]));
  }

  #add(values: string[]): S {
    this.#size++;
    return this.createSeries(Object.freeze(values));
  }

  #drop(): null {
    this.#host?.seriesDropped(this.name);
    return null;
  }

  #unknownLabel(key: string): never {
    throw new MetricsError(
      `Metric ${this.name}: unknown label "${key}" (declared: ${this.labelNames.join(', ') || 'none'})`,
      'ERR_METRIC_LABELS',
    );
  }

  #mismatch(labels: Labels): never {
    for (const key in labels) if (!this.labelNames.includes(key)) this.#unknownLabel(key);
    const missing = this.labelNames.filter((name) => !(name in labels));
    throw new MetricsError(`Metric ${this.name}: missing label(s) ${missing.map((m) => `"${m}"`).join(', ')}`, 'ERR_METRIC_LABELS');
  }

  /** Every series, in creation order. */
  protected *allSeries(): Generator<S> {
    if (this.#single !== null) yield this.#single;
    const depth = this.labelNames.length;
    if (depth === 0) return;
    function* walk(node: Tree<S>, level: number): Generator<S> {
      for (const child of node.values()) {
        if (level === depth - 1) yield child as S;
        else yield* walk(child as Tree<S>, level + 1);
      }
    }
    yield* walk(this.#root, 0);
  }

  /** Number of label sets held. */
  get seriesCount(): number {
    return this.#size;
  }

  /**
   * The series of one label set for a child bound with `labels()`: resolved once, and again
   * after `reset` or `remove` (which bump the generation), or while the cardinality cap drops
   * it (each sample then counts as dropped).
   */
  protected boundSeries(labels: Labels): () => S | null {
    const fixed = { ...labels };
    let series = this.seriesFor(fixed);
    let generation = this.#generation;
    return () => {
      if (series === null || generation !== this.#generation) {
        series = this.seriesFor(fixed);
        generation = this.#generation;
      }
      return series;
    };
  }

  /** Forgets every series (a labelled metric then shows no samples until used again). */
  reset(): void {
    this.#root = new Map();
    this.#single = null;
    this.#size = 0;
    this.#generation++;
  }

  /** Forgets one label set. */
  remove(labels: Labels): void {
    const names = this.labelNames;
    if (names.length === 0) {
      this.reset();
      return;
    }
    const path = this.#validate(labels);
    const nodes: Tree<S>[] = [this.#root];
    for (let i = 0; i < path.length - 1; i++) {
      const next = nodes[i]?.get(path[i] as string) as Tree<S> | undefined;
      if (next === undefined) return;
      nodes.push(next);
    }
    if (nodes[nodes.length - 1]?.delete(path[path.length - 1] as string)) {
      this.#size--;
      this.#generation++;
    }
  }

  /** The metric's state as plain data. */
  snapshot(): MetricSnapshot {
    // An unlabelled metric is exposed (as 0) from the moment it is declared, as client libraries do.
    if (this.labelNames.length === 0) this.#single ??= this.#add([]);
    const series: SeriesSnapshot[] = [];
    for (const s of this.allSeries()) series.push(this.snapshotSeries(s));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      labelNames: this.labelNames,
      aggregator: this.aggregator,
      ...this.snapshotExtras(),
      series,
    };
  }
}

/** Splits the `(labels?, n)` argument forms: `inc()`, `inc(5)`, `inc({ a: 'x' })`, `inc({ a: 'x' }, 5)`. */
export function labelsAndValue(
  a: Labels | number | undefined,
  b: number | undefined,
  fallback: number | undefined,
): [Labels | undefined, number] {
  if (typeof a === 'number') return [undefined, a];
  const value = b ?? fallback;
  if (value === undefined) throw new MetricsError('A value is required', 'ERR_METRIC_VALUE');
  return [a, value];
}
