// Local stand-in for LinkedIn POST /rest/dmpSegments/{id}/users (BATCH_CREATE): checks bearer token,
// LinkedIn-Version / Rest.li headers, elements of {action ADD|REMOVE, userIds [{SHA256_EMAIL, hex}]}
// and the 5,000-element limit; answers with one status per element as LinkedIn does.
import { expectBearer, HEX64, parseJson, type Receiver, startReceiver } from './server.js';

export interface LinkedInReceiver extends Receiver {
  elements: Array<{ segmentId: string; action: string; idValue: string }>;
}

export async function startLinkedInReceiver(opts: { token: string }): Promise<LinkedInReceiver> {
  const elements: LinkedInReceiver['elements'] = [];
  const receiver = (await startReceiver((req, problem) => {
    const m = /^\/rest\/dmpSegments\/(\d+)\/users$/.exec(req.path);
    if (!m) problem(`unexpected path ${req.path}`);
    if (req.method !== 'POST') problem(`method ${req.method}`);
    expectBearer(req, opts.token, problem);
    if (!/^\d{6}$/.test(req.headers['linkedin-version'] ?? ''))
      problem('LinkedIn-Version header must be YYYYMM');
    if (req.headers['x-restli-protocol-version'] !== '2.0.0')
      problem('X-Restli-Protocol-Version must be 2.0.0');
    if (req.headers['x-restli-method'] !== 'BATCH_CREATE') problem('X-RestLi-Method must be BATCH_CREATE');
    const body = parseJson(req, problem) as
      | { elements?: Array<{ action?: string; userIds?: Array<{ idType?: string; idValue?: string }> }> }
      | undefined;
    const els = body?.elements ?? [];
    if (els.length === 0) problem('elements must be non-empty');
    if (els.length > 5_000) problem(`${els.length} elements in one request; limit 5,000`);
    for (const e of els) {
      const id = e.userIds?.[0];
      if (
        (e.action !== 'ADD' && e.action !== 'REMOVE') ||
        e.userIds?.length !== 1 ||
        id?.idType !== 'SHA256_EMAIL' ||
        !HEX64.test(id.idValue ?? '')
      ) {
        problem(
          'element must be {action: ADD|REMOVE, userIds: [{idType: SHA256_EMAIL, idValue: sha256 hex}]}',
        );
        break;
      }
      elements.push({ segmentId: m?.[1] ?? '', action: e.action, idValue: id.idValue ?? '' });
    }
    return { status: 200, body: { elements: els.map(() => ({ status: 201 })) } };
  })) as LinkedInReceiver;
  receiver.elements = elements;
  return receiver;
}
