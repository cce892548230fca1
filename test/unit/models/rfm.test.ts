import { describe, expect, it } from 'vitest';
import {
  assignRfm,
  crossTab,
  fitRfm,
  mergeCrossTabs,
  RFM_GROUPS,
  rfmGroup,
  scoreHigh,
  scoreLow,
} from '../../../lib/models/rfm.js';

describe('RFM scores and groups', () => {
  it('cuts quintiles and scores 1–5 with recency reversed', () => {
    // Prepare: values 1..100
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    // Act
    const m = fitRfm(v, v, v);
    // Assess: numpy-style percentiles of 1..100
    expect(m.frequencyCuts).toEqual([20.8, 40.6, 60.4, 80.2]);
    expect(scoreHigh(1, m.frequencyCuts)).toBe(1);
    expect(scoreHigh(50, m.frequencyCuts)).toBe(3);
    expect(scoreHigh(100, m.frequencyCuts)).toBe(5);
    expect(scoreLow(1, m.recencyCuts)).toBe(5); // ordered yesterday: best
    expect(scoreLow(100, m.recencyCuts)).toBe(1);
  });

  it('maps the R × FM grid to the usual named groups', () => {
    expect(rfmGroup(5, 5, 4)).toBe('Champions');
    expect(rfmGroup(4, 4, 5)).toBe('Loyal');
    expect(rfmGroup(3, 5, 4)).toBe('Loyal');
    expect(rfmGroup(5, 3, 2)).toBe('Potential Loyalists');
    expect(rfmGroup(5, 1, 1)).toBe('New');
    expect(rfmGroup(4, 1, 1)).toBe('Promising');
    expect(rfmGroup(3, 3, 3)).toBe('Need Attention');
    expect(rfmGroup(3, 1, 2)).toBe('About to Sleep');
    expect(rfmGroup(2, 3, 4)).toBe('At Risk');
    expect(rfmGroup(1, 5, 5)).toBe("Can't Lose");
    expect(rfmGroup(2, 2, 1)).toBe('Hibernating');
    expect(rfmGroup(1, 1, 2)).toBe('Lost');
    // every cell of the grid has a group
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) seen.add(rfmGroup(r, f, m));
    expect([...seen].sort()).toEqual([...RFM_GROUPS].sort());
  });

  it('assigns customers and cross-tabs them against learned segments, mergeably', () => {
    // Prepare
    const recency = Float64Array.from([1, 2, 300, 400, 5, 350]);
    const frequency = Float64Array.from([20, 15, 1, 1, 1, 30]);
    const monetary = Float64Array.from([900, 800, 20, 10, 30, 2000]);
    const model = fitRfm(recency, frequency, monetary);
    // Act
    const groups = assignRfm(model, recency, frequency, monetary);
    const segments = [0, 0, 1, 1, 1, 0];
    const whole = crossTab(segments, groups, 2);
    const halves = mergeCrossTabs([
      crossTab(segments.slice(0, 3), groups.slice(0, 3), 2),
      crossTab(segments.slice(3), groups.slice(3), 2),
    ]);
    // Assess
    expect(RFM_GROUPS[groups[0]]).toBe('Champions');
    expect(RFM_GROUPS[groups[3]]).toBe('Lost');
    expect(RFM_GROUPS[groups[5]]).toBe("Can't Lose");
    expect(halves).toEqual(whole);
    expect(whole.flat().reduce((a, b) => a + b, 0)).toBe(6);
  });
});
