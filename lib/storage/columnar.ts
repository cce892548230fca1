// A small typed columnar container for shards: one header (JSON) + raw typed-array blocks.
// Shards move between Lambdas through S3, so the format is compact, self-describing and
// decodes without per-row parsing: numeric columns are zero-copy views over the buffer.

export type Column = Float64Array | Int32Array | Uint32Array | Uint8Array | string[];
export type Columns = Record<string, Column>;

/**
 * A string column given as its distinct values and one code per row (values[codes[i]] is row i): what a
 * writer that already deduplicates (ingest's category, channel, customer runs) hands over. Stored as
 * such ('dict': small codes, each value once) and decoded as a plain string[] like any string column.
 */
export interface DictColumn {
  values: readonly string[];
  codes: Uint32Array;
}

/**
 * A string column given as its UTF-16 code units end to end and where each value starts (offsets[i] to
 * offsets[i + 1] is row i): what a writer that copies characters instead of making a string per row
 * hands over. Encoded exactly as the string[] of those values ('str').
 */
export interface TextColumn {
  units: Uint16Array;
  /** rows + 1 offsets into units */
  offsets: Uint32Array;
}

const MAGIC = 0x41534331; // "ASC1"
type Kind = 'f64' | 'i32' | 'u32' | 'u8' | 'str' | 'dict';

interface BlockHeader {
  name: string;
  kind: Kind;
  length: number;
  /** bytes in the block (for 'str': offsets + UTF-8 data; for 'dict': codes, then the values as 'str') */
  bytes: number;
  /** 'dict': number of distinct values, and bytes per code (1, 2 or 4) */
  entries?: number;
  width?: number;
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

type EncodableColumn = Column | DictColumn | TextColumn;

function isDict(column: EncodableColumn): column is DictColumn {
  return (column as DictColumn).codes !== undefined;
}

function isText(column: EncodableColumn): column is TextColumn {
  return (column as TextColumn).units !== undefined;
}

function kindOf(column: EncodableColumn): Kind {
  if (isDict(column)) return 'dict';
  if (isText(column)) return 'str';
  if (Array.isArray(column)) return 'str';
  if (column instanceof Float64Array) return 'f64';
  if (column instanceof Int32Array) return 'i32';
  if (column instanceof Uint32Array) return 'u32';
  return 'u8';
}

const align8 = (n: number): number => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const lengthOf = (column: EncodableColumn): number =>
  isDict(column) ? column.codes.length : isText(column) ? column.offsets.length - 1 : column.length;

const utf16 = new TextDecoder('utf-16le');

/** A 'str' payload from code units: ASCII is copied byte for byte, anything else goes through a string. */
function textPayload(column: TextColumn): Uint8Array {
  const rows = column.offsets.length - 1;
  const units = column.units.subarray(0, column.offsets[rows]);
  let ascii = true;
  for (let i = 0; ascii && i < units.length; i++) ascii = units[i] < 0x80;
  const text = ascii ? Uint8Array.from(units) : encoder.encode(utf16.decode(units));
  const offsetBytes = align8(column.offsets.byteLength);
  const payload = new Uint8Array(offsetBytes + text.byteLength);
  payload.set(new Uint8Array(column.offsets.buffer, column.offsets.byteOffset, column.offsets.byteLength), 0);
  payload.set(text, offsetBytes);
  return payload;
}

/** A 'str' payload: offsets (UTF-16 code units of the joined text), then the UTF-8 text. */
function stringPayload(strings: readonly string[]): Uint8Array {
  const text = encoder.encode(strings.join(''));
  // offsets are in UTF-16 code units of the joined string so decoding is one slice per value
  const offsets = new Uint32Array(strings.length + 1);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    offsets[i] = at;
    at += strings[i].length;
  }
  offsets[strings.length] = at;
  const payload = new Uint8Array(align8(offsets.byteLength) + text.byteLength);
  payload.set(new Uint8Array(offsets.buffer), 0);
  payload.set(text, align8(offsets.byteLength));
  return payload;
}

/** Encodes columns (all of equal length) and free-form metadata into one buffer. */
export function encodeColumns(
  columns: Record<string, EncodableColumn>,
  meta: Record<string, unknown> = {},
): Uint8Array {
  const names = Object.keys(columns);
  const rows = names.length ? lengthOf(columns[names[0]]) : 0;
  const payloads: Uint8Array[] = [];
  const blocks: BlockHeader[] = [];
  for (const name of names) {
    const column = columns[name];
    const length = lengthOf(column);
    if (length !== rows) {
      throw new ShardFormatError(`column ${name} has ${length} values, expected ${rows}`);
    }
    const kind = kindOf(column);
    let payload: Uint8Array;
    if (isDict(column)) {
      const entries = column.values.length;
      const width = entries <= 0x100 ? 1 : entries <= 0x10000 ? 2 : 4;
      const codes =
        width === 1
          ? Uint8Array.from(column.codes)
          : width === 2
            ? Uint16Array.from(column.codes)
            : column.codes;
      const values = stringPayload(column.values);
      const codeBytes = align8(codes.byteLength);
      payload = new Uint8Array(codeBytes + values.byteLength);
      payload.set(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength), 0);
      payload.set(values, codeBytes);
      blocks.push({ name, kind, length, bytes: payload.byteLength, entries, width });
      payloads.push(payload);
      continue;
    }
    if (isText(column)) payload = textPayload(column);
    else if (kind === 'str') payload = stringPayload(column as string[]);
    else {
      const typed = column as Exclude<Column, string[]>;
      payload = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    }
    blocks.push({ name, kind, length, bytes: payload.byteLength });
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
      case 'str':
        columns[block.name] = decodeStrings(copy, 0, block.length);
        break;
      case 'dict': {
        const width = block.width ?? 4;
        const codes =
          width === 1
            ? new Uint8Array(copy, 0, block.length)
            : width === 2
              ? new Uint16Array(copy, 0, block.length)
              : new Uint32Array(copy, 0, block.length);
        const values = decodeStrings(copy, align8(block.length * width), block.entries ?? 0);
        const strings = new Array<string>(block.length);
        for (let i = 0; i < block.length; i++) strings[i] = values[codes[i]];
        columns[block.name] = strings;
        break;
      }
    }
    at += align8(block.bytes);
  }
  return { rows: header.rows, meta: header.meta, columns };
}

/** The `count` strings of a 'str' payload starting at byte `at` of `buffer`. */
function decodeStrings(buffer: ArrayBuffer, at: number, count: number): string[] {
  const offsets = new Uint32Array(buffer, at, count + 1);
  const text = decoder.decode(new Uint8Array(buffer, at + align8((count + 1) * 4)));
  const strings = new Array<string>(count);
  for (let i = 0; i < count; i++) strings[i] = text.slice(offsets[i], offsets[i + 1]);
  return strings;
}
