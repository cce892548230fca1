// JSON Lines: one JSON object per line, turned into named text fields like a CSV row so the rest of
// ingest treats every format alike. Nested objects become dotted names ("customer.id"); the column set
// is the union of keys in the first records (keys first seen later are listed in TableInfo.ignoredKeys).

import { fileError, type Issue, makeIssue } from '../errors.js';

/** Records buffered before the header (the union of their keys) is fixed. */
const HEADER_SAMPLE = 1000;

export interface JsonLinesSink {
  header(names: string[]): void;
  row(fields: string[], line: number): void;
  issue(issue: Issue): void;
}

type JsonObject = Record<string, unknown>;

// Integers past 2^53 (ids from ad platforms, 64-bit keys) would lose digits in JSON.parse: they are quoted
// first so "customer_id": 12345678901234567890 keeps every digit.
const LONG_DIGITS = /\d{16}/;
const LONG_NUMBER = /([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g;

function parseKeepingLongIntegers(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  try {
    return JSON.parse(text.replace(LONG_NUMBER, '$1"$2"'));
  } catch {
    return JSON.parse(text); // the digits sat inside a string value: parse as written
  }
}

function flatten(value: JsonObject, prefix: string, out: Map<string, unknown>): void {
  for (const key of Object.keys(value)) {
    const v = value[key];
    const name = prefix.length > 0 ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as JsonObject, name, out);
    else out.set(name, v);
  }
}

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export class JsonLinesReader {
  private pending = '';
  private line = 1;
  private names: string[] | null = null;
  private index = new Map<string, number>();
  private buffered: { values: Map<string, unknown>; line: number }[] = [];
  private readonly fields: string[] = [];
  readonly ignoredKeys = new Set<string>();
  records = 0;

  constructor(
    private readonly file: string,
    private readonly maxRecordChars: number,
    private readonly sink: JsonLinesSink,
    /** a range of a split file: the header decided for the whole file, and the line it starts on */
    range?: { names: readonly string[]; firstLine: number; first: boolean },
  ) {
    if (range) {
      this.line = range.firstLine;
      this.names = [...range.names];
      for (const [i, n] of this.names.entries()) this.index.set(n, i);
      // only the file's first record may reveal a JSON array instead of JSON Lines
      if (!range.first) this.records = 1;
    }
  }

  currentLine(): number {
    let line = this.line;
    for (let i = 0; i < this.pending.length; i++) if (this.pending.charCodeAt(i) === 10) line++;
    return line;
  }

  push(chunk: string): void {
    const text = this.pending.length === 0 ? chunk : this.pending + chunk;
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      this.parseLine(text.slice(pos, nl));
      pos = nl + 1;
    }
    this.pending = text.slice(pos);
    if (this.pending.length > this.maxRecordChars) {
      throw fileError(
        'record-too-long',
        `A line is longer than ${this.maxRecordChars} characters: this does not look like JSON Lines.`,
        { file: this.file, line: this.line, value: this.pending.slice(0, 40) },
        {
          expected: 'one JSON object per line',
          fix: 'export as JSON Lines (one object per line), or as CSV',
        },
      );
    }
  }

  end(): void {
    if (this.pending.length > 0) this.parseLine(this.pending);
    this.pending = '';
    if (this.names === null) this.fixHeader();
  }

  private parseLine(raw: string): void {
    const line = this.line++;
    const text = raw.trim();
    if (text.length === 0) return;
    this.records++;
    let value: unknown;
    try {
      value = parseKeepingLongIntegers(text);
    } catch (error) {
      if (this.records === 1 && text.startsWith('[')) throw jsonArray(this.file, line);
      this.sink.issue(
        makeIssue(
          'invalid-json',
          `This line is not valid JSON: ${(error as Error).message}.`,
          { file: this.file, line, value: text },
          { expected: 'one JSON object per line' },
        ),
      );
      return;
    }
    if (this.records === 1 && Array.isArray(value)) throw jsonArray(this.file, line);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.sink.issue(
        makeIssue(
          'invalid-json',
          'This line holds a JSON value that is not an object.',
          { file: this.file, line, value: text },
          { expected: 'one JSON object per line, e.g. {"customer_id": "42", "amount": 9.5}' },
        ),
      );
      return;
    }
    const values = new Map<string, unknown>();
    flatten(value as JsonObject, '', values);
    if (this.names === null) {
      this.buffered.push({ values, line });
      if (this.buffered.length >= HEADER_SAMPLE) this.fixHeader();
      return;
    }
    this.emit(values, line);
  }

  private fixHeader(): void {
    const names: string[] = [];
    for (const { values } of this.buffered) {
      for (const key of values.keys()) {
        if (!this.index.has(key)) {
          this.index.set(key, names.length);
          names.push(key);
        }
      }
    }
    this.names = names;
    this.sink.header(names);
    const buffered = this.buffered;
    this.buffered = [];
    for (const { values, line } of buffered) this.emit(values, line);
  }

  private emit(values: Map<string, unknown>, line: number): void {
    const fields = this.fields;
    const width = this.names!.length;
    if (fields.length !== width) fields.length = width;
    fields.fill('');
    for (const [key, v] of values) {
      const at = this.index.get(key);
      if (at === undefined) this.ignoredKeys.add(key);
      else fields[at] = toText(v);
    }
    this.sink.row(fields, line);
  }
}

function jsonArray(file: string, line: number): Error {
  return fileError(
    'json-array',
    'This is a JSON array (one big [ ... ] value), not JSON Lines.',
    { file, line },
    {
      expected: 'one JSON object per line',
      fix: 'export as JSON Lines (.jsonl, one object per line), or as CSV',
    },
  );
}
