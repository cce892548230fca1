import { describe, expect, it } from 'vitest';
import {
  calibrationChart,
  crossTabChart,
  divergingColor,
  heatmap,
  histogram,
  horizontalBarChart,
  liftChart,
  lineChart,
  niceTicks,
  profileChart,
  wrapText,
} from '../../../lib/report/charts.js';

interface Rect {
  cls: string;
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
}

/** Data rectangles (class "mark …") in document order. */
function markRects(svg: string): Rect[] {
  const re =
    /<rect class="(mark [a-z]+)" x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"[^>]*?fill="(#[0-9a-fA-F]{6})"/g;
  return [...svg.matchAll(re)].map((m) => ({
    cls: m[1],
    x: Number(m[2]),
    y: Number(m[3]),
    width: Number(m[4]),
    height: Number(m[5]),
    fill: m[6],
  }));
}

function expectAccessibleSvg(svg: string, id: string, title: string): void {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.endsWith('</svg>')).toBe(true);
  expect(svg).toContain(`role="img" aria-labelledby="${id}-title ${id}-desc"`);
  expect(svg).toContain(`<title id="${id}-title">${title}</title>`);
  expect(svg).toMatch(new RegExp(`<desc id="${id}-desc">[^<]+</desc>`));
  expect(svg).toMatch(/viewBox="0 0 [\d.]+ [\d.]+"/);
}

