// readTable: the one entry point that turns the bytes of a marketer's export (CSV/TSV/whitespace text,
// JSON Lines or Parquet, optionally gzip-compressed, in UTF-8/UTF-16/Windows-1252) into a header and rows
// of text fields, streamed to a visitor with bounded memory. Row-level problems go to visitor.issue();
// a file that cannot be read at all throws InputFileError with a code, a message and a fix.

import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { fileError, type Issue, makeIssue } from '../errors.js';
import {
  binaryFileError,
  detectBom,
  detectEncoding,
  type Encoding,
  findInvalidUtf8,
  invalidUtf8Error,
  isGzip,
  isParquet,
} from './bytes.js';
import { JsonLinesReader } from './jsonl.js';
import { readParquet } from './parquet.js';
import { DELIMITER_CANDIDATES, describeDelimiter, looksWhitespaceAligned, sniffDelimiter } from './sniff.js';
import { DelimitedTokenizer, WhitespaceTokenizer } from './tokenizer.js';

export type { Encoding } from './bytes.js';
export { describeDelimiter, sniffDelimiter } from './sniff.js';
export { DelimitedTokenizer, WhitespaceTokenizer } from './tokenizer.js';

export type TableFormat = 'csv' | 'tsv' | 'whitespace' | 'jsonl' | 'parquet';

export interface ReadOptions {
  /** File name, for messages and for format detection by extension (.csv, .tsv, .jsonl, .parquet, .gz). */
  file: string;
  /** Default: detected from the content and the extension. */
  format?: TableFormat;
  /** Single character; default: sniffed among , ; tab |. */
  delimiter?: string;
  /** Default: from the byte-order mark, else UTF-8, else Windows-1252 when the bytes are not UTF-8. */
  encoding?: Encoding;
  /** Whether the first record names the columns. Default true. */
  header?: boolean;
  /** Column names when header is false (default column1, column2, …). */
  columns?: string[];
  /** Longest field accepted (characters of decoded text); longer ones make a row-level issue. Default 64 KiB. */
  maxFieldBytes?: number;
  /** Accept a file with a header and no rows (e.g. an empty weekly suppression list). Default false. */
  allowEmpty?: boolean;
  /**
   * One byte range of a split file (lib/ingest/split.ts), read with the layout the plan settled for the
   * whole file: format, delimiter and encoding must be given. The bytes start at a record boundary on
   * `firstLine`; a range other than the first has no header, so it takes `names`. File-level checks
   * (empty, header-only, binary sample) belong to the plan, not to a range.
   */
  range?: { names: readonly string[]; firstLine: number; first: boolean };
}

/** The layout settled before the first record is read (encoding may still fall back to Windows-1252). */
export interface TableLayout {
  format: TableFormat;
  delimiter?: string;
  encoding: Encoding;
  bom: boolean;
  gzip: boolean;
}

export interface TableVisitor {
  /**
   * May return the indexes of the columns it will read: delimited files then skip creating strings for
   * the others, which arrive as ''. Returning nothing reads every column.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a visitor that reads every column simply returns nothing
  header(names: readonly string[]): void | readonly number[];
  /** `fields` has one entry per header column; the array is reused after return. */
  row(fields: readonly string[], line: number): void;
  /**
   * Offered a delimited record before row(), when none of its fields is quoted, it has one field per
   * header column and none is over the length limit: field k is text[starts[k], ends[k]). Returns true
   * when it has taken the row (counted as read); false sends the same row to row() as strings. It must
   * not change anything before deciding.
   */
  spans?(text: string, starts: Int32Array, ends: Int32Array, line: number): boolean;
  /** Row-level problem (ragged row, invalid JSON, field too long); that row is not passed to row(). */
  issue(issue: Issue): void;
  /** The layout, once settled (text formats only), before the header. */
  layout?(layout: TableLayout): void;
}

export interface TableInfo {
  format: string;
  delimiter?: string;
  encoding: string;
  bom: boolean;
  gzip: boolean;
  /** Data records seen, including those reported via issue(). */
  rowsRead: number;
  /** JSON Lines keys first seen after the header was fixed (their values are not read). */
  ignoredKeys?: string[];
}

export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
const SAMPLE_BYTES = 64 * 1024;

