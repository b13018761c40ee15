import type { FuzzReport } from './fuzz.js';

/**
 * A fuzz report as text for a terminal: one block per finding with its `curl` line, then a
 * summary line.
 *
 * @example
 * process.stdout.write(formatFuzzReport(await fuzz(app, { seed: 1 })));
 */
export function formatFuzzReport(report: FuzzReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const tag = f.severity === 'error' ? 'ERROR' : 'WARNING';
    const times = f.occurrences > 1 ? ` (${f.occurrences} requests)` : '';
    lines.push(`${tag} ${f.kind} ${f.operation}: ${f.message}${times}`);
    lines.push(`  input: ${f.input} [${f.caseKind} #${f.caseIndex}, seed ${f.seed}]`);
    for (const d of f.details) lines.push(`  ${d.replace(/\n/g, '\n  ')}`);
    lines.push(`  ${f.curl}`, '');
  }
  for (const s of report.notes) lines.push(`note ${s.operation}: ${s.message}`);
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const k = report.byKind;
  lines.push(
    `${report.requests} requests to ${report.operations} operations (${k.valid} valid, ${k.boundary} boundary, ${k.invalid} invalid), seed ${report.seed}: ` +
      (report.findings.length === 0
        ? 'no findings'
        : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`) +
      (report.stoppedEarly ? ' (stopped at --max-failures)' : '') +
      ` in ${report.durationMs} ms`,
  );
  return `${lines.join('\n')}\n`;
}
