// Ingest stage: freeze the config, read and validate every dropped file, partition into shards,
// and write per-file error reports. A quarantined file stops the run before anything is published.
import { parseConfig } from '../config/schema.js';
import { RUN_LEVEL } from '../ingest/partition.js';
import { InputRejectedError, ingestSources, NoTransactionsError } from '../ingest/stage.js';
import { type BlobStore, getJsonIfExists, putJson } from '../storage/blob.js';
import { keys, parseIncomingKey } from '../storage/keys.js';
import { runFile, shardFile } from './run-files.js';
import { loadRunObjects } from './snapshot.js';
import type { IngestOutput, RunInput } from './types.js';

export async function ingest(
  store: BlobStore,
  input: RunInput,
  options: { now?: number } = {},
): Promise<IngestOutput> {
  const raw = await getJsonIfExists<unknown>(store, keys.config(input.dataset));
  const config = parseConfig(raw, `s3 ${keys.config(input.dataset)}`);
  await putJson(store, runFile(input, 'config.json'), config);
  const sources = (await loadRunObjects(store, input)).map((o) => ({
    file: parseIncomingKey(o.key)?.file ?? o.key,
    size: o.size,
    open: () => store.stream(o.key, o.versionId),
  }));
  const report = await ingestSources(
    sources,
    config,
    (shard, name, part, bytes) => {
      const file = `${name}-${String(part).padStart(4, '0')}.bin`;
      // run-level parts (suppressions) sit in the run folder, shard parts under shards/NNNNN/
      return store.put(shard === RUN_LEVEL ? runFile(input, file) : shardFile(input, shard, file), bytes);
    },
    options,
  );
  await putJson(store, runFile(input, 'ingest.json'), report);
  for (const f of report.files) {
    if (f.issues.length || f.fileError || f.flagged.length || f.warnings.length) {
      await putJson(store, keys.rejected(input.dataset, `${f.file}.errors.json`), {
        runId: input.runId,
        file: f.file,
        rows: f.rows,
        quarantined: f.quarantined,
        fileError: f.fileError,
        rejectedByCode: f.rejectedByCode,
        issues: f.issues,
        flaggedByCode: f.flaggedByCode,
        flagged: f.flagged,
        warnings: f.warnings,
      });
    }
  }
  if (report.quarantined.length) throw new InputRejectedError(report);
  // a customers-only dataset segments on CRM attributes (as of the config's date, else now)
  if (report.maxEventMs === null && !report.records.customers) throw new NoTransactionsError(report);
  const asOfMs = config.asOf
    ? Date.parse(config.asOf)
    : report.maxEventMs !== null
      ? report.maxEventMs + 1
      : (options.now ?? Date.now());
  return {
    shardCount: report.shardCount,
    shards: Array.from({ length: report.shardCount }, (_, index) => ({ index })),
    asOfMs,
    rows: report.rows,
  };
}
