// The delimited-text tokenizer (CSV, TSV, any single-character delimiter) and the whitespace-aligned one.
// One pass over decoded text chunks, no regex, one reused fields array: it is on the 2M rows/s path. Quoted
// fields may hold delimiters, doubled quotes and newlines; line numbers are the physical line a record
// starts on, so an error points where the marketer's editor does.

import { fileError } from './../errors.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

/** Called once per record; `fields` is reused after return. `tooLong` is the index of the first field over the limit, or -1. */
export type RecordSink = (fields: string[], line: number, tooLong: number) => void;

/**
 * Offered a record before any field becomes a string: field k is text[starts[k], ends[k]). Returns true
 * when it has taken the record; false hands it, as strings, to the RecordSink. Only records without a
 * quoted field and without a field over the limit are offered (their fields are exactly those spans).
 */
export type SpanSink = (
  text: string,
  starts: Int32Array,
  ends: Int32Array,
  count: number,
  line: number,
) => boolean;

export interface TokenizerOptions {
  file: string;
  /** Longest field accepted, in characters; longer ones are flagged (row-level). */
  maxFieldChars: number;
  /** Physical line of the first character pushed (a range of a split file starts mid-file). Default 1. */
  firstLine?: number;
  /** Line breaks are line feeds (\n, \r\n): set for a range, whose own first chunk may not show it. */
  lineFeeds?: boolean;
}

/** Record too long to be real: the reader stops instead of buffering a runaway line. */
function maxRecordChars(maxFieldChars: number): number {
  return Math.max(maxFieldChars * 16, 1 << 20);
}

/** Counts line feeds (and lone carriage returns) in text[from, to). */
function countLines(text: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) lines++;
    else if (c === CR && (i + 1 >= text.length || text.charCodeAt(i + 1) !== LF)) lines++;
  }
  return lines;
}

export class DelimitedTokenizer {
  private readonly delimiter: number;
  private readonly delimiterChar: string;
  /** Whether line breaks are line feeds (\n, \r\n); null until the first line break is seen. */
  private lineFeeds: boolean | null = null;
  private readonly fields: string[] = [];
  /** Columns to materialise (1) or hand over as '' (0); null: all. Unquoted skipped fields are never sliced. */
  private wanted: Uint8Array | null = null;
  private pending = '';
  /** Physical line (1-based) where `pending` starts. */
  private line = 1;
  private spanSink: SpanSink | null = null;
  private starts: Int32Array<ArrayBuffer> = new Int32Array(64);
  private ends: Int32Array<ArrayBuffer> = new Int32Array(64);

  constructor(
    delimiter: string,
    private readonly options: TokenizerOptions,
    private readonly sink: RecordSink,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
    this.delimiterChar = delimiter.charAt(0);
    this.line = options.firstLine ?? 1;
    if (options.lineFeeds !== undefined) this.lineFeeds = options.lineFeeds;
  }

  /** Line number just after everything pushed so far (for locating decode errors). */
  currentLine(): number {
    return this.line + countLines(this.pending, 0, this.pending.length);
  }

  /** Restricts which columns are turned into strings (others arrive as ''); call between records. */
  select(columns: readonly number[] | null, width: number): void {
    if (columns === null) {
      this.wanted = null;
      return;
    }
    const wanted = new Uint8Array(width);
    for (const c of columns) if (c >= 0 && c < width) wanted[c] = 1;
    this.wanted = wanted;
  }

  /**
   * Offers unquoted records as spans first (line-feed files only): a reader that types fields straight
   * from the text makes no string for a number or a date. Call between records.
   */
  offerSpans(sink: SpanSink | null): void {
    this.spanSink = sink;
  }

  push(chunk: string): void {
    const text = this.pending.length === 0 ? chunk : this.pending + chunk;
    this.pending = '';
    this.parse(text, false);
  }

  end(): void {
    const text = this.pending;
    this.pending = '';
    if (text.length > 0) this.parse(text, true);
  }

