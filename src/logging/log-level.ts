/** The levels, lowest first (the seed's and Python's names; `WARN` and `FATAL` are accepted too). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

/** A level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What `level` options accept: any case, plus `WARN`/`FATAL` aliases. */
export type LogLevelInput = LogLevel | Lowercase<LogLevel> | 'WARN' | 'warn' | 'FATAL' | 'fatal';

/** The numeric severity of each level (Python's logging values). */
export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

/**
 * The canonical level for a name; throws `RangeError` for an unknown one.
 *
 * @example
 * parseLevel('warn') // 'WARNING'
 */
export function parseLevel(input: string): LogLevel {
  const upper = typeof input === 'string' ? input.toUpperCase() : '';
  if (upper === 'WARN') return 'WARNING';
  if (upper === 'FATAL') return 'CRITICAL';
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevel;
  throw new RangeError(`Unknown log level ${JSON.stringify(input)} (use one of ${LOG_LEVELS.join(', ')})`);
}
