/** Where the monitoring module reports problems it handles itself (dropped series, failed exports). */
export interface MonitoringLogger {
  warn?(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Logs a warning through `warn` when the logger has one, else `error`. */
export function warn(logger: MonitoringLogger, message: string, meta?: Record<string, unknown>): void {
  if (typeof logger.warn === 'function') logger.warn(message, meta);
  else logger.error(message, meta);
}
