import { describe, expect, it } from 'vitest';
import {
  inferDateFormat,
  inferDecimalSeparator,
  isCancelledOrderId,
  isReturn,
  looksLikeFormula,
  makeDateParser,
  parseAmount,
} from '../../../lib/ingest/values.js';
import { createRandom } from '../../../lib/util/random.js';

describe('parseAmount', () => {
  it.each([
    ['12.50', 12.5],
    ['-3', -3],
    ['1,234.50', 1234.5],
    ['1.234,50', 1234.5],
    ['1.234.567', 1234567],
    ['1,234', 1234],
    ['12,5', 12.5],
    ['$1,234.56', 1234.56],
    ['1 234,56 €', 1234.56],
    ['1\u00a0234,56\u00a0€', 1234.56],
    ['€ -3,5', -3.5],
    ['-£7.00', -7],
    ['(12.00)', -12],
    ['12.50-', -12.5],
    ["CHF 1'200.00", 1200],
    ['USD 10', 10],
    ['10 EUR', 10],
    ['₹1,00,000', 100000],
    ['1e3', 1000],
    ['+7', 7],
    ['  42  ', 42],
  ])('%j → %d', (text, expected) => {
    expect(parseAmount(text)).toBe(expected);
  });

  it.each(['', 'abc', 'NaN', 'Infinity', '-Infinity', '12..5', '1,2,3', '1.5.2', '--3', '3-4', '12 apples'])(
    '%j → NaN',
    (text) => {
      expect(parseAmount(text)).toBeNaN();
    },
  );

  it('follows a configured decimal separator', () => {
    expect(parseAmount('1.234', { decimal: ',' })).toBe(1234);
    expect(parseAmount('1,234', { decimal: ',' })).toBe(1.234);
    expect(parseAmount('1,234', { decimal: '.' })).toBe(1234);
  });
});

describe('inferDecimalSeparator', () => {
  it.each([
    [['12.50', '1,234.50', '7'], '.'],
    [['12,50', '1.234,50', '7'], ','],
    [['1.234', '12,5'], ','],
    [['1,234', '7'], 'auto'],
    [['7', '12'], 'auto'],
  ] as const)('%j → %s', (samples, expected) => {
    expect(inferDecimalSeparator(samples)).toBe(expected);
  });

  it('settles "1.234" once the column shows its decimal comma', () => {
    const decimal = inferDecimalSeparator(['1.234', '12,50']);
    expect(parseAmount('1.234', { decimal })).toBe(1234);
  });

  it('rejects a column that mixes separators', () => {
    expect(() => inferDecimalSeparator(['12.50', '12,50'], { column: 'Total', file: 'o.csv' })).toThrow(
      "o.csv column 'Total': The amounts use both '.' ('12.50') and ',' ('12,50') as the decimal separator.",
    );
  });
});

describe('inferDateFormat', () => {
  it.each([
    [['2024-03-31', '2024-04-01T10:00:00Z', '2024-04-02 10:00:00+02:00'], 'iso'],
    [['19970101', '19971231'], 'yyyymmdd'],
    [['1704067200', '1704153600.5'], 'epoch-s'],
    [['1704067200000'], 'epoch-ms'],
    [['2024/03/31', '2024/4/1 10:00'], 'ymd-slash'],
    [['12/31/2024 10:05', '1/2/2024'], 'mdy'],
    [['31/12/2024', '1/2/2024'], 'dmy'],
    [['31.12.2024', '01.02.2024'], 'dmy'],
    [['45292', '45293.5'], 'excel-serial'],
  ])('%j → %s', (samples, format) => {
    expect(inferDateFormat(samples).format).toBe(format);
  });

  it('uses dayFirst when the data cannot settle it', () => {
    expect(inferDateFormat(['01/02/2024'], { dayFirst: true }).format).toBe('dmy');
    expect(inferDateFormat(['01/02/2024'], { dayFirst: false }).format).toBe('mdy');
  });

  it('ignores blanks and tolerates a few unreadable values among many', () => {
    const samples = [
      ...Array.from({ length: 30 }, (_, i) => `2024-01-${String(i + 1).padStart(2, '0')}`),
      '',
      'n/a',
    ];
    expect(inferDateFormat(samples).format).toBe('iso');
  });
});