/** Holds the first chunks of a stream for sniffing, then replays them followed by the rest. */
class Peeker {
  private chunks: Uint8Array[] = [];
  private size = 0;
  done = false;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  async fill(bytes: number): Promise<Uint8Array> {
    while (this.size < bytes && !this.done) {
      const next = await this.it.next();
      if (next.done) this.done = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.size += next.value.length;
      }
    }
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  async *replay(): AsyncGenerator<Uint8Array> {
    const held = this.chunks;
    this.chunks = [];
    try {
      yield* held;
      if (this.done) return;
      for (;;) {
        const next = await this.it.next();
        if (next.done) {
          this.done = true;
          return;
        }
        yield next.value;
      }
    } finally {
      // a reader that stops early (the plan's head, a file error) closes the source: an S3 body left
      // unread holds its connection open (locally it kept the CLI from exiting after a run)
      if (!this.done) {
        this.done = true;
        await this.it.return?.();
      }
    }
  }
}

function corruptGzip(file: string, detail: string): Error {
  return fileError(
    'corrupt-gzip',
    `The file starts like gzip but cannot be decompressed (${detail}).`,
    { file },
    {
      expected: 'a complete gzip (.gz) file',
      fix: 'upload the file again (the upload may have been cut), or upload it uncompressed',
    },
  );
}

