// A fit moved to a worker thread must give the very model the inline call gives (CDNOW's CLV here),
// and a caller must get the inline result or error whenever the worker path is not taken.
import { describe, expect, it } from 'vitest';
import { calibrationEndDay, computeClvInputs } from '../../../lib/features/clv-inputs.js';
import { fitClvModel } from '../../../lib/models/clv-pipeline.js';
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
  const args: Parameters<typeof fitClvModel> = [[inputs.histories], [inputs.spend], SETTINGS];

  it('fits CDNOW’s CLV on a worker thread to the same bits as inline', async () => {
    // Act
    const onWorker = offload('fitClvModel', args, false, fitClvModel);
    const inline = offload('fitClvModel', args, true, fitClvModel);
    // Assess
    expect(onWorker.onWorker).toBe(true);
    expect(inline.onWorker).toBe(false);
    const [a, b] = await Promise.all([onWorker.result, inline.result]);
    expect(onWorker.answeredByWorker()).toBe(true);
    expect(a).toEqual(b);
    expect(a.params?.r).toBe(b.params?.r);
    expect(a.params?.r.toFixed(5)).toBe('0.24259');
  });

  it('hands an inline error to the caller when it awaits, not as an unhandled rejection', async () => {
    // Prepare
    const failing = () => {
      throw new RangeError('bad input');
    };
    // Act
    const started = offload('fitClvModel', args, true, failing);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Assess
    await expect(started.result).rejects.toThrow('bad input');
  });
});
