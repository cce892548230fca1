// BuildFeatures stage (one shard): point-in-time features, mergeable statistics, fitting sample.
import {
  type CustomerFeatures,
  computeFeatures,
  concatCustomers,
  selectSample,
  summariseFeatures,
} from '../features/build.js';
import { shardQuota } from '../features/sampling.js';
import { concatTransactions } from '../features/transactions.js';
import { findConflictingCustomers } from '../ingest/duplicates.js';
import { type BlobStore, putJson } from '../storage/blob.js';
import { type Columns, decodeColumns, encodeColumns } from '../storage/columnar.js';
import { DUPLICATES_FILE, readTransactionParts } from './ingest.js';
import { buildPredictiveInputs } from './predictive.js';
import { loadRunConfig, readParts, runShardCount, shardFile } from './run-files.js';
import type { RunRef, ShardTask, StageDone } from './types.js';

export async function buildFeatures(store: BlobStore, task: ShardTask): Promise<StageDone> {
  const config = await loadRunConfig(store, task);
  // exact repeats (across ingest ranges and files) are dropped here, where a customer's rows meet
  const { parts, duplicates } = await readTransactionParts(store, task, task.shard.index);
  const tx = concatTransactions(parts);
  // CRM attributes (customers-NNNN.bin), when the dataset has a customer file
  const customerParts = await readParts(store, task, task.shard.index, 'customers');
  const customers = concatCustomers(customerParts);
  // conflicting CRM rows are compared here too: one customer's rows of a file all meet in this shard
  const conflicts = findConflictingCustomers(customerParts);
  if (duplicates.removed > 0 || Object.keys(conflicts).length > 0)
    await putJson(store, shardFile(task, task.shard.index, DUPLICATES_FILE), {
      files: duplicates.files,
      conflicts,
    });
  const features = computeFeatures(tx, task.asOfMs, {
    windowsDays: config.features.windowsDays,
    ...(customers ? { customers } : {}),
  });
  const columns: Columns = { customerId: features.customerId, ...features.values };
  for (const [column, values] of Object.entries(features.categorical ?? {}))
    columns[`${CATEGORY}${column}`] = values;
  await store.put(
    shardFile(task, task.shard.index, 'features.bin'),
    encodeColumns(columns, { asOfMs: task.asOfMs }),
  );
  await putJson(
    store,
    shardFile(task, task.shard.index, 'features-summary.json'),
    summariseFeatures(features),
  );
  // only this shard's quota of the global sample (its smallest keys), so Fit's input stays bounded
  const shardCount = await runShardCount(store, task);
  const sample = selectSample(
    features,
    shardQuota(config.segments.sampleSize, shardCount),
    config.segments.seed,
  );
  await store.put(shardFile(task, task.shard.index, 'sample.bin'), encodeColumns(sample));
  await buildPredictiveInputs(store, task, config, tx, features, customers, shardCount);
  return {
    dataset: task.dataset,
    runId: task.runId,
    stage: 'features',
    shard: task.shard.index,
    customers: features.customerId.length,
  };
}

/** Prefix of categorical CRM attribute columns in features.bin (one-hot encoded at Score). */
const CATEGORY = 'category:';

export async function loadFeatures(store: BlobStore, ref: RunRef, index: number): Promise<CustomerFeatures> {
  const { columns } = decodeColumns(await store.get(shardFile(ref, index, 'features.bin')));
  const { customerId, ...rest } = columns;
  const values: Record<string, Float64Array> = {};
  const categorical: Record<string, string[]> = {};
  for (const [name, col] of Object.entries(rest)) {
    if (name.startsWith(CATEGORY) && Array.isArray(col)) categorical[name.slice(CATEGORY.length)] = col;
    else if (col instanceof Float64Array) values[name] = col;
  }
  return {
    customerId: customerId as string[],
    values,
    names: Object.keys(values),
    ...(Object.keys(categorical).length ? { categorical } : {}),
  };
}
