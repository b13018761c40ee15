import { CovetError } from '../errors.js';

/** The stable codes of `MetricsError`. */
export type MetricsErrorCode =
  | 'ERR_METRIC_NAME'
  | 'ERR_METRIC_LABEL_NAME'
  | 'ERR_METRIC_LABELS'
  | 'ERR_METRIC_LABEL_VALUE'
  | 'ERR_METRIC_VALUE'
  | 'ERR_METRIC_CONFLICT'
  | 'ERR_METRIC_OPTIONS';

/**
 * Thrown when a metric is declared or used in a way the exposition format cannot represent:
 * a bad metric or label name, a label set that does not match the declared names, a negative
 * counter increment, or two declarations of one name that disagree.
 *
 * @example
 * try { metrics.counter('http requests') } catch (e) { if (e instanceof MetricsError) e.code // 'ERR_METRIC_NAME' }
 */
export class MetricsError extends CovetError {
  declare readonly code: MetricsErrorCode;

  constructor(message: string, code: MetricsErrorCode) {
    super(message, { code });
  }
}