describe('makeDateParser', () => {
  it('reads ISO 8601 with and without zone, with fractions', () => {
    const parse = makeDateParser('iso');
    expect(parse('2024-03-31')).toBe(Date.UTC(2024, 2, 31));
    expect(parse('2024-03-31T14:05:06Z')).toBe(Date.UTC(2024, 2, 31, 14, 5, 6));
    expect(parse('2024-03-31 14:05:06.250')).toBe(Date.UTC(2024, 2, 31, 14, 5, 6, 250));
    expect(parse('2024-03-31T14:05:06+02:00')).toBe(Date.UTC(2024, 2, 31, 12, 5, 6));
    expect(parse('2024-03-31T14:05-0530')).toBe(Date.UTC(2024, 2, 31, 19, 35));
    expect(parse('2024-02-30')).toBeNaN();
    expect(parse('2024-13-01')).toBeNaN();
    expect(parse('2024-03-31T25:00')).toBeNaN();
    expect(parse('garbage')).toBeNaN();
  });

  it('applies the configured time zone to times without a zone, across DST', () => {
    const paris = makeDateParser('iso', { timeZone: 'Europe/Paris' });
    expect(paris('2024-01-15T12:00:00')).toBe(Date.UTC(2024, 0, 15, 11));
    expect(paris('2024-07-15T12:00:00')).toBe(Date.UTC(2024, 6, 15, 10));
    expect(paris('2024-07-15T12:00:00Z')).toBe(Date.UTC(2024, 6, 15, 12));
    const ny = makeDateParser('mdy', { timeZone: 'America/New_York' });
    expect(ny('3/10/2024 12:00 PM')).toBe(Date.UTC(2024, 2, 10, 16));
    expect(ny('3/9/2024 12:00 AM')).toBe(Date.UTC(2024, 2, 9, 5));
  });

  it('reads epoch seconds and milliseconds, YYYYMMDD, M/D/Y, D/M/Y, Y/M/D and Excel serials', () => {
    expect(makeDateParser('epoch-s')('1704067200')).toBe(1704067200000);
    expect(makeDateParser('epoch-ms')('1704067200123')).toBe(1704067200123);
    expect(makeDateParser('yyyymmdd')('19970101')).toBe(Date.UTC(1997, 0, 1));
    expect(makeDateParser('yyyymmdd')('19970231')).toBeNaN();
    expect(makeDateParser('mdy')('12/1/2010 8:26')).toBe(Date.UTC(2010, 11, 1, 8, 26));
    expect(makeDateParser('dmy')('01/12/2010 08:26:30')).toBe(Date.UTC(2010, 11, 1, 8, 26, 30));
    expect(makeDateParser('dmy')('31.12.24')).toBe(Date.UTC(2024, 11, 31));
    expect(makeDateParser('ymd-slash')('2024/3/31')).toBe(Date.UTC(2024, 2, 31));
    expect(makeDateParser('excel-serial')('45292')).toBe(Date.UTC(2024, 0, 1));
  });

  it('rejects an unknown time zone with a fix', () => {
    expect(() => makeDateParser('iso', { timeZone: 'Mars/Olympus' })).toThrow(/not known/);
  });
});

describe('returns and formulas', () => {
  it('keeps returns and cancellations as returns', () => {
    expect(isCancelledOrderId('C536379')).toBe(true);
    expect(isCancelledOrderId('536379')).toBe(false);
    expect(isCancelledOrderId('CUST1')).toBe(false);
    expect(isReturn({ quantity: -1 })).toBe(true);
    expect(isReturn({ amount: -9.5 })).toBe(true);
    expect(isReturn({ orderId: 'C536379', quantity: 1 })).toBe(true);
    expect(isReturn({ status: 'Refunded' })).toBe(true);
    expect(isReturn({ status: 'partially_refunded' })).toBe(false);
    expect(isReturn({ quantity: 2, amount: 10, orderId: '536379', status: 'paid' })).toBe(false);
  });

  it('flags formula-looking cells but not signed numbers or phone numbers', () => {
    expect(looksLikeFormula('=1+1')).toBe(true);
    expect(looksLikeFormula('@SUM(A1)')).toBe(true);
    expect(looksLikeFormula('+HYPERLINK("x")')).toBe(true);
    expect(looksLikeFormula('-12.5')).toBe(false);
    expect(looksLikeFormula('+1 (555) 123-4567')).toBe(false);
    expect(looksLikeFormula('plain')).toBe(false);
  });
});

describe('fast paths read exactly what the general parsers read (randomized corpus)', () => {
  it('plain numbers: parseAmount equals Number() on 20,000 random decimal strings', () => {
    // Prepare: integers, 0-15 decimals, leading zeros, lone dots, signs, up to 17 characters
    const random = createRandom(77);
    const texts: string[] = [
      '0',
      '-0',
      '.5',
      '-.5',
      '12.',
      '007',
      '999999999999999',
      '0.1',
      '-0.000000000000001',
    ];
    for (let i = 0; i < 20_000; i++) {
      const intDigits = random.int(9);
      const fracDigits = random.int(9);
      let t = random.next() < 0.3 ? '-' : '';
      for (let j = 0; j < intDigits; j++) t += String(random.int(10));
      if (fracDigits > 0 || random.next() < 0.1) t += '.';
      for (let j = 0; j < fracDigits; j++) t += String(random.int(10));
      if (/\d/.test(t)) texts.push(t);
    }

    // Act
    const mismatches = texts.filter((t) => !Object.is(parseAmount(t), Number(t)));

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('ISO dates: the arithmetic epoch equals Date.UTC on 8,000 random valid and overflowing dates', () => {
    // Prepare: years 0000-9999 (00-99 read as 19xx, as Date.UTC does), day 29-31 overflow included
    const random = createRandom(78);
    const parse = makeDateParser('iso');
    const pad = (v: number, w: number): string => String(v).padStart(w, '0');
    const cases: { text: string; expected: number }[] = [];
    for (let i = 0; i < 8_000; i++) {
      const y = random.next() < 0.05 ? random.int(100) : random.int(10_000);
      const mo = 1 + random.int(12);
      const d = 1 + random.int(31);
      const h = random.int(24);
      const mi = random.int(60);
      const s = random.int(60);
      const ms = random.int(1000);
      const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
      cases.push({ text, expected: d > days ? Number.NaN : Date.UTC(y, mo - 1, d, h, mi, s, ms) });
    }

    // Act
    const mismatches = cases.filter((c) => !Object.is(parse(c.text), c.expected));

    // Assess
    expect(mismatches).toEqual([]);
  });
});
