// The settle queue's message body read as a settle request: an S3 Object Created event from
// EventBridge, or a request (a scheduled tick, the starter's own re-check). Apart from starter.ts so
// that zod stays off the local runner's import path: loaded there, before the stand-ins start, the
// runner's imports took 3.1 s instead of 2.1 s (`npm run segment -- events/data/sample` timed by
// phase, 5 interleaved runs); loaded with the handlers it overlaps the stand-ins' start.
import { z } from 'zod';
import { settleRequestOfDrop, UnusableTriggerError } from './starter.js';
import { type SettleRequest, settleRequest } from './types.js';

/** The part of an EventBridge S3 "Object Created" event the starter reads. */
const objectCreated = z.object({
  'detail-type': z.literal('Object Created'),
  time: z.string().optional(),
  detail: z.object({ object: z.object({ key: z.string() }) }),
});

/**
 * A settle queue message body as a settle request: an S3 Object Created event (from EventBridge), or
 * a request (a scheduled tick, the starter's own re-check). Anything else is an UnusableTriggerError.
 */
export function settleRequestOfBody(body: string): SettleRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new UnusableTriggerError('the message body is not JSON');
  }
  const drop = objectCreated.safeParse(json);
  if (drop.success) return settleRequestOfDrop(drop.data);
  const request = settleRequest.safeParse(json);
  if (request.success) return request.data;
  throw new UnusableTriggerError('the message is neither an S3 Object Created event nor a settle request');
}
