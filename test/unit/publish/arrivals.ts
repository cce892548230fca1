// What each local receiver accepted, as (audience, op, email hash) triples parsed from the requests
// the platform stand-in accepted (2xx, not a fault, not a duplicate), in each platform's own shape.
import type {
  GoogleReceiver,
  LinkedInReceiver,
  MetaReceiver,
  Receiver,
  TikTokReceiver,
  WebhookReceiver,
} from '../../support/receivers/index.js';

export interface Arrival {
  audience: string;
  op: 'add' | 'remove';
  email: string;
}

export function metaArrivals(r: MetaReceiver): Arrival[] {
  return r.accepted.flatMap((req) => {
    const audience = /\/(\d+)\/users$/.exec(req.path)?.[1] ?? '';
    const payload = JSON.parse(new URLSearchParams(req.body).get('payload') ?? '{}') as {
      schema: string[];
      data: string[][];
    };
    const at = payload.schema.indexOf('EMAIL_SHA256');
    const op = req.method === 'DELETE' ? 'remove' : 'add';
    return payload.data.filter((row) => row[at]).map((row) => ({ audience, op, email: row[at] }) as Arrival);
  });
}

export function googleArrivals(r: GoogleReceiver): Arrival[] {
  return r.accepted
    .filter((req) => req.path.endsWith(':addOperations'))
    .flatMap((req) => {
      const jobName = /\/(customers\/\d+\/offlineUserDataJobs\/\d+):addOperations$/.exec(req.path)?.[1];
      const audience =
        r.jobs
          .find((j) => j.resourceName === jobName)
          ?.userList.split('/')
          .pop() ?? '';
      const body = JSON.parse(req.body) as {
        operations: Array<{
          create?: { userIdentifiers: { hashedEmail?: string }[] };
          remove?: { userIdentifiers: { hashedEmail?: string }[] };
        }>;
      };
      return body.operations.flatMap((o) => {
        const op = o.create ? 'add' : 'remove';
        return (
          (o.create ?? o.remove)?.userIdentifiers
            .filter((u) => u.hashedEmail)
            .map((u) => ({ audience, op, email: u.hashedEmail ?? '' }) as Arrival) ?? []
        );
      });
    });
}

export function tiktokArrivals(r: TikTokReceiver): Arrival[] {
  return r.accepted
    .filter((req) => req.path.endsWith('/custom_audience/update/'))
    .flatMap((req) => {
      const body = JSON.parse(req.body) as {
        custom_audience_id: string;
        action: string;
        file_paths: string[];
      };
      const op = body.action === 'APPEND' ? 'add' : 'remove';
      return body.file_paths.flatMap((p) => {
        const file = r.files.find((f) => f.filePath === p);
        if (file?.calculateType !== 'EMAIL_SHA256') return [];
        return file.lines.map((email) => ({ audience: body.custom_audience_id, op, email }) as Arrival);
      });
    });
}

export function linkedinArrivals(r: LinkedInReceiver): Arrival[] {
  return r.accepted.flatMap((req) => {
    const audience = /dmpSegments\/(\d+)\/users/.exec(req.path)?.[1] ?? '';
    const body = JSON.parse(req.body) as {
      elements: Array<{ action: string; userIds: { idType: string; idValue: string }[] }>;
    };
    return body.elements.flatMap((e) =>
      e.userIds
        .filter((u) => u.idType === 'SHA256_EMAIL')
        .map((u) => ({ audience, op: e.action === 'ADD' ? 'add' : 'remove', email: u.idValue }) as Arrival),
    );
  });
}

export function webhookArrivals(r: WebhookReceiver): Arrival[] {
  return r.accepted.flatMap((req) => {
    const body = JSON.parse(req.body) as {
      audienceName: string;
      op: string;
      members: { emailSha256?: string }[];
    };
    return body.members
      .filter((m) => m.emailSha256)
      .map(
        (m) =>
          ({
            audience: body.audienceName,
            op: body.op === 'remove' ? 'remove' : 'add',
            email: m.emailSha256 ?? '',
          }) as Arrival,
      );
  });
}

/** Email hashes per audience after applying arrivals in order; throws on an add of someone already in. */
export function audiencesFrom(arrivals: readonly Arrival[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const a of arrivals) {
    const set = out.get(a.audience) ?? new Set<string>();
    out.set(a.audience, set);
    if (a.op === 'add') {
      if (set.has(a.email)) throw new Error(`${a.email.slice(0, 8)}… added twice to ${a.audience}`);
      set.add(a.email);
    } else set.delete(a.email);
  }
  return out;
}

/**
 * Every raw identifier found in any request (path, headers, body, URL-decoded too). Texts are split into
 * tokens that could hold an email or phone and looked up in a set, so a scan of thousands of people
 * over megabytes of requests stays fast.
 */
export function leaks(receivers: readonly Receiver[], raw: readonly string[]): string[] {
  const texts: string[] = [];
  for (const r of receivers)
    for (const req of r.requests)
      texts.push(`${req.path}\n${JSON.stringify(req.headers)}\n${req.raw.toString('latin1')}`);
  return leaksInText(texts, raw);
}

export function leaksInText(texts: readonly string[], raw: readonly string[]): string[] {
  const wanted = new Set(raw.filter(Boolean).map((s) => s.trim().toLowerCase()));
  const found = new Set<string>();
  for (const text of texts) {
    let decoded = text;
    try {
      decoded = decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      // not URL-encoded
    }
    for (const t of [text, decoded])
      for (const token of t.toLowerCase().match(/[a-z0-9.+@_-]+/g) ?? [])
        if (wanted.has(token)) found.add(token);
  }
  return [...found];
}
