// Where a large text export can be cut into byte ranges that Lambdas read in parallel: one pass over the
// bytes that knows CSV quoting (a record never starts inside a quoted field) and counts physical lines
// exactly as the tokenizer does, so every range knows the line it starts on and error lines stay true.
// Chunks without a quote byte take a native indexOf path, so the scan runs near read speed.
import { isUtf8 } from 'node:buffer';

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** One range of a file: bytes [start, end), its first record on physical line `line`. */
export interface ByteRange {
  start: number;
  end: number;
  line: number;
}

export interface SplitScan {
  ranges: ByteRange[];
  /** bytes seen (the file's size) */
  bytes: number;
  /** the whole file is valid UTF-8 (checked only when asked) */
  validUtf8: boolean;
  /** line breaks are line feeds (\n or \r\n), as the tokenizer's fast path reads them */
  lineFeeds: boolean;
  /** a quoted field is still open at the end of the file (the reader will reject the file) */
  endsInQuote: boolean;
}

export interface SplitOptions {
  /** 'delimited' honours quotes; 'jsonl' cuts at any line feed (JSON strings hold no raw newline) */
  format: 'delimited' | 'jsonl';
  /** the delimiter's byte (ASCII) */
  delimiter?: number;
  /** target bytes per range; a cut is made at the first record boundary at or after each multiple */
  rangeBytes: number;
  /** no cut before this offset, so the header (and an Excel "sep=" line) stays in the first range */
  firstCutAt: number;
  validateUtf8: boolean;
}

/**
 * Scans a file's bytes for range boundaries. Lines are counted as DelimitedTokenizer counts them in its
 * line-feed mode: an unquoted \n (or \r\n) ends a record; inside quotes every \n and every lone \r is a
 * physical line; right after a closing quote a \r also ends the record.
 */