  private parse(text: string, final: boolean): void {
    const n = text.length;
    const D = this.delimiter;
    const fields = this.fields;
    const maxField = this.options.maxFieldChars;
    const delimiterChar = this.delimiterChar;
    let wanted = this.wanted;
    if (this.lineFeeds === null) {
      // Files with lone carriage returns as line breaks (classic Mac) take the char-by-char path.
      if (text.indexOf('\n') >= 0) this.lineFeeds = true;
      else if (text.indexOf('\r') >= 0) this.lineFeeds = false;
    }
    const lf = this.lineFeeds !== false;
    // spans: unquoted fields are sliced only if the span sink declines the record
    let spanSink = lf ? this.spanSink : null;
    let starts = this.starts;
    let ends = this.ends;
    let nextD = -1;
    let nextLf = -1;
    let pos = 0;
    let line = this.line;
    while (pos < n) {
      const recordStart = pos;
      const recordLine = line;
      let nf = 0;
      let tooLong = -1;
      let complete = false;
      let firstEnd = -1;
      let quoted = false;
      // One record: fields until an unquoted line break (or the end of the final chunk).
      for (;;) {
        let value: string;
        let i = pos;
        if (i < n && text.charCodeAt(i) === QUOTE) {
          // Quoted field: find the closing quote, unescaping doubled quotes.
          const quoteLine = line;
          let start = i + 1;
          let parts: string | null = null;
          let closed = -1;
          for (;;) {
            const q = text.indexOf('"', start);
            if (q < 0) break;
            if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
              parts = parts === null ? text.slice(start, q + 1) : parts + text.slice(start, q + 1);
              start = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break; // might be the first half of a doubled quote
            closed = q;
            break;
          }
          if (closed < 0) {
            if (!final) {
              this.suspend(text, recordStart, recordLine, true);
              return;
            }
            throw fileError(
              'unterminated-quote',
              'A quoted field opens here and is never closed, so the rest of the file would be read as one value.',
              { file: this.options.file, line: quoteLine, value: text.slice(i, i + 40) },
              {
                expected:
                  'every field that starts with " to end with " (a quote inside a value is written "")',
                fix: 'close the quote, or double the quote characters inside the value, and upload the file again',
              },
            );
          }
          value = parts === null ? text.slice(start, closed) : parts + text.slice(start, closed);
          quoted = true;
          if (nf >= starts.length) [starts, ends] = this.grow();
          starts[nf] = -1;
          line += countLines(text, i + 1, closed);
          i = closed + 1;
          // Lenient: text after the closing quote (`"a"b`) is kept literally up to the next delimiter.
          if (i < n) {
            let c = text.charCodeAt(i);
            if (c !== D && c !== LF && c !== CR) {
              const rest = i;
              while (i < n) {
                c = text.charCodeAt(i);
                if (c === D || c === LF || c === CR) break;
                i++;
              }
              value += text.slice(rest, i);
            }
          }
        } else if (lf) {
          // Native indexOf finds the next delimiter and line feed; both are cached so each is searched
          // once per occurrence, keeping the pass linear even when a delimiter is rare.
          if (nextD < pos) {
            nextD = text.indexOf(delimiterChar, pos);
            if (nextD < 0) nextD = n;
          }
          if (nextLf < pos) {
            nextLf = text.indexOf('\n', pos);
            if (nextLf < 0) nextLf = n;
          }
          if (nextD < nextLf) i = nextD;
          else {
            i = nextLf;
            if (i > pos && text.charCodeAt(i - 1) === CR) i--;
          }
          if (spanSink === null)
            value = wanted === null || nf >= wanted.length || wanted[nf] === 1 ? text.slice(pos, i) : '';
          else {
            // only a wanted field's length counts toward the limit, as when it is sliced
            value = '';
            if (nf >= starts.length) [starts, ends] = this.grow();
            starts[nf] = pos;
            ends[nf] = i;
            if (
              i - pos > maxField &&
              tooLong < 0 &&
              (wanted === null || nf >= wanted.length || wanted[nf] === 1)
            )
              tooLong = nf;
          }
          if (nf === 0) firstEnd = i;
        } else {
          let c = 0;
          while (i < n) {
            c = text.charCodeAt(i);
            if (c === D || c === LF || c === CR) break;
            i++;
          }
          value = wanted === null || nf >= wanted.length || wanted[nf] === 1 ? text.slice(pos, i) : '';
          if (nf === 0) firstEnd = i;
        }
        if (i >= n && !final) {
          this.suspend(text, recordStart, recordLine, false);
          return;
        }
        if (value.length > maxField && tooLong < 0) tooLong = nf; // skipped columns are never too long
        fields[nf++] = value;
        if (i >= n) {
          pos = n;
          complete = true;
          break;
        }
        const c = text.charCodeAt(i);
        if (c === D) {
          pos = i + 1;
          if (pos >= n) {
            if (!final) {
              this.suspend(text, recordStart, recordLine, false);
              return;
            }
            // the empty last field of a final line that ends in a delimiter
            if (nf >= starts.length) [starts, ends] = this.grow();
            starts[nf] = pos;
            ends[nf] = pos;
            fields[nf++] = '';
            complete = true;
            break;
          }
          continue;
        }
        // Line break: \n, \r\n or a lone \r (classic Mac exports).
        if (c === CR) {
          if (i + 1 >= n && !final) {
            this.suspend(text, recordStart, recordLine, false);
            return;
          }
          pos = i + 1 < n && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        } else {
          pos = i + 1;
        }
        line++;
        complete = true;
        break;
      }
      if (!complete) break;
      if (fields.length !== nf) fields.length = nf;
      // Blank (or whitespace-only) lines carry no record.
      if (nf === 1 && (firstEnd < 0 ? fields[0] : text.slice(recordStart, firstEnd)).trim().length === 0)
        continue;
      if (spanSink !== null) {
        if (!quoted && tooLong < 0 && spanSink(text, starts, ends, nf, recordLine)) continue;
        // declined: the strings the sink would have had without spans
        for (let k = 0; k < nf; k++) {
          if (starts[k] < 0) continue;
          fields[k] =
            wanted === null || k >= wanted.length || wanted[k] === 1 ? text.slice(starts[k], ends[k]) : '';
        }
      }
      this.sink(fields, recordLine, tooLong);
      wanted = this.wanted; // the sink may have called select() (after the header)
      spanSink = lf ? this.spanSink : null;
    }
    this.line = line;
  }

