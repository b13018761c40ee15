export { correlationIdOf } from './correlation-id.js';
export { LineWriter, type LogDestination } from './log-destination.js';
export { LEVEL_VALUES, LOG_LEVELS, type LogLevel, type LogLevelInput, parseLevel } from './log-level.js';
export { REDACTED, type RedactOptions, Redactor } from './redact.js';
export { type LogFields, type RequestLoggingOptions, StructuredLogger, type StructuredLoggerOptions } from './structured-logger.js';