export async function scanSplitPoints(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitOptions,
): Promise<SplitScan> {
  const D = options.delimiter ?? -1;
  const jsonl = options.format === 'jsonl';
  const step = Math.max(1, options.rangeBytes);
  let nextCut = Math.max(step, options.firstCutAt);
  const cuts: { at: number; line: number }[] = [];
  let lines = 0; // line breaks passed: the next record starts on line lines + 1
  let offset = 0;
  let inQuote = false;
  let afterQuote = false;
  let fieldStart = true;
  /** a \r ended the previous chunk: lone or the first half of \r\n, decided by the next byte */
  let pendingCR = false;
  /** a quote closed at the very end of the previous chunk: a doubled quote if the next byte is one */
  let pendingQuote = false;
  /** a \r right after a closing quote ended the previous chunk */
  let crAfterQuote = false;
  let firstBreak: 'lf' | 'cr' | null = null;
  let validUtf8 = true;
  let carry: Uint8Array | null = null;

  const boundary = (at: number): void => {
    if (at >= nextCut) {
      cuts.push({ at, line: lines + 1 });
      nextCut = at + step;
    }
  };

  for await (const raw of chunks) {
    if (raw.length === 0) continue;
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (options.validateUtf8 && validUtf8) {
      const joined: Buffer = carry === null ? buf : Buffer.concat([carry, buf]);
      const cut = utf8Cut(joined);
      validUtf8 = isUtf8(joined.subarray(0, cut));
      carry = cut < joined.length ? Uint8Array.from(joined.subarray(cut)) : null;
    }
    const n = buf.length;
    let i = 0;
    // next quote, line feed and carriage return at or after the position they were searched from
    let nextQ = -1;
    let nextLF = -1;
    let nextCR = -1;
    if (pendingCR) {
      pendingCR = false;
      const lone = buf[0] !== LF;
      if (lone) {
        firstBreak ??= 'cr';
        if (inQuote) lines++;
      }
    }
    if (jsonl) {
      for (let at = buf.indexOf(LF); at >= 0; at = buf.indexOf(LF, at + 1)) {
        firstBreak ??= 'lf';
        lines++;
        boundary(offset + at + 1);
      }
      offset += n;
      continue;
    }
    if (!inQuote && !afterQuote && !crAfterQuote && firstBreak !== null && buf.indexOf(QUOTE) === -1) {
      // no quote in this chunk: every \n is a record boundary, nothing else counts
      for (let at = buf.indexOf(LF); at >= 0; at = buf.indexOf(LF, at + 1)) {
        lines++;
        boundary(offset + at + 1);
      }
      const last = buf[n - 1];
      fieldStart = last === LF || last === D;
      offset += n;
      continue;
    }
    for (; i < n; i++) {
      if (inQuote) {
        // jump to the next quote byte, counting the physical lines inside the quoted text on the way
        // (each search position is cached, so every byte is searched once per kind: linear)
        if (nextQ < i) nextQ = find(buf, QUOTE, i);
        while (true) {
          if (nextLF < i) nextLF = find(buf, LF, i);
          if (nextLF >= nextQ) break;
          firstBreak ??= 'lf';
          lines++;
          i = nextLF + 1;
        }
        while (true) {
          if (nextCR < i) nextCR = find(buf, CR, i);
          if (nextCR >= nextQ) break;
          if (nextCR + 1 < n) {
            if (buf[nextCR + 1] !== LF) {
              firstBreak ??= 'cr';
              lines++;
            }
          } else pendingCR = true;
          i = nextCR + 1;
        }
        if (nextQ >= n) break;
        i = nextQ;
      } else if (!afterQuote && !pendingQuote && !crAfterQuote && firstBreak !== null) {
        // plain text: jump to the next quote byte; every \n before it is a record boundary
        if (nextQ < i) nextQ = find(buf, QUOTE, i);
        const from = i;
        while (true) {
          if (nextLF < i) nextLF = find(buf, LF, i);
          if (nextLF >= nextQ) break;
          lines++;
          boundary(offset + nextLF + 1);
          i = nextLF + 1;
        }
        if (nextQ >= n) {
          const last = buf[n - 1];
          fieldStart = last === LF || last === D || (from === n && fieldStart);
          break;
        }
        if (nextQ > from) fieldStart = buf[nextQ - 1] === LF || buf[nextQ - 1] === D;
        i = nextQ;
      }
      const c = buf[i];
      if (inQuote) {
        if (c === QUOTE) {
          // a doubled quote stays inside; a pair straddling two chunks is settled by pendingQuote
          if (i + 1 < n) {
            if (buf[i + 1] === QUOTE) i++;
            else {
              inQuote = false;
              afterQuote = true;
            }
          } else {
            inQuote = false;
            afterQuote = true;
            pendingQuote = true;
          }
        } else if (c === LF) {
          firstBreak ??= 'lf';
          lines++;
        } else if (c === CR) {
          if (i + 1 < n) {
            if (buf[i + 1] !== LF) {
              firstBreak ??= 'cr';
              lines++;
            }
          } else pendingCR = true;
        }
        continue;
      }
      if (pendingQuote) {
        pendingQuote = false;
        if (c === QUOTE) {
          // it was a doubled quote: back inside the field
          inQuote = true;
          afterQuote = false;
          continue;
        }
      }
      if (crAfterQuote) {
        crAfterQuote = false;
        lines++;
        if (c === LF) {
          boundary(offset + i + 1);
          continue;
        }
        firstBreak ??= 'cr';
        boundary(offset + i);
      }
      if (c === LF) {
        firstBreak ??= 'lf';
        lines++;
        afterQuote = false;
        fieldStart = true;
        boundary(offset + i + 1);
        continue;
      }
      if (c === CR && afterQuote) {
        // the tokenizer ends a record at a \r right after a closing quote (\r\n as one break)
        afterQuote = false;
        fieldStart = true;
        let end = i + 1;
        if (i + 1 < n && buf[i + 1] === LF) {
          i++;
          end = i + 1;
        } else if (i + 1 >= n) {
          crAfterQuote = true;
          continue;
        } else firstBreak ??= 'cr';
        lines++;
        boundary(offset + end);
        continue;
      }
      if (c === CR) {
        // a lone \r outside quotes is part of the value in line-feed mode; note it for the mode check
        // (one at the chunk's end is settled by the next chunk's first byte)
        if (firstBreak === null) {
          if (i + 1 >= n) pendingCR = true;
          else if (buf[i + 1] !== LF) firstBreak = 'cr';
        }
        fieldStart = false;
        continue;
      }
      if (c === D) {
        fieldStart = true;
        afterQuote = false;
        continue;
      }
      if (c === QUOTE && fieldStart) {
        inQuote = true;
        fieldStart = false;
        continue;
      }
      fieldStart = false;
    }
    offset += n;
  }
  if (crAfterQuote) lines++;
  if (carry !== null) validUtf8 = false;
  const starts = [0, ...cuts.filter((c) => c.at < offset).map((c) => c.at)];
  const firstLines = [1, ...cuts.filter((c) => c.at < offset).map((c) => c.line)];
  const ranges = starts.map((start, k) => ({
    start,
    end: k + 1 < starts.length ? starts[k + 1] : offset,
    line: firstLines[k],
  }));
  return {
    ranges,
    bytes: offset,
    validUtf8,
    lineFeeds: firstBreak !== 'cr',
    endsInQuote: inQuote && !pendingQuote,
  };
}

/** Index of the next `byte` at or after `from`, or the buffer's length. */
function find(buf: Buffer, byte: number, from: number): number {
  const at = buf.indexOf(byte, from);
  return at < 0 ? buf.length : at;
}

/** Length of `bytes` without a UTF-8 sequence cut by its end. */
function utf8Cut(bytes: Uint8Array): number {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const b = bytes[bytes.length - k];
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (need > k) return bytes.length - k;
    }
    break;
  }
  return bytes.length;
}
