// Parquet exports (warehouse unloads: Snowflake, BigQuery, Redshift, Spark) read with hyparquet, one row
// group at a time, every value turned into the same text form a CSV would carry so one set of value
// parsers serves all formats. Parquet needs its footer, so the whole file is held in memory.

import * as zlib from 'node:zlib';
import { type Compressors, parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import { fileError } from '../errors.js';

export interface ParquetSink {
  header(names: string[]): void;
  row(fields: string[], line: number): void;
}

type ZstdDecompress = (input: Uint8Array) => Uint8Array;

/** Codecs beyond hyparquet's built-in snappy, from node:zlib (zstd needs Node 22.15+). */
function compressors(): Compressors {
  const codecs: Compressors = {
    GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
    BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  };
  const zstd = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;
  if (zstd !== undefined) codecs.ZSTD = (input) => new Uint8Array(zstd(input));
  return codecs;
}

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

function truncated(file: string, detail: string): Error {
  return fileError(
    'truncated-parquet',
    `This Parquet file is incomplete or damaged (${detail}).`,
    { file },
    {
      expected: "a complete Parquet file ending with the 'PAR1' footer",
      fix: 'upload the file again (the upload may have been cut), or export it again',
    },
  );
}

/** Reads a whole Parquet file; rows are numbered from 1 in `line` (Parquet has no lines). */
export async function readParquet(bytes: Uint8Array, file: string, sink: ParquetSink): Promise<number> {
  const n = bytes.length;
  if (
    n < 12 ||
    bytes[n - 4] !== 0x50 ||
    bytes[n - 3] !== 0x41 ||
    bytes[n - 2] !== 0x52 ||
    bytes[n - 1] !== 0x31
  ) {
    throw truncated(file, "no 'PAR1' footer at the end");
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw truncated(file, `footer unreadable: ${(error as Error).message}`);
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  sink.header(names);
  const fields: string[] = new Array(names.length).fill('');
  let rowStart = 0;
  let rows = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let data: unknown[][] = [];
    try {
      await parquetRead({
        file: buffer,
        metadata,
        rowStart,
        rowEnd,
        compressors: compressors(),
        onComplete: (result: unknown[][]) => {
          data = result;
        },
      });
    } catch (error) {
      throw truncated(file, `row group at row ${rowStart + 1} unreadable: ${(error as Error).message}`);
    }
    for (let r = 0; r < data.length; r++) {
      const row = data[r];
      for (let c = 0; c < names.length; c++) fields[c] = toText(row[c]);
      sink.row(fields, rowStart + r + 1);
      rows++;
    }
    rowStart = rowEnd;
  }
  return rows;
}