async function* gunzip(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const inflater = zlib.createGunzip();
  const input = Readable.from(chunks, { objectMode: false });
  input.on('error', (error) => inflater.destroy(error));
  input.pipe(inflater);
  try {
    for await (const chunk of inflater) yield chunk as Uint8Array;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw corruptGzip(file, (error as Error).message);
    throw error;
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

function extension(file: string): string {
  const name = file.toLowerCase().replace(/\.(gz|gzip)$/, '');
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}

function formatFromExtension(file: string): TableFormat | null {
  switch (extension(file)) {
    case 'jsonl':
    case 'ndjson':
    case 'json':
      return 'jsonl';
    case 'tsv':
    case 'tab':
      return 'tsv';
    case 'parquet':
    case 'pq':
      return 'parquet';
    case 'csv':
      return 'csv';
    default:
      return null;
  }
}

/** A streaming decoder for one encoding; UTF-8 is strict so mixed-encoding files are caught. */
function makeDecoder(encoding: Encoding): (bytes: Uint8Array, last: boolean) => string {
  if (encoding === 'latin1') {
    return (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
  if (encoding === 'utf-8') return utf8Decoder();
  const decoder = new TextDecoder(encoding, { ignoreBOM: true });
  return (bytes, last) => decoder.decode(bytes, { stream: !last });
}

/**
 * Strict streaming UTF-8: node's isUtf8 (simdutf) plus Buffer#toString is about 4× faster than a fatal
 * TextDecoder. A sequence cut by the chunk end is carried into the next chunk; invalid bytes throw.
 */
function utf8Decoder(): ((bytes: Uint8Array, last: boolean) => string) & { nonAscii: boolean } {
  let carry: Uint8Array | null = null;
  const decode = (chunk: Uint8Array, last: boolean): string => {
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    let cut = buf.length;
    for (let k = 1; k <= 3 && k <= buf.length; k++) {
      const b = buf[buf.length - k];
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0) {
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (need > k) cut = buf.length - k;
      }
      break;
    }
    if (cut < buf.length) {
      if (last)
        throw Object.assign(new TypeError('truncated UTF-8 sequence'), { pending: buf.subarray(cut) });
      carry = Uint8Array.from(buf.subarray(cut));
    }
    const body = buf.subarray(0, cut);
    if (!isUtf8(body)) throw Object.assign(new TypeError('invalid UTF-8'), { bytes: buf });
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    // Valid UTF-8 of pure ASCII yields one character per byte.
    if (text.length !== body.length) state.nonAscii = true;
    return text;
  };
  const state = Object.assign(decode, { nonAscii: false });
  return state;
}

function cleanHeader(fields: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((raw, i) => {
    let name = raw.trim();
    if (name.length === 0) name = `column${i + 1}`;
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

function emptyFile(file: string, message: string): Error {
  return fileError(
    'empty-file',
    message,
    { file },
    {
      expected: 'a header line and at least one row',
      fix: 'check that the export finished and upload the file again',
    },
  );
}

/**
 * Reads one export and streams its header and rows to `visitor`. Throws InputFileError when the file as a
 * whole cannot be read (empty, binary, corrupt, wrong delimiter, unterminated quote, …).
 */
export async function readTable(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  visitor: TableVisitor,
): Promise<TableInfo> {
  const file = options.file;
  const maxField = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const range = options.range;
  // a later range starts mid-file: no gzip or byte-order mark there, and no header
  const later = range !== undefined && !range.first;
  const outer = new Peeker(source[Symbol.asyncIterator]());
  const head = await outer.fill(4);
  if (head.length === 0) throw emptyFile(file, 'The file is empty (0 bytes).');
  const gzip = !later && isGzip(head);
  const bytes = new Peeker((gzip ? gunzip(outer.replay(), file) : outer.replay())[Symbol.asyncIterator]());
  const sample = await bytes.fill(SAMPLE_BYTES);
  if (sample.length === 0) throw emptyFile(file, 'The file is empty (0 bytes once decompressed).');

  const byExtension = formatFromExtension(file);
  let format: TableFormat | null = options.format ?? (isParquet(sample) ? 'parquet' : byExtension);
  let rowsRead = 0;
  let names: string[] | null = later ? [...range.names] : null;
  const headerMode = options.header !== false;

  const finish = (info: TableInfo): TableInfo => {
    if (names === null) throw emptyFile(file, 'The file has no records, only blank lines.');
    if (rowsRead === 0 && !options.allowEmpty && !range) {
      throw fileError(
        'header-only',
        `The file has a header (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}) but no rows.`,
        { file },
        {
          expected: 'at least one row below the header',
          fix: 'check that the export selected some data; an intentionally empty file can be allowed in the dataset config',
        },
      );
    }
    info.rowsRead = rowsRead;
    return info;
  };

  if (format === 'parquet') {
    if (!isParquet(sample)) {
      throw fileError(
        'not-parquet',
        "The file is named or configured as Parquet but does not start with the Parquet 'PAR1' marker.",
        { file },
        {
          expected: 'a Parquet file',
          fix: 'upload the Parquet file itself, or set the right format in the dataset config',
        },
      );
    }
    const all: Uint8Array[] = [];
    for await (const chunk of bytes.replay()) all.push(chunk);
    await readParquet(Buffer.concat(all), file, {
      header: (h) => {
        names = h;
        visitor.header(h);
      },
      row: (fields, line) => {
        rowsRead++;
        visitor.row(fields, line);
      },
    });
    return finish({ format: 'parquet', encoding: 'binary', bom: false, gzip, rowsRead: 0 });
  }

  // Text: settle the encoding from the BOM, the configuration or the bytes themselves.
  const bom = later ? null : detectBom(sample);
  const bomLength = bom?.length ?? 0;
  let encoding: Encoding;
  if (bom !== null) encoding = bom.encoding;
  else if (options.encoding !== undefined) {
    encoding = options.encoding;
    if (
      !range &&
      encoding !== 'utf-16le' &&
      encoding !== 'utf-16be' &&
      sample.subarray(0, 8192).includes(0)
    ) {
      throw binaryFileError(sample, file);
    }
  } else encoding = detectEncoding(sample.subarray(bomLength), file, bytes.done);

  const sampleText = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : encoding, {
    ignoreBOM: true,
  }).decode(sample.subarray(bomLength), { stream: !bytes.done });
  const firstChar = sampleText.trimStart().charAt(0);
  if (firstChar === '' && bytes.done && !later)
    throw emptyFile(file, 'The file has no records, only blank lines.');
  let delimiter: string | undefined;
  if (format === null) {
    if (firstChar === '{' || firstChar === '[') format = 'jsonl';
    else format = 'csv';
  }
  // Excel's "sep=;" first line names the delimiter; it is not the header.
  const sepLine = /^sep=([^\r\n])\r?\n/.exec(sampleText);
  let skipFirstRecord = !later && sepLine !== null && (format === 'csv' || format === 'tsv');
  if (format === 'tsv') delimiter = options.delimiter ?? '\t';
  if (format === 'csv') {
    delimiter = options.delimiter ?? sepLine?.[1] ?? sniffDelimiter(sampleText, bytes.done) ?? undefined;
    if (delimiter === undefined) {
      if (
        options.format === undefined &&
        byExtension !== 'csv' &&
        looksWhitespaceAligned(sampleText, bytes.done)
      ) {
        format = 'whitespace';
      } else delimiter = ',';
    }
  }
  if (delimiter !== undefined && delimiter.length !== 1) {
    throw fileError(
      'bad-delimiter-setting',
      `The configured delimiter '${delimiter}' is not a single character.`,
      { file },
      {
        expected: 'one character such as , ; | or \\t',
        fix: 'set delimiter to one character in the dataset config',
      },
    );
  }

  const issue = (i: Issue): void => visitor.issue(i);
  let select: ((columns: readonly number[] | null, width: number) => void) | null = null;
  let expected = -1;
  const onRecord = (fields: string[], line: number, tooLong: number): void => {
    if (skipFirstRecord) {
      skipFirstRecord = false;
      return;
    }
    if (names === null) {
      if (headerMode) {
        if (fields.length === 1 && delimiter !== undefined) checkWrongDelimiter(fields[0], delimiter, file);
        names = cleanHeader(fields);
        expected = names.length;
        const selection = visitor.header(names);
        if (select !== null && Array.isArray(selection)) select(selection, expected);
        return;
      }
      names = options.columns?.slice() ?? fields.map((_, i) => `column${i + 1}`);
      expected = names.length;
      const selection = visitor.header(names);
      if (select !== null && Array.isArray(selection)) select(selection, expected);
    }
    rowsRead++;
    if (fields.length !== expected) {
      let extraEmpty = fields.length > expected;
      for (let k = expected; extraEmpty && k < fields.length; k++)
        if (fields[k].trim().length > 0) extraEmpty = false;
      if (!extraEmpty) {
        issue(raggedRow(file, line, fields, expected, delimiter));
        return;
      }
      fields.length = expected; // trailing delimiters only: harmless
    }
    if (tooLong >= 0) {
      issue(
        makeIssue(
          'field-too-long',
          `A value is ${fields[tooLong].length} characters long, over the ${maxField}-character limit.`,
          { file, line, column: names[tooLong], value: fields[tooLong].slice(0, 40) },
          {
            expected: `values up to ${maxField} characters`,
            fix: 'check this column for a missing closing quote or pasted content; raise maxFieldBytes in the dataset config if the value is real',
          },
        ),
      );
      return;
    }
    visitor.row(fields, line);
  };

  let decode = makeDecoder(encoding);
  // Detected (not configured) UTF-8 whose bytes were all ASCII so far may still turn out Windows-1252.
  let asciiSoFar = encoding === 'utf-8' && bom === null && options.encoding === undefined;
  const tokenizerOptions = {
    file,
    maxFieldChars: maxField,
    ...(range ? { firstLine: range.firstLine, lineFeeds: true } : {}),
  };
  let push: (text: string) => void;
  let end: () => void;
  let currentLine: () => number;
  let jsonl: JsonLinesReader | null = null;
  if (format === 'jsonl') {
    const reader = new JsonLinesReader(
      file,
      Math.max(maxField * 16, 1 << 20),
      {
        header: (h) => {
          names = h;
          visitor.header(h);
        },
        row: (fields, line) => {
          rowsRead++;
          visitor.row(fields, line);
        },
        issue: (i) => {
          rowsRead++;
          visitor.issue(i);
        },
      },
      range,
    );
    // a range reads with the header the plan fixed from the file's first records
    if (range) {
      names = [...range.names];
      visitor.header(names);
    }
    jsonl = reader;
    push = (t) => reader.push(t);
    end = () => reader.end();
    currentLine = () => reader.currentLine();
  } else {
    const tokenizer =
      format === 'whitespace'
        ? new WhitespaceTokenizer(tokenizerOptions, onRecord)
        : new DelimitedTokenizer(delimiter ?? ',', tokenizerOptions, onRecord);
    if (tokenizer instanceof DelimitedTokenizer) {
      select = (columns, width) => tokenizer.select(columns, width);
      const spans = visitor.spans?.bind(visitor);
      if (spans !== undefined)
        tokenizer.offerSpans((text, starts, ends, count, line) => {
          if (names === null || skipFirstRecord || count !== expected) return false;
          if (!spans(text, starts, ends, line)) return false;
          rowsRead++;
          return true;
        });
    }
    if (later && names !== null) {
      expected = names.length;
      const selection = visitor.header(names);
      if (select !== null && Array.isArray(selection)) select(selection, expected);
    }
    push = (t) => tokenizer.push(t);
    end = () => tokenizer.end();
    currentLine = () => tokenizer.currentLine();
  }

  visitor.layout?.({
    format,
    ...(delimiter === undefined ? {} : { delimiter }),
    encoding,
    bom: bom !== null,
    gzip,
  });
  let skip = bomLength;
  for await (let chunk of bytes.replay()) {
    if (skip > 0) {
      const cut = Math.min(skip, chunk.length);
      chunk = chunk.subarray(cut);
      skip -= cut;
    }
    let text: string;
    try {
      text = decode(chunk, false);
      if (asciiSoFar && (decode as { nonAscii?: boolean }).nonAscii) asciiSoFar = false;
    } catch (error) {
      // The decoder may have carried the start of a sequence from the previous chunk: use its bytes.
      chunk = (error as { bytes?: Uint8Array }).bytes ?? chunk;
      const at = Math.max(0, findInvalidUtf8(chunk, true).invalidAt);
      if (asciiSoFar) {
        // Everything before was ASCII, which Windows-1252 reads identically: switch rather than reject
        // a legacy export whose first accented character sits past the sniffed sample.
        encoding = 'windows-1252';
        decode = makeDecoder(encoding);
        asciiSoFar = false;
        text = decode(chunk, false);
      } else {
        let line = currentLine();
        for (let i = 0; i < at; i++) if (chunk[i] === 10) line++;
        throw invalidUtf8Error(file, line, chunk, at);
      }
    }
    if (text.length > 0) push(text);
  }
  let tail: string;
  try {
    tail = decode(new Uint8Array(0), true);
  } catch (error) {
    const pending = (error as { pending?: Uint8Array }).pending ?? new Uint8Array(0);
    if (!asciiSoFar) throw invalidUtf8Error(file, currentLine(), pending, 0);
    encoding = 'windows-1252';
    tail = new TextDecoder(encoding).decode(pending);
  }
  if (tail.length > 0) push(tail);
  end();
  const info: TableInfo = {
    format: format === 'csv' && delimiter === '\t' ? 'tsv' : format,
    encoding,
    bom: bom !== null,
    gzip,
    rowsRead: 0,
  };
  if (delimiter !== undefined) info.delimiter = delimiter;
  if (jsonl !== null && jsonl.ignoredKeys.size > 0) info.ignoredKeys = [...jsonl.ignoredKeys];
  return finish(info);
}

function checkWrongDelimiter(header: string, delimiter: string, file: string): void {
  let best: string | null = null;
  let bestParts = 1;
  for (const candidate of DELIMITER_CANDIDATES) {
    if (candidate === delimiter) continue;
    const parts = header.split(candidate).length;
    if (parts > bestParts) {
      best = candidate;
      bestParts = parts;
    }
  }
  if (best === null) return;
  throw fileError(
    'wrong-delimiter',
    `Only one column was found with the delimiter ${describeDelimiter(delimiter)}, but the header looks separated by ${describeDelimiter(best)} (${bestParts} columns).`,
    { file, line: 1, value: header },
    {
      expected: `columns separated by ${describeDelimiter(delimiter)}`,
      fix: `set delimiter to ${describeDelimiter(best)} in the dataset config, or remove the delimiter setting so it is detected`,
    },
  );
}

function raggedRow(
  file: string,
  line: number,
  fields: readonly string[],
  expected: number,
  delimiter?: string,
): Issue {
  const more = fields.length > expected;
  return makeIssue(
    'ragged-row',
    `This row has ${fields.length} field${fields.length === 1 ? '' : 's'} but the header has ${expected}.`,
    { file, line, value: fields.join(delimiter ?? ' ') },
    {
      expected: `${expected} fields per row`,
      fix: more
        ? `put values that contain the delimiter${delimiter ? ` ${describeDelimiter(delimiter)}` : ''} in double quotes, or remove the extra fields`
        : 'fill in the missing fields (empty values still need their delimiters)',
    },
  );
}
