// The run history: customers and segment sizes over earlier runs, and how stable the segmentation was.
import { CATEGORICAL, lineChart } from './charts.js';
import { formatCompact, formatCount, formatDate, formatPercent } from './format.js';
import type { ReportModel } from './model.js';
import { figure, type SegmentRef, section } from './parts.js';

export function historySection(model: ReportModel, refs: SegmentRef[]): string | undefined {
  const h = model.history;
  if (h === undefined || h.pastRuns.length === 0) return undefined;
  const runs = [
    ...h.pastRuns.map((r) => ({
      label: formatDate(r.asOf),
      runId: r.runId,
      stability: r.stability,
      sizes: r.segmentSizes,
      customers: r.customers,
    })),
    {
      label: formatDate(model.asOf),
      runId: model.runId,
      stability: h.currentStability,
      sizes: Object.fromEntries(model.segments.map((s) => [s.id, s.size])),
      customers: model.customers,
    },
  ];
  const xLabels = runs.map((r, i) => (i === runs.length - 1 ? `${r.label}\nthis run` : r.label));
  const figs: string[] = [];
  const stab = runs.map((r) => (r.stability === undefined ? null : r.stability));
  if (stab.some((v) => v !== null)) {
    const measured = stab.filter((v): v is number => v !== null);
    figs.push(
      figure({
        id: 'fig-history-stability',
        caption: 'Stability over runs',
        svg: lineChart({
          id: 'chart-history-stability',
          title: 'Segment stability over runs',
          desc: `Stability of segment membership against the previous run for the last ${runs.length} runs, between ${formatPercent(Math.min(...measured))} and ${formatPercent(Math.max(...measured))}.`,
          xLabels,
          series: [{ name: 'Stability', values: stab, color: CATEGORICAL[0] }],
          yFormat: (v) => formatPercent(v, 0),
          yMin: 0,
          yMax: 1,
          width: 500,
          height: 240,
        }),
        note: h.stabilityMeasure,
        table: {
          head: ['Run', 'Data as of', 'Stability'],
          rows: runs.map((r) => [
            r.runId,
            r.label,
            r.stability === undefined ? '—' : formatPercent(r.stability),
          ]),
          numeric: [2],
        },
      }),
    );
  }
  const series = refs.map((r) => ({
    name: r.segment.name,
    values: runs.map((run) => run.sizes[r.segment.id] ?? null),
    color: r.color,
  }));
  figs.push(
    figure({
      id: 'fig-history-sizes',
      caption: 'Segment sizes over runs',
      svg: lineChart({
        id: 'chart-history-sizes',
        title: 'Segment sizes over runs',
        desc: `Customers per segment in each of the last ${runs.length} runs. ${refs
          .map((r, i) => {
            const firstRun = series[i].values.findIndex((v) => v !== null);
            const first = series[i].values[firstRun];
            if (firstRun === runs.length - 1 || first === null || first === undefined)
              return `${r.segment.name} is new in this run`;
            const since = firstRun === 0 ? '' : ` since it appeared on ${runs[firstRun].label}`;
            return `${r.segment.name} went from ${formatCount(first)} to ${formatCount(r.segment.size)}${since}`;
          })
          .join('; ')}.`,
        xLabels,
        series,
        yFormat: formatCompact,
        width: 500,
        height: 260,
      }),
      table: {
        head: ['Segment', ...runs.map((r) => r.label)],
        rows: series.map((s) => [s.name, ...s.values.map((v) => (v === null ? '—' : formatCount(v)))]),
        numeric: runs.map((_, j) => j + 1),
      },
    }),
  );
  return section(
    'history',
    'Stability and size over runs',
    `<div class="fig-row">${figs.join('\n')}</div>`,
    'Segments keep their id and name from run to run by matching them to the previous run’s segments.',
  );
}
