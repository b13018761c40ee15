import { channel } from 'node:diagnostics_channel';

/**
 * `covet:trace:span`: every finished, sampled span of Covet's tracer (its `SpanData`, times
 * in Unix nanoseconds as `bigint`) — for the console's waterfall and custom exporters.
 * Publishing costs nothing while nobody subscribes.
 *
 * @example
 * diagnostics_channel.subscribe('covet:trace:span', (span) => console.log(span.name));
 */
export const spanChannel = channel('covet:trace:span');

/** The message on the `covet:health:check` diagnostics channel: one per check run. */
export interface HealthCheckMessage {
  readonly name: string;
  readonly status: 'healthy' | 'unhealthy';
  readonly latencyMs: number;
  readonly error?: string;
}

/**
 * `covet:health:check`: the result of every health check a `HealthChecker` runs.
 *
 * @example
 * diagnostics_channel.subscribe('covet:health:check', (m) => m.status === 'unhealthy' && alert(m.name));
 */
export const healthCheckChannel = channel('covet:health:check');
