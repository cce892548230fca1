// A small typed columnar container for shards: one header (JSON) + raw typed-array blocks.
// Shards move between Lambdas through S3, so the format is compact, self-describing and
// decodes without per-row parsing: numeric columns are zero-copy views over the buffer.

export type Column = Float64Array | Int32Array | Uint32Array | Uint8Array | string[];
export type Columns = Record<string, Column>;

const MAGIC = 0x41534331; // "ASC1"
type Kind = 'f64' | 'i32' | 'u32' | 'u8' | 'str';

interface BlockHeader {
  name: string;
  kind: Kind;
  length: number;
  /** bytes in the block (for 'str': offsets + UTF-8 data) */
  bytes: number;
}

interface FileHeader {
  rows: number;
  meta: Record<string, unknown>;
  blocks: BlockHeader[];
}

export class ShardFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardFormatError';
  }
}

function kindOf(column: Column): Kind {
  if (Array.isArray(column)) return 'str';
  if (column instanceof Float64Array) return 'f64';
  if (column instanceof Int32Array) return 'i32';
  if (column instanceof Uint32Array) return 'u32';
  return 'u8';
}

const align8 = (n: number): number => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes columns (all of equal length) and free-form metadata into one buffer. */
export function encodeColumns(columns: Columns, meta: Record<string, unknown> = {}): Uint8Array {
  const names = Object.keys(columns);
  const rows = names.length ? columns[names[0]].length : 0;
  const payloads: Uint8Array[] = [];
  const blocks: BlockHeader[] = [];
  for (const name of names) {
    const column = columns[name];
    if (column.length !== rows) {
      throw new ShardFormatError(`column ${name} has ${column.length} values, expected ${rows}`);
    }
    const kind = kindOf(column);
    let payload: Uint8Array;
    if (kind === 'str') {
      const strings = column as string[];
      const text = encoder.encode(strings.join(''));
      // offsets are in UTF-16 code units of the joined string so decoding is one slice per value
      const offsets = new Uint32Array(strings.length + 1);
      let at = 0;
      for (let i = 0; i < strings.length; i++) {
        offsets[i] = at;
        at += strings[i].length;
      }
      offsets[strings.length] = at;
      payload = new Uint8Array(align8(offsets.byteLength) + text.byteLength);
      payload.set(new Uint8Array(offsets.buffer), 0);
      payload.set(text, align8(offsets.byteLength));
    } else {
      const typed = column as Exclude<Column, string[]>;
      payload = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    }
    blocks.push({ name, kind, length: column.length, bytes: payload.byteLength });
    payloads.push(payload);
  }
  const header = encoder.encode(JSON.stringify({ rows, meta, blocks } satisfies FileHeader));
  const headerSpace = align8(8 + header.byteLength);
  let total = headerSpace;
  for (const p of payloads) total += align8(p.byteLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let at = headerSpace;
  for (const p of payloads) {
    out.set(p, at);
    at += align8(p.byteLength);
  }
  return out;
}

export interface DecodedShard {
  rows: number;
  meta: Record<string, unknown>;
  columns: Columns;
}

/** Decodes a buffer written by `encodeColumns`. Numeric columns are copied into aligned arrays. */
export function decodeColumns(bytes: Uint8Array): DecodedShard {
  if (bytes.byteLength < 8) throw new ShardFormatError('shard is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new ShardFormatError('not a columnar shard (bad magic)');
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(decoder.decode(bytes.subarray(8, 8 + headerLength))) as FileHeader;
  let at = align8(8 + headerLength);
  const columns: Columns = {};
  for (const block of header.blocks) {
    const slice = bytes.subarray(at, at + block.bytes);
    // copy: the source buffer may be unaligned (e.g. a Node Buffer from the pool)
    const copy = new Uint8Array(slice).buffer;
    switch (block.kind) {
      case 'f64':
        columns[block.name] = new Float64Array(copy);
        break;
      case 'i32':
        columns[block.name] = new Int32Array(copy);
        break;
      case 'u32':
        columns[block.name] = new Uint32Array(copy);
        break;
      case 'u8':
        columns[block.name] = new Uint8Array(copy);
        break;
      case 'str': {
        const offsets = new Uint32Array(copy, 0, block.length + 1);
        const text = decoder.decode(new Uint8Array(copy, align8((block.length + 1) * 4)));
        const strings = new Array<string>(block.length);
        for (let i = 0; i < block.length; i++) strings[i] = text.slice(offsets[i], offsets[i + 1]);
        columns[block.name] = strings;
        break;
      }
    }
    at += align8(block.bytes);
  }
  return { rows: header.rows, meta: header.meta, columns };
}
