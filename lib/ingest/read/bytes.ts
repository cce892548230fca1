// Byte-level sniffing of an export before any text is decoded: compression and Parquet magic numbers,
// byte-order marks, the text encoding (UTF-8, UTF-16, Windows-1252) and files that are not text at all
// (spreadsheets, PDFs, images), so the marketer hears "export as CSV" rather than a garbled error.

import { fileError } from '../errors.js';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1' | 'windows-1252';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function isParquet(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31
  );
}

/** The byte-order mark at the start of the file, if any, and how many bytes it takes. */
export function detectBom(bytes: Uint8Array): { encoding: Encoding; length: number } | null {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: 'utf-8', length: 3 };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/**
 * Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. A sequence cut by the end
 * of the buffer counts as valid when `partialEndOk` (the rest may be in the next chunk).
 */
export function findInvalidUtf8(
  bytes: Uint8Array,
  partialEndOk = true,
): { invalidAt: number; multibyte: number } {
  let multibyte = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return { invalidAt: i, multibyte };
    }
    if (i + need >= n) {
      // The sequence runs past the buffer: fine if what is there is a valid prefix and more may follow.
      for (let k = 1; i + k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return { invalidAt: i, multibyte };
      return { invalidAt: partialEndOk ? -1 : i, multibyte };
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return { invalidAt: i, multibyte };
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { invalidAt: i, multibyte };
    multibyte++;
    i += need + 1;
  }
  return { invalidAt: -1, multibyte };
}

const KNOWN_BINARY: { magic: number[]; what: string; fix: string }[] = [
  {
    magic: [0x50, 0x4b, 0x03, 0x04],
    what: 'a zip archive or an Excel workbook (.xlsx)',
    fix: 'open it in Excel or Google Sheets and save or download it as CSV (UTF-8), then upload that file',
  },
  {
    magic: [0xd0, 0xcf, 0x11, 0xe0],
    what: 'an old Excel workbook (.xls)',
    fix: 'open it in Excel and save it as CSV (UTF-8), then upload that file',
  },
  {
    magic: [0x25, 0x50, 0x44, 0x46],
    what: 'a PDF document',
    fix: 'export the data itself as CSV, not a report',
  },
  {
    magic: [0x89, 0x50, 0x4e, 0x47],
    what: 'a PNG image',
    fix: 'upload the data export (CSV, JSON Lines or Parquet)',
  },
  {
    magic: [0xff, 0xd8, 0xff],
    what: 'a JPEG image',
    fix: 'upload the data export (CSV, JSON Lines or Parquet)',
  },
  {
    magic: [0x42, 0x5a, 0x68],
    what: 'a bzip2 archive',
    fix: 'decompress it, or re-compress it with gzip (.gz)',
  },
  {
    magic: [0x28, 0xb5, 0x2f, 0xfd],
    what: 'a zstd archive',
    fix: 'decompress it, or re-compress it with gzip (.gz)',
  },
];

/** Guesses UTF-16 without a BOM from the zero bytes of ASCII text in one half of each code unit. */
function utf16WithoutBom(sample: Uint8Array): Encoding | null {
  const n = Math.min(sample.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZero++;
    if (sample[i + 1] === 0) oddZero++;
  }
  const units = n / 2;
  if (oddZero > units * 0.4 && evenZero < units * 0.05) return 'utf-16le';
  if (evenZero > units * 0.4 && oddZero < units * 0.05) return 'utf-16be';
  return null;
}

/**
 * Decides how to decode the file from its first bytes (after the BOM): throws for binary files and for
 * samples that mix valid UTF-8 with invalid bytes (no single encoding explains them).
 */
export function detectEncoding(sample: Uint8Array, file: string, complete: boolean): Encoding {
  const head = sample.subarray(0, Math.min(sample.length, 8192));
  let controls = 0;
  let zeros = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) zeros++;
    else if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12) controls++;
  }
  if (zeros > 0) {
    const utf16 = utf16WithoutBom(head);
    if (utf16 !== null) return utf16;
  }
  if (zeros > 0 || controls > head.length * 0.1) throw binaryFileError(sample, file);
  const { invalidAt, multibyte } = findInvalidUtf8(sample, !complete);
  if (invalidAt < 0) return 'utf-8';
  if (multibyte === 0) return 'windows-1252';
  throw invalidUtf8Error(file, lineAt(sample, invalidAt), sample, invalidAt);
}

export function binaryFileError(sample: Uint8Array, file: string): Error {
  for (const known of KNOWN_BINARY) {
    if (known.magic.every((b, i) => sample[i] === b)) {
      return fileError(
        'binary-file',
        `This file is not a text export: it looks like ${known.what}.`,
        { file },
        { expected: 'CSV, TSV, JSON Lines or Parquet, optionally gzip-compressed', fix: known.fix },
      );
    }
  }
  return fileError(
    'binary-file',
    'This file is not a text export: it contains binary bytes (zero bytes or control characters).',
    { file },
    {
      expected: 'CSV, TSV, JSON Lines or Parquet, optionally gzip-compressed',
      fix: 'export the data as CSV (UTF-8) and upload that file',
    },
  );
}

export function invalidUtf8Error(file: string, line: number, bytes: Uint8Array, at: number): Error {
  const hex = Array.from(bytes.subarray(at, at + 4), (b) =>
    b.toString(16).padStart(2, '0').toUpperCase(),
  ).join(' ');
  return fileError(
    'invalid-utf8',
    `The file is read as UTF-8 but has bytes that are not valid UTF-8 (${hex}): it mixes encodings or was cut.`,
    { file, line },
    {
      expected: 'one text encoding for the whole file',
      fix: "re-save the file as 'CSV UTF-8', or set encoding (e.g. 'windows-1252') in the dataset config",
    },
  );
}

/** 1-based line number of a byte offset. */
export function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 10) line++;
  return line;
}
