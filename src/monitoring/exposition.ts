import type { MetricSnapshot, SeriesSnapshot } from './metric.js';
import { quantileOf } from './summary.js';

/** `Content-Type` of the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** `Content-Type` of OpenMetrics 1.0.0. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The two text formats Covet writes. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * Picks the format for an `Accept` header: OpenMetrics when the client ranks
 * `application/openmetrics-text` at least as high as anything else it accepts (Prometheus
 * asks for it first), else the 0.0.4 text format — also for no header or `*\/*`.
 *
 * @example
 * negotiateFormat('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5') // 'openmetrics'
 */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  let open = -1;
  let other = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      if (p.startsWith('q=')) {
        const n = Number(p.slice(2));
        q = Number.isFinite(n) ? n : 0;
      }
    }
    if (type === 'application/openmetrics-text') open = Math.max(open, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') other = Math.max(other, q);
  }
  return open > 0 && open >= other ? 'openmetrics' : 'prometheus';
}

/** A sample value: `NaN`, `+Inf`, `-Inf` or the shortest decimal that reads back exactly. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/**
 * A float the way OpenMetrics wants `le` and `quantile` label values: canonical, as Python's
 * `repr` writes it (`1.0`, `0.25`, `1e-05`, `+Inf`); OpenMetrics parsers reject `le="1"`.
 */
export function formatCanonicalFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0.0';
  const [mantissa = '0', exp = '0'] = v.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    const fixed = String(v);
    return fixed.includes('.') ? fixed : `${fixed}.0`;
  }
  const sign = e < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** `# HELP` text: backslash and newline escaped (and `"` in OpenMetrics). */
export function escapeHelp(text: string, format: ExpositionFormat): string {
  const out = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? out.replace(/"/g, '\\"') : out;
}

/** A label value: backslash, double quote and newline escaped. */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelBlock(names: readonly string[], values: readonly string[], extra: string): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (out !== '') out += ',';
    out += `${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  if (extra !== '') out = out === '' ? extra : `${out},${extra}`;
  return out;
}

function braces(block: string): string {
  return block === '' ? '' : `{${block}}`;
}

/** Renders one family. `constant` holds pre-escaped default labels (`a="b",c="d"`). */
function renderFamily(m: MetricSnapshot, format: ExpositionFormat, constant: string, out: string[]): void {
  const om = format === 'openmetrics';
  // OpenMetrics names a counter family without `_total`; its sample carries the suffix.
  const family = om && m.type === 'counter' && m.name.endsWith('_total') ? m.name.slice(0, -6) : m.name;
  out.push(`# TYPE ${family} ${m.type}\n`);
  if (m.help !== '') out.push(`# HELP ${family} ${escapeHelp(m.help, format)}\n`);
  const leFormat = om ? formatCanonicalFloat : formatValue;
  for (const s of m.series) {
    const labels = labelBlock(m.labelNames, s.labels, constant);
    switch (m.type) {
      case 'counter': {
        const sample = om ? `${family}_total` : m.name;
        out.push(`${sample}${braces(labels)} ${formatValue(s.value ?? 0)}\n`);
        break;
      }
      case 'gauge':
        out.push(`${m.name}${braces(labels)} ${formatValue(s.value ?? 0)}\n`);
        break;
      case 'histogram':
        renderHistogram(m, s, labels, leFormat, om, out);
        break;
      case 'summary':
        renderSummary(m, s, labels, leFormat, om, out);
        break;
    }
  }
}

/**
 * OpenMetrics 1.0 makes a histogram's or summary's `_sum` a counter, which must not be
 * negative, forbids it outright for histograms with a negative bucket, and wants `_count`
 * exactly when `_sum` is there: in those cases both are left out (a histogram's `+Inf` bucket
 * still counts; the 0.0.4 format, which has no such rules, keeps them), so that strict parsers
 * read the rest of the output.
 */
function omitSum(om: boolean, sum: number, lowestBucket = 0): boolean {
  return om && (sum < 0 || lowestBucket < 0);
}

function renderHistogram(m: MetricSnapshot, s: SeriesSnapshot, labels: string, fmt: (v: number) => string, om: boolean, out: string[]): void {
  const bounds = m.buckets ?? [];
  const counts = s.buckets ?? [];
  const prefix = labels === '' ? '' : `${labels},`;
  for (let i = 0; i < bounds.length; i++) {
    out.push(`${m.name}_bucket{${prefix}le="${fmt(bounds[i] as number)}"} ${formatValue(counts[i] ?? 0)}\n`);
  }
  out.push(`${m.name}_bucket{${prefix}le="+Inf"} ${formatValue(counts[bounds.length] ?? s.count ?? 0)}\n`);
  if (omitSum(om, s.sum ?? 0, bounds[0])) return;
  out.push(`${m.name}_sum${braces(labels)} ${formatValue(s.sum ?? 0)}\n`);
  out.push(`${m.name}_count${braces(labels)} ${formatValue(s.count ?? 0)}\n`);
}

/** A summary's quantiles (OpenMetrics has no negative quantile values: those are left out there), sum and count. */
function renderSummary(m: MetricSnapshot, s: SeriesSnapshot, labels: string, fmt: (v: number) => string, om: boolean, out: string[]): void {
  const sorted = [...(s.samples ?? [])].sort((a, b) => a - b);
  const prefix = labels === '' ? '' : `${labels},`;
  for (const q of m.quantiles ?? []) {
    const value = quantileOf(sorted, q);
    if (om && value < 0) continue;
    out.push(`${m.name}{${prefix}quantile="${fmt(q)}"} ${formatValue(value)}\n`);
  }
  if (omitSum(om, s.sum ?? 0)) return;
  out.push(`${m.name}_sum${braces(labels)} ${formatValue(s.sum ?? 0)}\n`);
  out.push(`${m.name}_count${braces(labels)} ${formatValue(s.count ?? 0)}\n`);
}

/**
 * Writes metric snapshots in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 (which ends
 * with `# EOF`). A metric without labels shows a sample even before it is used; a labelled one
 * shows its `# TYPE` line only until a label set is used.
 *
 * @example
 * renderExposition(await backend.collect(), 'prometheus')
 */
export function renderExposition(
  families: readonly MetricSnapshot[],
  format: ExpositionFormat,
  defaultLabels: Readonly<Record<string, string>> = {},
): string {
  const constant = Object.entries(defaultLabels)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');
  const out: string[] = [];
  for (const m of families) renderFamily(m, format, constant, out);
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}
