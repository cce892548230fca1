// The feature dictionary and the run's configuration, as the run used them.
import { formatCount } from './format.js';
import type { ConfigValue, FeatureUnit, ReportModel } from './model.js';
import { esc, section } from './parts.js';

export function featuresSection(model: ReportModel): string | undefined {
  const features = model.features;
  if (features === undefined || features.length === 0) return undefined;
  const unitText: Record<FeatureUnit, string> = {
    days: 'days',
    count: 'count',
    currency: model.currency,
    share: 'share (%)',
    number: 'number',
  };
  const rows = features
    .map(
      (f) =>
        `<tr><td><strong>${esc(f.label)}</strong><div class="code">${esc(f.name)}</div></td><td>${esc(f.description)}</td><td>${esc(unitText[f.unit])}</td><td class="num">${
          f.windowDays === undefined ? '—' : esc(`${formatCount(f.windowDays)} days`)
        }</td></tr>`,
    )
    .join('\n');
  return section(
    'features',
    'Feature dictionary',
    `<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Feature</th><th scope="col">What it measures</th><th scope="col">Unit</th><th scope="col" class="num">Window</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
  );
}

function flattenConfig(value: ConfigValue, path: string, out: [string, string][]): void {
  if (value === null) out.push([path, 'null']);
  else if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object'))
      out.push([path, value.map((v) => String(v)).join(', ')]);
    else
      value.forEach((v, i) => {
        flattenConfig(v, `${path}[${i}]`, out);
      });
  } else if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.push([path, '{}']);
    for (const k of keys) flattenConfig(value[k], path === '' ? k : `${path}.${k}`, out);
  } else out.push([path, String(value)]);
}

export function configSection(model: ReportModel): string | undefined {
  if (model.config === undefined) return undefined;
  const pairs: [string, string][] = [];
  flattenConfig(model.config, '', pairs);
  const rows = pairs
    .map(
      ([k, v]) =>
        `<tr><th scope="row"><code>${esc(k === '' ? '(value)' : k)}</code></th><td><code>${esc(v)}</code></td></tr>`,
    )
    .join('\n');
  return section(
    'config',
    'Run configuration',
    `<div class="table-wrap"><table class="data config"><thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
    'The settings this run used, after defaults were applied.',
  );
}
