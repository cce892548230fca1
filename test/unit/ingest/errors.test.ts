import { describe, expect, it } from 'vitest';
import { formatIssue, InputFileError, makeIssue, maskValue } from '../../../lib/ingest/errors.js';
import { bytesOf, caught, read } from './helpers.js';

describe('maskValue', () => {
  it.each([
    ['jane.doe@example.com', 'j***@***.com'],
    ['Jane Doe,jane@x.co.uk,12', 'Jane Doe,j***@***.uk,12'],
    ['+33 6 12 34 56 78', '***78'],
    ['c1,(555) 123-4567,x', 'c1,(***67,x'],
    ['2024-01-02 10:00:00', '2024-01-02 10:00:00'],
    ['12/31/2024 10:05', '12/31/2024 10:05'],
    ['1,234,567.00', '1,234,567.00'],
    ['C536379', 'C536379'],
  ])('%j → %j', (text, masked) => {
    expect(maskValue(text)).toBe(masked);
  });

  it('masks a whole identifier value and shortens long values to 60 characters', () => {
    expect(maskValue('4155551234', { identifier: true })).toBe('***34');
    const long = maskValue('x'.repeat(100));
    expect(long).toHaveLength(60);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('InputFileError', () => {
  it('carries the issue and reads as one actionable line', () => {
    const issue = makeIssue(
      'non-numeric-amount',
      'The amount is not a number.',
      { file: 'orders.csv', line: 12, column: 'Total', value: 'jane@example.com' },
      { expected: 'a number', fix: 'map the right column' },
    );
    const error = new InputFileError(issue);
    expect(error.name).toBe('InputFileError');
    expect(error.issue.value).toBe('j***@***.com');
    expect(error.message).toBe(
      "orders.csv line 12, column 'Total': The amount is not a number. (value: 'j***@***.com') Expected: a number. Fix: map the right column",
    );
    expect(formatIssue({ code: 'x', message: 'm.', file: 'f.csv' })).toBe('f.csv: m.');
  });
});

describe('encoding decided past the sample', () => {
  it('keeps a Latin byte that ends a chunk when switching to Windows-1252', async () => {
    // Prepare: chunks of 70,000 bytes; the sample is the first; 0xE9 is the last byte of the second.
    const bytes = new Uint8Array([
      ...bytesOf(`id,city\n${'1,Paris\n'.repeat(17_498)}2,xxOrl`),
      0xe9,
      ...bytesOf('ans\n'),
    ]);
    expect(bytes[139_999]).toBe(0xe9);
    // Act
    const { rows, info, issues } = await read(bytes, {}, 70_000);
    // Assess
    expect(issues).toEqual([]);
    expect(rows.at(-1)).toEqual(['2', 'xxOrléans']);
    expect(info.encoding).toBe('windows-1252');
  });

  it('reads a last Latin byte at the very end of an ASCII file as Windows-1252', async () => {
    const bytes = new Uint8Array([...bytesOf(`id,city\n${'1,Paris\n'.repeat(9000)}2,Orl`), 0xe9]);
    const { rows, info } = await read(bytes, {}, 65_536);
    expect(rows.at(-1)).toEqual(['2', 'Orlé']);
    expect(info.encoding).toBe('windows-1252');
  });

  it('rejects a UTF-8 file cut in the middle of a character', async () => {
    const bytes = new Uint8Array([...bytesOf('id,city\n1,Zoë\n2,Zo'), 0xc3]);
    const error = await caught(() => read(bytes, {}, 5));
    expect(error.issue).toMatchObject({ code: 'invalid-utf8', line: 3 });
    expect(error.issue.message).toBe(
      'The file is read as UTF-8 but has bytes that are not valid UTF-8 (C3): it mixes encodings or was cut.',
    );
  });

  it('switches to Windows-1252 when an ASCII-only start is followed by a Latin byte', async () => {
    // Prepare: 100 KB of ASCII (more than the 64 KiB sniffing sample), then 'é' as 0xE9.
    const ascii = `id,city\n${'1,Paris\n'.repeat(12_500)}`;
    const bytes = new Uint8Array([...bytesOf(ascii), ...bytesOf('2,Orl'), 0xe9, ...bytesOf('ans\n')]);
    // Act
    const { rows, info, issues } = await read(bytes, {}, 16_384);
    // Assess
    expect(issues).toEqual([]);
    expect(rows.at(-1)).toEqual(['2', 'Orléans']);
    expect(info.encoding).toBe('windows-1252');
    expect(info.rowsRead).toBe(12_501);
  });
});