describe('horizontalBarChart', () => {
  it('draws one bar per value with lengths proportional to the values', () => {
    // Prepare
    const bars = [
      { label: 'A', value: 100, valueLabel: '100' },
      { label: 'B', value: 50, valueLabel: '50' },
      { label: 'C', value: 25, valueLabel: '25' },
      { label: 'D', value: 0, valueLabel: '0' },
    ];

    // Act
    const svg = horizontalBarChart({ id: 'c1', title: 'Sizes', desc: 'Four bars.', bars });
    const rects = markRects(svg);

    // Assess
    expectAccessibleSvg(svg, 'c1', 'Sizes');
    expect(rects).toHaveLength(4);
    expect(rects[1].width / rects[0].width).toBeCloseTo(0.5, 2);
    expect(rects[2].width / rects[0].width).toBeCloseTo(0.25, 2);
    expect(rects[3].width).toBe(0);
    expect(new Set(rects.map((r) => r.x)).size).toBe(1);
  });

  it('honours a fixed scale maximum and per-bar colours', () => {
    const svg = horizontalBarChart({
      id: 'c2',
      title: 't',
      desc: 'd',
      max: 200,
      width: 640,
      bars: [{ label: 'A', value: 100, valueLabel: '100', color: '#0072B2' }],
    });
    const [bar] = markRects(svg);
    expect(bar.fill).toBe('#0072B2');
    expect(bar.width).toBeGreaterThan(0);
    expect(bar.x + bar.width * 2).toBeLessThanOrEqual(640);
  });

  it('escapes labels', () => {
    const svg = horizontalBarChart({
      id: 'c3',
      title: '<b>t</b>',
      desc: 'd',
      bars: [{ label: '<script>alert(1)</script>', value: 1, valueLabel: '1' }],
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;script&gt;');
  });
});

describe('profileChart', () => {
  it('puts double and half the population at equal distances either side of 100', () => {
    // Act
    const svg = profileChart({
      id: 'p',
      title: 'Profile',
      desc: 'd',
      items: [
        { label: 'Double', index: 200 },
        { label: 'Half', index: 50 },
        { label: 'Same', index: 100 },
      ],
    });
    const [double, half, same] = markRects(svg);

    // Assess
    expectAccessibleSvg(svg, 'p', 'Profile');
    expect(double.width).toBeCloseTo(half.width, 0);
    expect(half.x + half.width).toBeCloseTo(double.x, 0);
    expect(same.width).toBe(0);
    expect(double.fill).toBe('#0072B2');
    expect(half.fill).toBe('#D55E00');
  });

  it('clips extreme indices to the scale with an arrow and shows n/a when there is no index', () => {
    const svg = profileChart({
      id: 'p2',
      title: 't',
      desc: 'd',
      items: [
        { label: 'Huge', index: 1000 },
        { label: 'Big', index: 400 },
        { label: 'Unknown', index: null },
      ],
    });
    const rects = markRects(svg);
    expect(rects).toHaveLength(2);
    expect(rects[0].width).toBeCloseTo(rects[1].width, 1);
    expect(svg.match(/<path d="M/g)).toHaveLength(1);
    expect(svg).toContain('>1,000</text>');
    expect(svg).toContain('>n/a</text>');
  });
});

describe('heatmap', () => {
  it('draws rows × columns cells on a diverging scale centred on 100', () => {
    // Prepare
    const rows = ['f1', 'f2', 'f3'];
    const cols = ['s1', 's2', 's3', 's4'];
    const values = [
      [100, 200, 50, 400],
      [25, 100, 100, 100],
      [null, 150, 80, 100],
    ];

    // Act
    const svg = heatmap({ id: 'h', title: 'Heat', desc: 'd', rows, cols, values });
    const cells = markRects(svg);

    // Assess
    expectAccessibleSvg(svg, 'h', 'Heat');
    expect(cells).toHaveLength(rows.length * cols.length);
    expect(cells[0].fill).toBe('#f7f7f7');
    expect(cells[1].fill).toBe(divergingColor(200));
    expect(cells[3].fill).toBe('#2166ac');
    expect(cells[4].fill).toBe('#b35806');
    expect(cells[8].fill).toBe('#ffffff');
    expect(svg).toContain('<linearGradient id="h-grad"');
  });

  it('is symmetric in ratio: 200 and 50 are equally far from neutral', () => {
    const toRgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
    const mid = toRgb(divergingColor(100));
    const dist = (hex: string) => Math.hypot(...toRgb(hex).map((c, i) => c - mid[i]));
    expect(dist(divergingColor(200))).toBeGreaterThan(40);
    expect(dist(divergingColor(50))).toBeGreaterThan(40);
    expect(divergingColor(1e6)).toBe(divergingColor(400));
  });
});

describe('crossTabChart', () => {
  it('draws one cell per count, shaded by share of the row, with counts and shares printed', () => {
    // Act
    const svg = crossTabChart({
      id: 'x',
      title: 'Cross',
      desc: 'd',
      rows: ['a', 'b'],
      cols: ['g1', 'g2', 'g3'],
      counts: [
        [90, 10, 0],
        [1234, 1234, 2468],
      ],
    });
    const cells = markRects(svg);

    // Assess
    expectAccessibleSvg(svg, 'x', 'Cross');
    expect(cells).toHaveLength(6);
    expect(cells[0].fill).not.toBe(cells[1].fill);
    expect(cells[2].fill).toBe('#f7fbff');
    expect(cells[3].fill).toBe(cells[4].fill);
    expect(svg).toContain('>90\u00a0%</text>');
    expect(svg).toContain('>2,468</text>');
  });
});

describe('lineChart', () => {
  it('draws one path per series, breaking at missing values, with a marker per point', () => {
    // Act
    const svg = lineChart({
      id: 'l',
      title: 'Lines',
      desc: 'd',
      xLabels: ['r1', 'r2', 'r3', 'r4\nthis run'],
      series: [
        { name: 'A', values: [10, 20, 30, 40] },
        { name: 'B', values: [5, null, 15, 20] },
      ],
      yFormat: (v) => String(v),
    });
    const paths = [...svg.matchAll(/<path class="mark line" d="([^"]+)"/g)].map((m) => m[1]);

    // Assess
    expectAccessibleSvg(svg, 'l', 'Lines');
    expect(paths).toHaveLength(2);
    expect(paths[0].match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L']);
    expect(paths[1].match(/[ML]/g)).toEqual(['M', 'M', 'L']);
    expect(svg.match(/class="mark point"/g)).toHaveLength(7);
    expect(svg).toContain('>this run</text>');
    expect(svg).toMatch(/fill="#0072B2" font-weight="600"[^>]*>A<\/text>/);
  });

  it('maps values linearly onto the y axis', () => {
    const svg = lineChart({
      id: 'l2',
      title: 't',
      desc: 'd',
      xLabels: ['a', 'b', 'c'],
      series: [{ name: 'S', values: [0, 0.5, 1] }],
      yFormat: (v) => String(v),
      yMin: 0,
      yMax: 1,
    });
    const ys = [...svg.matchAll(/class="mark point" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[0] - ys[1]).toBeCloseTo(ys[1] - ys[2], 0);
    expect(ys[0]).toBeGreaterThan(ys[2]);
  });
});

describe('histogram', () => {
  it('draws adjacent bins with heights proportional to counts', () => {
    // Act
    const svg = histogram({
      id: 'hi',
      title: 'Hist',
      desc: 'd',
      bins: [
        { from: 0, to: 100, count: 400 },
        { from: 100, to: 200, count: 200 },
        { from: 200, count: 100 },
      ],
      xFormat: (v) => `$${v}`,
      xTitle: 'Value',
    });
    const bars = markRects(svg);

    // Assess
    expectAccessibleSvg(svg, 'hi', 'Hist');
    expect(bars).toHaveLength(3);
    expect(bars[1].height / bars[0].height).toBeCloseTo(0.5, 2);
    expect(bars[2].height / bars[0].height).toBeCloseTo(0.25, 2);
    expect(bars[1].x - bars[0].x).toBeCloseTo(bars[2].x - bars[1].x, 0);
    expect(bars[0].y + bars[0].height).toBeCloseTo(bars[1].y + bars[1].height, 0);
    expect(svg).toContain('>and above</text>');
  });
});

describe('liftChart', () => {
  it('draws one bar per decile, proportional to lift, with the 1× reference line', () => {
    // Act
    const svg = liftChart({
      id: 'li',
      title: 'Lift',
      desc: 'd',
      deciles: [
        { decile: 1, lift: 3 },
        { decile: 2, lift: 1.5 },
        { decile: 3, lift: 0.75 },
      ],
    });
    const bars = markRects(svg);
    const ref =
      /<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="#1f2933" stroke-dasharray/.exec(svg);

    // Assess
    expectAccessibleSvg(svg, 'li', 'Lift');
    expect(bars).toHaveLength(3);
    expect(bars[1].height / bars[0].height).toBeCloseTo(0.5, 2);
    expect(bars[2].height / bars[0].height).toBeCloseTo(0.25, 2);
    const baseline = bars[0].y + bars[0].height;
    expect(ref).not.toBeNull();
    expect(baseline - Number(ref?.[1])).toBeCloseTo(bars[0].height / 3, 0);
    expect(svg).toContain('>3.0×</text>');
  });
});

describe('calibrationChart', () => {
  it('plots one point per bin and a diagonal from the origin to the top corner', () => {
    // Act
    const svg = calibrationChart({
      id: 'ca',
      title: 'Calibration',
      desc: 'd',
      points: [
        { predicted: 0.1, observed: 0.1, customers: 100 },
        { predicted: 0.3, observed: 0.25, customers: 400 },
        { predicted: 0.2, observed: 0.22, customers: 200 },
      ],
    });
    const diag = /<line class="diagonal" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/.exec(svg);
    const points = [...svg.matchAll(/class="mark point" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/g)].map(
      (m) => ({
        cx: Number(m[1]),
        cy: Number(m[2]),
        r: Number(m[3]),
      }),
    );

    // Assess
    expectAccessibleSvg(svg, 'ca', 'Calibration');
    expect(diag).not.toBeNull();
    const [x1, y1, x2, y2] = (diag ?? []).slice(1).map(Number);
    expect(x2 - x1).toBeCloseTo(y1 - y2, 1);
    expect(points).toHaveLength(3);
    // The perfectly calibrated bin sits on the diagonal.
    const onDiag = points[0];
    expect((onDiag.cx - x1) / (x2 - x1)).toBeCloseTo((y1 - onDiag.cy) / (y1 - y2), 2);
    // Points are sized by customers.
    expect(points[2].r).toBeGreaterThan(points[1].r);
    expect(points[1].r).toBeGreaterThan(points[0].r);
  });
});

describe('helpers', () => {
  it('picks nice ticks covering the range', () => {
    expect(niceTicks(0, 13760, 4)).toEqual([0, 5000, 10000, 15000]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 3.3, 4)).toEqual([0, 1, 2, 3, 4]);
  });

  it('wraps long labels and ellipsises past the line limit', () => {
    expect(wrapText('Loyal high spenders', 90, 12, 2)).toEqual(['Loyal high', 'spenders']);
    const lines = wrapText('a very long label that will not fit in two short lines at all', 60, 12, 2);
    expect(lines).toHaveLength(2);
    expect(lines[1].endsWith('…')).toBe(true);
  });
});
