// Reading a settle queue message: an S3 Object Created event or a settle request becomes a request;
// anything else is refused by name, so the message goes to the dead-letter queue.
import { describe, expect, it } from 'vitest';
import { settleRequestOfBody } from '../../../lib/pipeline/settle-message.js';
import { UnusableTriggerError } from '../../../lib/pipeline/starter.js';

const T0 = Date.parse('2026-11-23T06:00:00Z');

describe('settle queue messages', () => {
  it('reads an S3 Object Created event or a settle request, and refuses anything else by name', () => {
    const drop = {
      'detail-type': 'Object Created',
      time: '2026-11-23T06:00:00Z',
      detail: { object: { key: 'incoming/shop/orders+2026.csv' } },
    };
    expect(settleRequestOfBody(JSON.stringify(drop))).toEqual({ dataset: 'shop', lastActivityMs: T0 });
    const tick = { dataset: 'shop', scheduledTime: '2026-11-23T06:00:00Z' };
    expect(settleRequestOfBody(JSON.stringify({ ...tick, extra: 1 }))).toEqual(tick);
    expect(() => settleRequestOfBody('{not json')).toThrow(/the message body is not JSON/);
    expect(() => settleRequestOfBody(JSON.stringify({ ...drop, 'detail-type': 'Object Deleted' }))).toThrow(
      UnusableTriggerError,
    );
    expect(() => settleRequestOfBody(JSON.stringify({ dataset: 3 }))).toThrow(
      /neither an S3 Object Created event nor a settle request/,
    );
  });
});
