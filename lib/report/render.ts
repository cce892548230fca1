// Turns a run summary into the self-contained report.html marketers open.
import type { RunSummary } from '../pipeline/summary.js';

const esc = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function renderRunReport(summary: RunSummary): string {
  const rows = summary.segments
    .map(
      (s) =>
        `<tr><td>${esc(s.name)}</td><td>${s.size.toLocaleString('en-US')}</td><td>${(s.share * 100).toFixed(1)} %</td><td>${esc(s.description)}</td><td>${esc(s.status)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Segments: ${esc(summary.dataset)}</title></head><body><h1>Segments for ${esc(summary.dataset)}</h1><p>Run ${esc(summary.runId)}, as of ${esc(summary.asOf)}; ${summary.rows.read} rows read, ${summary.rows.accepted} accepted, ${summary.rows.rejected} rejected; ${summary.customers} customers.</p><table><thead><tr><th>Segment</th><th>Customers</th><th>Share</th><th>Description</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table></body></html>`;
}
