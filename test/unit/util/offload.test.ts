// A fit moved to a worker thread must give the very model the inline call gives (CDNOW's BG/NBD here),
// and a caller must get the inline result or error whenever the worker path is not taken.
import { describe, expect, it } from 'vitest';
import { calibrationEndDay, computeClvInputs } from '../../../lib/features/clv-inputs.js';
import { fitClvHistories, fitClvParts } from '../../../lib/models/clv-pipeline.js';
import { offload } from '../../../lib/util/offload.js';
import { cdnowTransactions } from '../../support/predictive.js';

const SETTINGS = {
  enabled: true,
  calibrationEnd: '1997-09-30',
  periodDays: 7,
  horizonPeriods: 52,
  discountRatePerPeriod: 0,
  maxSpendCustomers: 200_000,
  penalizer: 0,
};

describe('offload', () => {
  // Prepare (shared)
  const asOfMs = Date.UTC(1998, 6, 1);
  const inputs = computeClvInputs(cdnowTransactions(), {
    asOfMs,
    endDay: calibrationEndDay(SETTINGS.calibrationEnd, asOfMs),
    periodDays: 7,
  });
  const args: Parameters<typeof fitClvHistories> = [[inputs.histories], SETTINGS];

  it('fits CDNOW’s BG/NBD on a worker thread to the same bits as inline', async () => {
    // Act
    const onWorker = offload('fitClvHistories', args, false, fitClvHistories);
    const inline = offload('fitClvHistories', args, true, fitClvHistories);
    // Assess
    expect(onWorker.onWorker).toBe(true);
    expect(inline.onWorker).toBe(false);
    const [a, b] = await Promise.all([onWorker.result, inline.result]);
    expect(onWorker.answeredByWorker()).toBe(true);
    expect(a).toEqual(b);
    if (!a.ok || !b.ok) throw new Error('BG/NBD was not fitted');
    expect(a.bg.r).toBe(b.bg.r);
    expect(a.bg.r.toFixed(5)).toBe('0.24259');
  });

  it('fits both CLV halves (BG/NBD, then Gamma-Gamma on the spend sample) on a worker to the same bits', async () => {
    // Prepare
    const parts: Parameters<typeof fitClvParts> = [[inputs.histories], [inputs.spend], SETTINGS];
    // Act
    const onWorker = offload('fitClvParts', parts, false, fitClvParts);
    const inline = offload('fitClvParts', parts, true, fitClvParts);
    const [a, b] = await Promise.all([onWorker.result, inline.result]);
    // Assess
    expect(onWorker.answeredByWorker()).toBe(true);
    expect(a).toEqual(b);
    if (!a.spend.ok) throw new Error('Gamma-Gamma was not fitted');
    expect(a.spend.gg.p.toFixed(5)).toBe('6.24957');
    expect(a.spend.gg.q.toFixed(5)).toBe('3.74422');
    expect(a.spend.gg.gamma.toFixed(5)).toBe('15.44352');
  });

  it('hands an inline error to the caller when it awaits, not as an unhandled rejection', async () => {
    // Prepare
    const failing = () => {
      throw new RangeError('bad input');
    };
    // Act
    const started = offload('fitClvHistories', args, true, failing);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Assess
    await expect(started.result).rejects.toThrow('bad input');
  });
});
