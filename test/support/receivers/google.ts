// Local stand-in for Google Ads OfflineUserDataJobService (REST): :create, :addOperations, :run.
// Checks bearer + developer-token headers, CUSTOMER_MATCH_USER_LIST metadata with both consent fields,
// hashed identifiers, the 100,000-identifiers-per-request limit, and that a job never mixes create and
// remove operations or receives operations after it was run.
import { expectBearer, HEX64, parseJson, type Receiver, startReceiver } from './server.js';

export interface GoogleJob {
  resourceName: string;
  userList: string;
  consent: { adUserData?: string; adPersonalization?: string };
  kinds: Set<'create' | 'remove'>;
  identifiers: number;
  operations: number;
  requests: number;
  run: boolean;
}

export interface GoogleReceiver extends Receiver {
  jobs: GoogleJob[];
}

export async function startGoogleReceiver(opts: {
  token: string;
  developerToken?: string;
  apiVersion?: string;
  maxIdentifiersPerRequest?: number;
}): Promise<GoogleReceiver> {
  const version = opts.apiVersion ?? 'v26';
  const max = opts.maxIdentifiersPerRequest ?? 100_000;
  const jobs: GoogleJob[] = [];
  const receiver = (await startReceiver((req, problem) => {
    expectBearer(req, opts.token, problem);
    if (opts.developerToken && req.headers['developer-token'] !== opts.developerToken)
      problem('missing developer-token header');
    if (req.method !== 'POST') problem(`method ${req.method}`);
    const body = parseJson(req, problem) as Record<string, unknown> | undefined;
    const create = new RegExp(`^/${version}/customers/(\\d+)/offlineUserDataJobs:create$`).exec(req.path);
    if (create) {
      const job = body?.job as
        | {
            type?: string;
            customerMatchUserListMetadata?: { userList?: string; consent?: GoogleJob['consent'] };
          }
        | undefined;
      if (job?.type !== 'CUSTOMER_MATCH_USER_LIST') problem('job.type must be CUSTOMER_MATCH_USER_LIST');
      const externalId = (job as { externalId?: unknown } | undefined)?.externalId;
      if (externalId !== undefined && (typeof externalId !== 'string' || !/^\d{1,19}$/.test(externalId)))
        problem('job.externalId must be an int64 in a JSON string');
      const meta = job?.customerMatchUserListMetadata;
      if (!meta?.userList || !new RegExp(`^customers/${create[1]}/userLists/\\d+$`).test(meta.userList))
        problem('customerMatchUserListMetadata.userList must be customers/{id}/userLists/{id}');
      const consent = meta?.consent ?? {};
      for (const f of ['adUserData', 'adPersonalization'] as const)
        if (consent[f] !== 'GRANTED' && consent[f] !== 'DENIED')
          problem(`consent.${f} must be GRANTED or DENIED`);
      const resourceName = `customers/${create[1]}/offlineUserDataJobs/${1000 + jobs.length}`;
      jobs.push({
        resourceName,
        userList: meta?.userList ?? '',
        consent,
        kinds: new Set(),
        identifiers: 0,
        operations: 0,
        requests: 0,
        run: false,
      });
      return { status: 200, body: { resourceName }, dedupeKey: `create ${jobs.length}` };
    }
    const action = new RegExp(
      `^/${version}/(customers/\\d+/offlineUserDataJobs/\\d+):(addOperations|run)$`,
    ).exec(req.path);
    const job = jobs.find((j) => j.resourceName === action?.[1]);
    if (!action || !job) {
      problem(`unknown path or job ${req.path}`);
      return { status: 404 };
    }
    if (action[2] === 'run') {
      if (job.run) problem('job was already run');
      if (job.operations === 0) problem('running an empty job');
      job.run = true;
      return { status: 200, body: { name: `operations/${job.resourceName}` } };
    }
    if (job.run) problem('operations added to a job that was already run');
    const ops = body?.operations;
    if (!Array.isArray(ops) || ops.length === 0) {
      problem('operations must be a non-empty array');
      return { status: 400 };
    }
    let identifiers = 0;
    for (const op of ops as Array<Record<string, { userIdentifiers?: Array<Record<string, unknown>> }>>) {
      const keys = Object.keys(op);
      if (keys.length !== 1 || (keys[0] !== 'create' && keys[0] !== 'remove')) {
        problem('each operation must be exactly one of create / remove');
        break;
      }
      const kind = keys[0] as 'create' | 'remove';
      job.kinds.add(kind);
      const ids = op[kind].userIdentifiers ?? [];
      if (ids.length === 0 || ids.length > 20) problem('a UserData needs 1..20 userIdentifiers');
      for (const id of ids) {
        const fields = Object.keys(id);
        const v = id.hashedEmail ?? id.hashedPhoneNumber;
        if (fields.length !== 1 || typeof v !== 'string' || !HEX64.test(v))
          problem('identifier must be one hashedEmail or hashedPhoneNumber (SHA-256 hex)');
      }
      identifiers += ids.length;
    }
    if (job.kinds.size > 1) problem('create and remove operations mixed in one job');
    if (identifiers > max) problem(`${identifiers} identifiers in one request; limit ${max}`);
    job.identifiers += identifiers;
    job.operations += ops.length;
    job.requests++;
    return { status: 200, body: {} };
  })) as GoogleReceiver;
  receiver.jobs = jobs;
  return receiver;
}
