// Membership writes into the local DynamoDB (dynalite on its worker thread, LevelDB on disk as in
// `npm run segment`): wall and CPU per item, and, with --profile DIR, a CPU profile of dynalite's own
// thread (taken with node:inspector inside the worker, which --cpu-prof would lose when it is ended).
//   node --import tsx test/bench/dynamo-writes.ts [--items 20000] [--memory] [--profile DIR]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startStandIns } from '../../infra/local/standins.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { batchWriteAll } from '../../lib/storage/dynamo.js';
import { membershipRecord } from '../../lib/storage/segment-store.js';
import { createMembershipsTable } from '../support/tables.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '20000' },
    memory: { type: 'boolean', default: false },
    profile: { type: 'string' },
    // the SDK's defaults: its logger (input/output filtered for a no-op info) and generic marshalling
    stock: { type: 'boolean', default: false },
  },
});
const items = Number(values.items);
const standIns = await startStandIns({ dynamoOnDisk: !values.memory, profileDir: values.profile });
standIns.applyEnvironment();
const raw = new DynamoDBClient({});
await createMembershipsTable(raw, 'memberships');
raw.destroy();
const ddb = values.stock
  ? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } })
  : createDocumentClient();
const records = Array.from({ length: items }, (_, i) =>
  membershipRecord('bench', 'clusters', {
    customerId: `C${String(i).padStart(7, '0')}`,
    segmentId: `seg-${i % 5}`,
    runId: 'run-1',
    holdout: i % 10 === 0,
    distance: (i % 997) / 13,
  }),
);
// per-thread CPU (Linux): which thread the time went to — main, dynalite's worker, the LevelDB pool
const threads = (): Map<string, number> => {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(`${tid} ${name}`, (Number(fields[11]) + Number(fields[12])) / 100);
    }
  } catch {
    // not Linux
  }
  return out;
};
const before = threads();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < records.length; i += 5000)
  await batchWriteAll(
    ddb,
    'memberships',
    records.slice(i, i + 5000).map((Item) => ({ PutRequest: { Item } })),
    { flatItems: !values.stock },
  );
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const perThread = [...threads()]
  .map(([t, s]) => [t, s - (before.get(t) ?? 0)] as const)
  .filter(([, s]) => s >= 0.05)
  .map(([t, s]) => `${t} ${s.toFixed(2)} s`);
const cpuS = (cpu.user + cpu.system) / 1e6;
await standIns.stop();
const line = `${items} items ${values.memory ? 'in memory' : 'on disk'}${values.stock ? ', stock SDK client' : ''}: ${wall.toFixed(2)} s wall (${((wall / items) * 1e6).toFixed(0)} µs/item), process CPU ${cpuS.toFixed(2)} s (${((cpuS / items) * 1e6).toFixed(0)} µs/item)`;
console.log(line);
console.log(
  `CPU by thread during the writes (first: main; the busiest other: dynalite): ${perThread.join(', ')}`,
);
if (values.profile) {
  mkdirSync(values.profile, { recursive: true });
  writeFileSync(join(values.profile, 'result.txt'), `${line}\n`);
}
