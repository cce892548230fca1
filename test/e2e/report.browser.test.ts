// Loads the rendered sample report in headless Chromium (Debian's package, driven by playwright-core):
// no console errors, no network requests, every chart drawn, user input inert; saves out/report.png.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../lib/report/html.js';
import type { ReportModel } from '../../lib/report/model.js';
import { lazyBrowser } from '../support/browser.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'events/report/sample-model.json');
const SCREENSHOT = join(ROOT, 'out/report.png');
/** The first screenful and a bit: what docs/report.png shows in the README. */
const SCREENSHOT_TOP = join(ROOT, 'out/report-top.png');

function sampleModel(): ReportModel {
  return JSON.parse(readFileSync(SAMPLE, 'utf8')) as ReportModel;
}

describe('report in headless Chromium', () => {
  let dir: string;

  // launched lazily from each test (not beforeAll) so a missing browser fails every test with the fix
  const browser = lazyBrowser();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-e2e-'));
  });

  afterAll(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the sample report with every chart drawn and no errors or requests', async () => {
    // Prepare
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(sampleModel()));
    const page = await (await browser()).newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
    });
    page.on('requestfailed', (r) => failed.push(r.url()));

    // Act
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = await page.$$eval('figure svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          id: svg.getAttribute('aria-labelledby') ?? '',
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll('.mark').length,
          drawnMarks: [...svg.querySelectorAll('.mark')].filter((m) => {
            // The tsconfig has no DOM lib; this callback runs in the page, where getBBox exists.
            const b = (m as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          }).length,
          hasTitle: svg.querySelector('title') !== null && svg.querySelector('desc') !== null,
        };
      }),
    );
    const figures = await page.$$eval('figure', (fs) =>
      fs.map((f) => ({
        caption: f.querySelector('figcaption') !== null,
        table: f.querySelector('details table') !== null,
      })),
    );
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.screenshot({
      path: SCREENSHOT_TOP,
      clip: { x: 0, y: 0, width: 1280, height: 1640 },
      fullPage: true,
    });

    // Assess
    expect(consoleErrors).toEqual([]);
    expect(failed).toEqual([]);
    expect(requests).toEqual([]);
    // overview sizes, 5 profiles, heatmap, RFM, lift, calibration, CLV, stability, sizes over runs
    expect(charts.length).toBe(13);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(0);
      expect(c.height, c.id).toBeGreaterThan(0);
      expect(c.drawnMarks, c.id).toBeGreaterThan(0);
      expect(c.hasTitle, c.id).toBe(true);
    }
    expect(figures.every((f) => f.caption && f.table)).toBe(true);
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  });

  it('keeps a <script> in a segment name inert', async () => {
    // Prepare
    const model = sampleModel();
    model.segments[0].name =
      '<script>window.__pwned = true</script><img src=x onerror="window.__pwned=true">';
    model.config = { note: '<script>window.__pwned = true</script>' };
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReport(model));
    const page = await (await browser()).newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });

    // Act
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const pwned = await page.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned === true);
    const scripts = await page.$$eval('script', (s) => s.length);
    const heading = await page.textContent('#segments article h3');

    // Assess
    expect(pwned).toBe(false);
    expect(scripts).toBe(0);
    expect(heading).toContain('<script>window.__pwned = true</script>');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
