import { MetricsError } from './metrics-error.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// In `u` mode a paired surrogate is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws unless `name` is a valid Prometheus metric name. */
export function assertMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new MetricsError(`Invalid metric name ${JSON.stringify(name)}: must match ${METRIC_NAME.source}`, 'ERR_METRIC_NAME');
  }
}

/**
 * Checks declared label names: valid, unique, not reserved (`__*`), and not the names the
 * format itself adds to a histogram (`le`) or summary (`quantile`).
 */
export function checkLabelNames(metric: string, names: unknown, reserved: readonly string[]): readonly string[] {
  if (!Array.isArray(names)) throw new MetricsError(`Metric ${metric}: label names must be an array of strings`, 'ERR_METRIC_LABEL_NAME');
  const seen = new Set<string>();
  for (const name of names as unknown[]) {
    if (typeof name !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new MetricsError(
        `Metric ${metric}: invalid label name ${JSON.stringify(name)} (must match ${LABEL_NAME.source} and not start with "__")`,
        'ERR_METRIC_LABEL_NAME',
      );
    }
    if (reserved.includes(name))
      throw new MetricsError(`Metric ${metric}: label name "${name}" is reserved for this metric type`, 'ERR_METRIC_LABEL_NAME');
    if (seen.has(name)) throw new MetricsError(`Metric ${metric}: label name "${name}" is declared twice`, 'ERR_METRIC_LABEL_NAME');
    seen.add(name);
  }
  return Object.freeze([...seen]);
}

/** A label value as the format carries it: strings as is, finite numbers and booleans as text. */
export function labelValue(metric: string, name: string, value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'bigint')
    text = String(value);
  else {
    throw new MetricsError(
      `Metric ${metric}: label "${name}" needs a string, finite number or boolean value, got ${value === null ? 'null' : typeof value}`,
      'ERR_METRIC_LABEL_VALUE',
    );
  }
  // Lone surrogates cannot be encoded as UTF-8, which the format requires.
  if (LONE_SURROGATE.test(text))
    throw new MetricsError(`Metric ${metric}: label "${name}" is not well-formed Unicode`, 'ERR_METRIC_LABEL_VALUE');
  return text;
}