  private grow(): [Int32Array<ArrayBuffer>, Int32Array<ArrayBuffer>] {
    const starts = new Int32Array(this.starts.length * 2);
    const ends = new Int32Array(this.ends.length * 2);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
    return [starts, ends];
  }

  private suspend(text: string, recordStart: number, recordLine: number, inQuote: boolean): void {
    this.pending = text.slice(recordStart);
    this.line = recordLine;
    if (this.pending.length > maxRecordChars(this.options.maxFieldChars)) {
      const file = this.options.file;
      if (inQuote) {
        throw fileError(
          'unterminated-quote',
          'A quoted field opens here and does not close within the next 1 MiB, so the quote is probably never closed.',
          { file, line: recordLine, value: this.pending.slice(0, 40) },
          {
            expected: 'every field that starts with " to end with " (a quote inside a value is written "")',
            fix: 'close the quote, or double the quote characters inside the value, and upload the file again',
          },
        );
      }
      throw fileError(
        'record-too-long',
        `A line is longer than ${maxRecordChars(this.options.maxFieldChars)} characters without a line break.`,
        { file, line: recordLine, value: this.pending.slice(0, 40) },
        {
          expected: 'one record per line',
          fix: 'check that the file is a text export with line breaks, or set the format in the dataset config',
        },
      );
    }
  }
}

/** Whitespace-aligned text (fixed-width-ish reports such as CDNOW): fields are runs of non-blank characters. */
export class WhitespaceTokenizer {
  private readonly fields: string[] = [];
  private pending = '';
  private line: number;

  constructor(
    private readonly options: TokenizerOptions,
    private readonly sink: RecordSink,
  ) {
    this.line = options.firstLine ?? 1;
  }

  currentLine(): number {
    return this.line + countLines(this.pending, 0, this.pending.length);
  }

  push(chunk: string): void {
    const text = this.pending.length === 0 ? chunk : this.pending + chunk;
    this.pending = '';
    this.parse(text, false);
  }

  end(): void {
    const text = this.pending;
    this.pending = '';
    if (text.length > 0) this.parse(text, true);
  }

  private parse(text: string, final: boolean): void {
    const n = text.length;
    const fields = this.fields;
    const maxField = this.options.maxFieldChars;
    let pos = 0;
    let line = this.line;
    while (pos < n) {
      let eol = pos;
      while (eol < n) {
        const c = text.charCodeAt(eol);
        if (c === LF || c === CR) break;
        eol++;
      }
      if (eol >= n && !final) break;
      if (eol + 1 >= n && text.charCodeAt(eol) === CR && !final) break;
      let nf = 0;
      let tooLong = -1;
      let i = pos;
      while (i < eol) {
        let c = text.charCodeAt(i);
        if (c === SPACE || c === TAB) {
          i++;
          continue;
        }
        const start = i;
        while (i < eol) {
          c = text.charCodeAt(i);
          if (c === SPACE || c === TAB) break;
          i++;
        }
        if (i - start > maxField && tooLong < 0) tooLong = nf;
        fields[nf++] = text.slice(start, i);
      }
      const recordLine = line;
      line++;
      pos =
        eol < n && text.charCodeAt(eol) === CR && eol + 1 < n && text.charCodeAt(eol + 1) === LF
          ? eol + 2
          : eol + 1;
      if (nf === 0) continue;
      if (fields.length !== nf) fields.length = nf;
      this.sink(fields, recordLine, tooLong);
    }
    this.pending = pos < n ? text.slice(pos) : '';
    this.line = line;
    if (this.pending.length > maxRecordChars(this.options.maxFieldChars)) {
      throw fileError(
        'record-too-long',
        `A line is longer than ${maxRecordChars(this.options.maxFieldChars)} characters without a line break.`,
        { file: this.options.file, line, value: this.pending.slice(0, 40) },
        {
          expected: 'one record per line',
          fix: 'check that the file is a text export with line breaks, or set the format in the dataset config',
        },
      );
    }
  }
}
