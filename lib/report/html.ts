// Renders a run's ReportModel into one self-contained HTML page for marketers: inline CSS, inline SVG
// charts, no script, no network, so it works offline and as a mail attachment. Pure and synchronous;
// the same model always gives byte-identical HTML (nothing here reads the clock or the environment).
// This module checks the model and assembles the page; each section is built in its own module.
import { heatmapSection, rfmSection, segmentsSection } from './cards.js';
import { configSection, featuresSection } from './dictionary.js';
import { formatDate } from './format.js';
import { historySection } from './history.js';
import type { ReportModel } from './model.js';
import { clvSection, lookalikeSection, propensitySection } from './models.js';
import { overview } from './overview.js';
import { esc, segmentRefs } from './parts.js';
import { CSS } from './style.js';

/** The model cannot be rendered as given; the message names the field and what to fix. */
export class ReportModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportModelError';
  }
}

function validate(model: ReportModel): void {
  const ids = new Set<string>();
  for (const s of model.segments) {
    if (ids.has(s.id))
      throw new ReportModelError(`Segment id "${s.id}" appears twice; every segment needs its own id.`);
    ids.add(s.id);
  }
  if (model.rfm !== undefined) {
    for (const row of model.rfm.rows) {
      if (!ids.has(row.segmentId))
        throw new ReportModelError(
          `RFM cross-tab names segment "${row.segmentId}", which is not in the report's segments.`,
        );
      if (row.counts.length !== model.rfm.groups.length)
        throw new ReportModelError(
          `RFM cross-tab row for "${row.segmentId}" has ${row.counts.length} counts but there are ${model.rfm.groups.length} RFM groups.`,
        );
    }
  }
}

function header(model: ReportModel, title: string): string {
  const meta = [
    `Dataset <strong>${esc(model.dataset)}</strong>`,
    `data as of <strong>${esc(formatDate(model.asOf))}</strong>`,
    `run <code>${esc(model.runId)}</code>`,
  ];
  if (model.generatedAt !== undefined) meta.push(`finished ${esc(formatDate(model.generatedAt))}`);
  return `<header class="page-header">\n<p class="kicker">Audience segmentation report</p>\n<h1>${esc(title)}</h1>\n<p class="meta">${meta.join(' · ')}</p>\n</header>`;
}

function nav(links: [string, string][]): string {
  const items = links.map(([id, label]) => `<li><a href="#${id}">${esc(label)}</a></li>`).join('');
  return `<nav aria-label="Sections"><ul>${items}</ul></nav>`;
}

/** Renders the report as one self-contained HTML document. Throws ReportModelError on an inconsistent model. */
export function renderReport(model: ReportModel): string {
  validate(model);
  const title = model.title ?? `Audience segments: ${model.dataset}`;
  const refs = segmentRefs(model);
  const sections: [string, string, string | undefined][] = [
    ['overview', 'Overview', overview(model, refs)],
    ['segments', 'Segments', refs.length > 0 ? segmentsSection(model, refs) : undefined],
    ['profiles', 'Profiles', heatmapSection(model, refs)],
    ['rfm', 'RFM', rfmSection(model, refs)],
    ['propensity', 'Propensity', propensitySection(model)],
    ['lookalike', 'Lookalike', lookalikeSection(model)],
    ['clv', 'Lifetime value', clvSection(model)],
    ['history', 'History', historySection(model, refs)],
    ['features', 'Features', featuresSection(model)],
    ['config', 'Configuration', configSection(model)],
  ];
  const present = sections.filter((s): s is [string, string, string] => s[2] !== undefined);
  const footer = `<footer>Generated from run <code>${esc(model.runId)}</code> of dataset ${esc(model.dataset)}, data as of ${esc(
    formatDate(model.asOf),
  )}. Figures are counts of customers unless stated; money in ${esc(model.currency)}.</footer>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="color-scheme" content="light">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    header(model, title),
    nav(present.map(([id, label]) => [id, label])),
    '<main>',
    ...present.map((s) => s[2]),
    '</main>',
    footer,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
