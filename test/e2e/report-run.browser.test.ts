// The report of a REAL local run (the planted sample through the whole state machine) in headless
// Chromium: no console errors or requests, every chart drawn; saves out/report-run.png.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { lazyBrowser } from '../support/browser.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOT = join(ROOT, 'out/report-run.png');
/** The first screenful and a bit: what docs/report.png shows in the README. */
const SCREENSHOT_TOP = join(ROOT, 'out/report-run-top.png');

describe('report of a real local run in headless Chromium', () => {
  let env: LocalEnvironment | undefined;
  let result: LocalRunResult;
  let dir: string;

  const browser = lazyBrowser();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-run-e2e-'));
    env = await startLocalEnvironment();
    // a file destination, so the segment cards show where the hashed audiences went
    result = await runLocal(env, collectInputs([join(ROOT, 'events/data/sample')]), {
      dataset: 'sample',
      config: { destinations: { crm: { type: 'file' } } },
    });
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws every chart of the run report without errors or requests', async () => {
    // Prepare
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const file = join(dir, 'report.html');
    writeFileSync(file, await env!.store.get(result.summary!.outputs.report));
    const page = await (await browser()).newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
    });

    // Act
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = await page.$$eval('figure svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          id: svg.getAttribute('aria-labelledby') ?? '',
          width: box.width,
          height: box.height,
          drawnMarks: [...svg.querySelectorAll('.mark')].filter((m) => {
            // The tsconfig has no DOM lib; this callback runs in the page, where getBBox exists.
            const b = (m as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          }).length,
        };
      }),
    );
    const text = (await page.textContent('body')) ?? '';
    const cards = await page.$$eval('#segments article', (a) => a.length);
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.screenshot({
      path: SCREENSHOT_TOP,
      clip: { x: 0, y: 0, width: 1280, height: 1640 },
      fullPage: true,
    });

    // Assess
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
    // the overview's sizes and one profile per segment at least
    expect(charts.length).toBeGreaterThanOrEqual(1 + result.summary!.segments.length);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(0);
      expect(c.height, c.id).toBeGreaterThan(0);
      expect(c.drawnMarks, c.id).toBeGreaterThan(0);
    }
    expect(cards).toBe(result.summary!.segments.length);
    for (const s of result.summary!.segments) expect(text).toContain(s.name);
    expect(text).not.toMatch(/NaN|undefined|Infinity/);
    expect(text).toContain('38,492');
    expect(text).toContain('Hashed CSV file');
    await page.close();
  });
});
