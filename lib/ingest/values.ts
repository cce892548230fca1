// Turns the text of one field into a typed value: amounts (currency symbols, thousands separators, decimal
// commas, accounting negatives), dates (ISO 8601, epoch, YYYYMMDD, M/D/Y and D/M/Y, inferred from the data
// and never guessed silently) and flags (returns, formula-looking cells). Parsers are hand-written char
// loops: they run once per row on the 2M rows/s path.

import { fileError, type Issue, makeIssue } from './errors.js';

const D0 = 48;
const D9 = 57;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

/** Plain numbers ("12", "-3.50") skip all the locale handling below. */
function plainNumber(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 20) return false;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if (c === 46 && !dot) dot = true;
    else return false;
  }
  return digits > 0;
}

// Powers of ten exactly representable in a double: a ≤15-digit integer divided by one of these is one
// correctly rounded operation, so the result equals Number(text) (Clinger's fast path).
const EXACT_POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The value of a plain number ("12", "-3.50", ".5") with at most 15 digits, read straight from the
 * characters; NaN when the text is anything else (the caller then takes the general path).
 */
function plainValue(text: string): number {
  return plainSpanValue(text, 0, text.length);
}

const CURRENCY_CODES = new Set([
  'USD',
  'EUR',
  'GBP',
  'JPY',
  'CHF',
  'CAD',
  'AUD',
  'NZD',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'INR',
  'BRL',
  'MXN',
  'CNY',
  'ZAR',
  'SGD',
  'HKD',
]);

/**
 * Parses an amount such as "1,234.50", "1.234,50 €", "$ 12", "(12.00)", "-€3,5" or "CHF 1'200.00".
 * decimal: which character separates decimals; 'auto' (default) takes the last of '.' or ',' when both
 * appear, a lone ',' followed by 1-2 digits as decimal and by exactly 3 digits as thousands.
 * Returns NaN when the text is not a finite amount ('NaN', 'Infinity', '', words).
 */
export function parseAmount(text: string, options?: { decimal?: '.' | ',' | 'auto' }): number {
  const decimal = options?.decimal ?? 'auto';
  if (decimal !== ',') {
    const v = plainValue(text);
    if (!Number.isNaN(v)) return v; // a plain number, read exactly
    if (plainNumber(text)) return Number(text);
  }
  let s = text.trim();
  if (s.length === 0) return Number.NaN;
  let negative = false;
  if (s.charCodeAt(0) === 40 && s.charCodeAt(s.length - 1) === 41) {
    negative = true; // accounting negative: (12.50)
    s = s.slice(1, -1).trim();
  }
  // Strip currency: symbols anywhere at the ends, ISO codes as a prefix or suffix word.
  if (s.length >= 3) {
    const pre = s.slice(0, 3).toUpperCase();
    const post = s.slice(-3).toUpperCase();
    if (CURRENCY_CODES.has(pre) && (s.length === 3 || !/[A-Za-z]/.test(s.charAt(3)))) s = s.slice(3).trim();
    else if (CURRENCY_CODES.has(post) && (s.length === 3 || !/[A-Za-z]/.test(s.charAt(s.length - 4))))
      s = s.slice(0, -3).trim();
  }
  let out = '';
  let sign = 0;
  let dots = 0;
  let commas = 0;
  let lastDot = -1;
  let lastComma = -1;
  let digits = 0;
  let exponent = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      out += s[i];
      digits++;
    } else if (c === 46) {
      dots++;
      lastDot = out.length;
      out += '.';
    } else if (c === 44) {
      commas++;
      lastComma = out.length;
      out += ',';
    } else if (c === 45 || c === 43 || c === 0x2212) {
      if (digits > 0 && !exponent) {
        // trailing minus ("12.50-") as some ERPs print it
        if (i !== s.length - 1) return Number.NaN;
      }
      if (sign !== 0 && !exponent) return Number.NaN;
      if (exponent) out += c === 45 ? '-' : '+';
      else sign = c === 43 ? 1 : -1;
    } else if ((c === 101 || c === 69) && digits > 0 && !exponent) {
      exponent = true;
      out += 'e';
    } else if (c === 32 || c === 0xa0 || c === 0x202f || c === 0x2009 || c === 39 || c === 0x2019) {
      // spaces and apostrophes as thousands separators
    } else if (
      c === 36 ||
      c === 0x20ac ||
      c === 0xa3 ||
      c === 0xa5 ||
      c === 0x20b9 ||
      c === 0x20a9 ||
      c === 0x20bd ||
      c === 0x20ba ||
      c === 0x20b1
    ) {
      // $ € £ ¥ ₹ ₩ ₽ ₺ ₱
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0) return Number.NaN;
  let decimalChar: string;
  if (decimal === '.') decimalChar = '.';
  else if (decimal === ',') decimalChar = ',';
  else if (dots > 0 && commas > 0) decimalChar = lastDot > lastComma ? '.' : ',';
  else if (commas === 1 && dots === 0) decimalChar = out.length - lastComma - 1 === 3 ? '.' : ',';
  else if (dots === 1) decimalChar = '.';
  else if (commas > 1) decimalChar = '.';
  else decimalChar = dots > 1 ? ',' : '.';
  const thousands = decimalChar === '.' ? ',' : '.';
  if ((decimalChar === '.' ? dots : commas) > 1) return Number.NaN;
  // Thousands separators must sit between digit groups: 3 digits after each (2 allowed before the last
  // group, for Indian lakh grouping 1,00,000); "12..5" or "1,2,3" is not an amount.
  let normal = '';
  let group = -1;
  for (let i = 0; i < out.length; i++) {
    const ch = out[i];
    if (ch === thousands) {
      if (group >= 0 && group !== 3 && group !== 2) return Number.NaN;
      if (i === 0 || !isDigit(out.charCodeAt(i - 1))) return Number.NaN;
      group = 0;
      continue;
    }
    if (ch === decimalChar || ch === 'e') {
      if (group >= 0 && group !== 3) return Number.NaN;
      group = -2;
    } else if (group >= 0) group++;
    normal += ch === decimalChar ? '.' : ch;
  }
  if (group >= 0 && group !== 3) return Number.NaN;
  const value = Number(normal);
  if (!Number.isFinite(value)) return Number.NaN;
  return negative || sign < 0 ? -value : value;
}

/**
 * The decimal separator of an amount column, from sample values: a separator followed by one or two
 * final digits ("12,50", "3.5"), or the last of two different separators ("1.234,50"), settles it. Returns
 * 'auto' when nothing does (integers, or only "1,234"-like values) and throws when samples disagree.
 */
export function inferDecimalSeparator(
  samples: readonly string[],
  options?: { column?: string; file?: string },
): '.' | ',' | 'auto' {
  let dot = '';
  let comma = '';
  for (const raw of samples) {
    const t = raw.trim();
    const lastDot = t.lastIndexOf('.');
    const lastComma = t.lastIndexOf(',');
    if (lastDot < 0 && lastComma < 0) continue;
    if (lastDot >= 0 && lastComma >= 0) {
      if (lastDot > lastComma) dot ||= t;
      else comma ||= t;
      continue;
    }
    const at = Math.max(lastDot, lastComma);
    let digits = 0;
    for (let i = at + 1; i < t.length && isDigit(t.charCodeAt(i)); i++) digits++;
    if (digits === 0 || digits === 3) continue; // "1,234" / "1.234": could be either
    if (lastDot >= 0) dot ||= t;
    else comma ||= t;
  }
  if (dot !== '' && comma !== '') {
    const where = { file: options?.file ?? 'input', column: options?.column };
    throw fileError(
      'mixed-decimal-separators',
      `The amounts use both '.' ('${dot}') and ',' ('${comma}') as the decimal separator.`,
      where.column === undefined ? { file: where.file } : { file: where.file, column: where.column },
      {
        expected: 'one decimal separator per column',
        fix: 'export amounts with one decimal separator, or set decimal in the dataset config',
      },
    );
  }
  return dot !== '' ? '.' : comma !== '' ? ',' : 'auto';
}

/** Why an amount did not parse, for an issue code the ingest stage can report. */
export function amountIssue(
  text: string,
  where: { file: string; line?: number; column?: string },
): Issue | null {
  if (!Number.isNaN(parseAmount(text))) return null;
  const t = text.trim();
  if (t.length === 0) {
    return makeIssue('missing-amount', 'The amount is empty.', where, {
      expected: 'a number such as 12.50',
      fix: 'fill in the amount or remove the row from the export',
    });
  }
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) {
    return makeIssue(
      'non-finite-amount',
      `The amount '${t}' is not a finite number.`,
      { ...where, value: t },
      {
        expected: 'a number such as 12.50',
        fix: 'fix the formula or calculation that produced it in the source system',
      },
    );
  }
  return makeIssue(
    'non-numeric-amount',
    'The amount is not a number.',
    { ...where, value: t },
    {
      expected: 'a number such as 12.50, 1,234.50, 1.234,50 or $12',
      fix: 'check that the amount column is mapped to the right header',
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// Dates

export type DateFormat =
  | 'iso'
  | 'epoch-s'
  | 'epoch-ms'
  | 'yyyymmdd'
  | 'mdy'
  | 'dmy'
  | 'ymd-slash'
  /** Excel serial day numbers (1900 date system), as left by some spreadsheet exports. */
  | 'excel-serial';

type Family = DateFormat | 'slash-ambiguous';

interface SlashParts {
  a: number;
  b: number;
  c: number;
  sep: string;
}

/** Splits "12/31/2024 10:30" (or "31.12.2024", "12-31-24") into its three date numbers. */
function slashParts(text: string): SlashParts | null {
  const m =
    /^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?)?$/.exec(
      text,
    );
  if (m === null) return null;
  return { a: Number(m[1]), b: Number(m[3]), c: Number(m[4]), sep: m[2] };
}

function classify(text: string): { family: Family; parts?: SlashParts } | null {
  if (
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s?(?:Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/.test(
      text,
    )
  ) {
    return { family: 'iso' };
  }
  if (/^\d{4}\/\d{1,2}\/\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/.test(text)) return { family: 'ymd-slash' };
  if (/^\d{8}$/.test(text)) {
    const y = Number(text.slice(0, 4));
    const m = Number(text.slice(4, 6));
    const d = Number(text.slice(6, 8));
    if (y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31) return { family: 'yyyymmdd' };
  }
  if (/^\d{9,10}(?:\.\d+)?$/.test(text)) return { family: 'epoch-s' };
  if (/^\d{12,13}$/.test(text)) return { family: 'epoch-ms' };
  if (/^\d{5}(?:\.\d+)?$/.test(text)) {
    const v = Number(text);
    if (v >= 20000 && v <= 80000) return { family: 'excel-serial' };
  }
  const parts = slashParts(text);
  if (parts !== null) return { family: 'slash-ambiguous', parts };
  return null;
}

/**
 * Infers the date format of a column from sample values. Day/month order for D/M/Y-looking dates comes
 * from `dayFirst` or from a value that settles it (a first number over 12 means day-first); when
 * neither does, this throws rather than guess, saying how to settle it.
 */
export function inferDateFormat(
  samples: readonly string[],
  options?: { dayFirst?: boolean; column?: string; file?: string },
): { format: DateFormat } {
  const file = options?.file ?? 'input';
  const column = options?.column;
  const where = column === undefined ? { file } : { file, column };
  const counts = new Map<Family, number>();
  const unknown: string[] = [];
  let firstOver12 = 0;
  let secondOver12 = 0;
  let firstExample = '';
  let secondExample = '';
  let seen = 0;
  for (const raw of samples) {
    const text = raw.trim();
    if (text.length === 0) continue;
    seen++;
    const kind = classify(text);
    if (kind === null) {
      if (unknown.length < 3) unknown.push(text);
      else unknown.length = 3;
      continue;
    }
    counts.set(kind.family, (counts.get(kind.family) ?? 0) + 1);
    if (kind.parts !== undefined) {
      if (kind.parts.a > 12 && kind.parts.b <= 12) {
        firstOver12++;
        firstExample ||= text;
      }
      if (kind.parts.b > 12 && kind.parts.a <= 12) {
        secondOver12++;
        secondExample ||= text;
      }
    }
  }
  if (seen === 0) {
    throw fileError('no-dates', 'The date column has no values to read.', where, {
      expected: 'dates such as 2024-03-31 or 3/31/2024',
      fix: 'check that the right column is mapped to the date',
    });
  }
  let unrecognised = seen;
  for (const c of counts.values()) unrecognised -= c;
  const families = [...counts.entries()].filter(([, c]) => c > 0);
  // Epoch seconds and YYYYMMDD can look alike only for implausible values; take the dominant family.
  families.sort((x, y) => y[1] - x[1]);
  if (families.length === 0 || unrecognised > seen * 0.1) {
    const examples = unknown.length > 0 ? unknown : samples.slice(0, 3);
    throw fileError(
      'unrecognised-date',
      `The dates in this column are in a format that is not recognised (e.g. ${examples.map((e) => `'${e}'`).join(', ')}).`,
      where,
      {
        expected:
          'ISO 8601 (2024-03-31 or 2024-03-31T14:05:00Z), epoch seconds or milliseconds, YYYYMMDD, M/D/YYYY or D/M/YYYY',
        fix: 'export dates in ISO 8601, or set the date format of this column in the dataset config',
      },
    );
  }
  const [top] = families[0];
  if (families.length > 1 && families[1][1] > seen * 0.1) {
    throw fileError(
      'mixed-date-formats',
      `The column mixes date formats (${families.map(([f, c]) => `${c} × ${f}`).join(', ')}).`,
      where,
      { expected: 'one date format per column', fix: 'export all dates in one format (ISO 8601 is best)' },
    );
  }
  if (top !== 'slash-ambiguous') return { format: top };
  const dayFirst = options?.dayFirst;
  if (firstOver12 > 0 && secondOver12 > 0) {
    throw fileError(
      'mixed-date-formats',
      `The column has both day-first dates ('${firstExample}') and month-first dates ('${secondExample}').`,
      where,
      { expected: 'one date format per column', fix: 'export all dates in one format (ISO 8601 is best)' },
    );
  }
  if (firstOver12 > 0) {
    if (dayFirst === false) throw dayOrderConflict(where, firstExample, 'dayFirst: false');
    return { format: 'dmy' };
  }
  if (secondOver12 > 0) {
    if (dayFirst === true) throw dayOrderConflict(where, secondExample, 'dayFirst: true');
    return { format: 'mdy' };
  }
  if (dayFirst === true) return { format: 'dmy' };
  if (dayFirst === false) return { format: 'mdy' };
  const example = samples.map((s) => s.trim()).find((s) => s.length > 0) ?? '';
  const parts = slashParts(example);
  const reading =
    parts === null
      ? ''
      : ` '${example}' could be ${monthName(parts.b)} ${parts.a} (day first) or ${monthName(parts.a)} ${parts.b} (month first).`;
  throw fileError(
    'ambiguous-dates',
    `Every date in the column has day and month both 12 or under, so the order cannot be told from the data.${reading}`,
    where,
    {
      expected: 'dayFirst set in the dataset config for D/M/YYYY or M/D/YYYY dates',
      fix: `set "dayFirst": true (D/M/YYYY, e.g. 31/12/2024) or "dayFirst": false (M/D/YYYY, e.g. 12/31/2024) for ${column === undefined ? 'this file' : `column '${column}'`} in the dataset config`,
    },
  );
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function monthName(m: number): string {
  return MONTHS[m - 1] ?? `month ${m}`;
}

function dayOrderConflict(where: { file: string; column?: string }, example: string, setting: string): Error {
  return fileError(
    'date-order-conflict',
    `The dataset config says ${setting}, but the data has '${example}', which can only be read the other way.`,
    { ...where, value: example },
    {
      expected: 'dates that match the configured day/month order',
      fix: `remove or flip ${setting} in the dataset config`,
    },
  );
}

// Time zones: the offset of a zone at an instant, cached per UTC hour (offsets change on whole hours in
// practice), so a column of local times costs one Intl call per distinct hour, not per row.

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneOffsetMs(timeZone: string, utcMs: number, cache: Map<number, number>): number {
  const hour = Math.floor(utcMs / 3_600_000);
  const cached = cache.get(hour);
  if (cached !== undefined) return cached;
  let fmt = zoneFormatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, fmt);
  }
  const at = hour * 3_600_000;
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const offset = wall - at;
  if (cache.size > 100_000) cache.clear();
  cache.set(hour, offset);
  return offset;
}

/** Checks a time-zone name once, with a message that says what to set. */
export function checkTimeZone(timeZone: string, file = 'config'): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw fileError(
      'unknown-time-zone',
      `The time zone '${timeZone}' is not known.`,
      { file },
      {
        expected: "an IANA time zone such as 'UTC', 'Europe/Paris' or 'America/New_York'",
        fix: 'set timeZone in the dataset config to an IANA name',
      },
    );
  }
}

function daysInMonth(y: number, m: number): number {
  return m === 2
    ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
      ? 29
      : 28
    : m === 4 || m === 6 || m === 9 || m === 11
      ? 30
      : 31;
}

/**
 * Date.UTC for a valid calendar date (month 1-12), without the call: days from the civil date by
 * integer arithmetic (H. Hinnant's days_from_civil). Years 0-99 mean 1900-1999, as in Date.UTC.
 */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y <= 99) y += 1900;
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
}

/** Reads `count` digits at `pos`; -1 if any is not a digit. */
function digitsAt(text: string, pos: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) {
    const c = text.charCodeAt(pos + i);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - D0);
  }
  return v;
}

/** Reads 1+ digits at `pos`; returns value and end, or value -1. */
function number(text: string, pos: number, max: number): { v: number; end: number } {
  let v = 0;
  let i = pos;
  while (i < text.length && i - pos < max) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) break;
    v = v * 10 + (c - D0);
    i++;
  }
  return i === pos ? { v: -1, end: pos } : { v, end: i };
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  /** Offset given in the text, in minutes, or NaN when none (local time in the configured zone). */
  offsetMin: number;
}

/** Parses the optional " HH:MM[:SS[.fff]][ AM|PM][zone]" after a date; false when malformed. */
function parseTime(text: string, pos: number, w: Wall, zones: boolean): boolean {
  const n = text.length;
  if (pos >= n) return true;
  const sep = text.charCodeAt(pos);
  if (sep !== 32 && sep !== 84 && sep !== 116) return zones ? parseZone(text, pos, w) : false;
  let i = pos + 1;
  while (i < n && text.charCodeAt(i) === 32) i++;
  const h = number(text, i, 2);
  if (h.v < 0 || text.charCodeAt(h.end) !== 58) return false;
  const mi = digitsAt(text, h.end + 1, 2);
  if (mi < 0) return false;
  w.h = h.v;
  w.mi = mi;
  i = h.end + 3;
  if (text.charCodeAt(i) === 58) {
    const s = digitsAt(text, i + 1, 2);
    if (s < 0) return false;
    w.s = s;
    i += 3;
    const f = text.charCodeAt(i);
    if (f === 46 || f === 44) {
      let j = i + 1;
      let frac = 0;
      let scale = 100;
      while (j < n && isDigit(text.charCodeAt(j))) {
        frac += (text.charCodeAt(j) - D0) * scale;
        scale /= 10;
        j++;
      }
      if (j === i + 1) return false;
      w.ms = Math.floor(frac);
      i = j;
    }
  }
  while (i < n && text.charCodeAt(i) === 32) i++;
  if (i + 1 < n) {
    const a = text.charCodeAt(i) | 32;
    const m = text.charCodeAt(i + 1) | 32;
    if ((a === 97 || a === 112) && m === 109) {
      if (w.h < 1 || w.h > 12) return false;
      if (a === 97 && w.h === 12) w.h = 0;
      else if (a === 112 && w.h !== 12) w.h += 12;
      i += 2;
      while (i < n && text.charCodeAt(i) === 32) i++;
    }
  }
  if (i >= n) return true;
  return zones ? parseZone(text, i, w) : false;
}

function parseZone(text: string, pos: number, w: Wall): boolean {
  const rest = pos < text.length && text.charCodeAt(pos) === 32 ? text.slice(pos + 1) : text.slice(pos);
  if (rest === 'Z' || rest === 'z' || rest === 'UTC' || rest === 'GMT') {
    w.offsetMin = 0;
    return true;
  }
  const c = rest.charCodeAt(0);
  if (c !== 43 && c !== 45) return false;
  const hh = digitsAt(rest, 1, 2);
  if (hh < 0) return false;
  let mm = 0;
  if (rest.length === 6 && rest.charCodeAt(3) === 58) mm = digitsAt(rest, 4, 2);
  else if (rest.length === 5) mm = digitsAt(rest, 3, 2);
  else if (rest.length !== 3) return false;
  if (mm < 0 || hh > 14 || mm > 59) return false;
  w.offsetMin = (c === 45 ? -1 : 1) * (hh * 60 + mm);
  return true;
}

/**
 * A parser for one date format, returning epoch milliseconds (NaN when the text is not a valid date).
 * Times without a zone are read in `timeZone` (IANA, default 'UTC').
 */
export function makeDateParser(
  format: DateFormat,
  options?: { timeZone?: string },
): (text: string) => number {
  const timeZone = options?.timeZone ?? 'UTC';
  const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC';
  if (!utc) checkTimeZone(timeZone);
  const cache = new Map<number, number>();
  const w: Wall = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0, offsetMin: Number.NaN };
  const toEpoch = (): number => {
    if (w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > daysInMonth(w.y, w.mo)) return Number.NaN;
    if (w.h > 23 || w.mi > 59 || w.s > 59) return Number.NaN;
    const wall = utcMs(w.y, w.mo, w.d, w.h, w.mi, w.s, w.ms);
    if (!Number.isNaN(w.offsetMin)) return wall - w.offsetMin * 60_000;
    if (utc) return wall;
    // Local wall time → instant: subtract the offset in force, re-checked once across DST changes.
    const first = zoneOffsetMs(timeZone, wall, cache);
    const second = zoneOffsetMs(timeZone, wall - first, cache);
    return wall - second;
  };
  const reset = (): void => {
    w.h = 0;
    w.mi = 0;
    w.s = 0;
    w.ms = 0;
    w.offsetMin = Number.NaN;
  };
  switch (format) {
    case 'iso':
      return (raw) => {
        const text = raw.trim();
        reset();
        w.y = digitsAt(text, 0, 4);
        if (w.y < 0 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
        w.mo = digitsAt(text, 5, 2);
        w.d = digitsAt(text, 8, 2);
        if (w.mo < 0 || w.d < 0) return Number.NaN;
        if (!parseTime(text, 10, w, true)) return Number.NaN;
        return toEpoch();
      };
    case 'yyyymmdd':
      return (raw) => {
        const text = raw.trim();
        reset();
        if (text.length !== 8) return Number.NaN;
        w.y = digitsAt(text, 0, 4);
        w.mo = digitsAt(text, 4, 2);
        w.d = digitsAt(text, 6, 2);
        if (w.y < 0 || w.mo < 0 || w.d < 0) return Number.NaN;
        return toEpoch();
      };
    case 'epoch-s':
    case 'epoch-ms':
    case 'excel-serial':
      return (raw) => {
        const text = raw.trim();
        if (text.length === 0) return Number.NaN;
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          if (!isDigit(c) && c !== 46 && !(i === 0 && c === 45)) return Number.NaN;
        }
        const v = Number(text);
        if (!Number.isFinite(v)) return Number.NaN;
        if (format === 'epoch-s') return Math.round(v * 1000);
        if (format === 'epoch-ms') return Math.round(v);
        // Excel day 25569 is 1970-01-01; serials carry local wall time.
        const wall = Math.round((v - 25569) * 86_400_000);
        return utc ? wall : wall - zoneOffsetMs(timeZone, wall - zoneOffsetMs(timeZone, wall, cache), cache);
      };
    case 'mdy':
    case 'dmy':
    case 'ymd-slash':
      return (raw) => {
        const text = raw.trim();
        reset();
        const p1 = number(text, 0, format === 'ymd-slash' ? 4 : 2);
        if (p1.v < 0) return Number.NaN;
        const sep = text.charCodeAt(p1.end);
        if (sep !== 47 && sep !== 46 && sep !== 45) return Number.NaN;
        const p2 = number(text, p1.end + 1, 2);
        if (p2.v < 0 || text.charCodeAt(p2.end) !== sep) return Number.NaN;
        const p3 = number(text, p2.end + 1, format === 'ymd-slash' ? 2 : 4);
        if (p3.v < 0) return Number.NaN;
        if (format === 'ymd-slash') {
          w.y = p1.v;
          w.mo = p2.v;
          w.d = p3.v;
        } else {
          const len = p3.end - p2.end - 1;
          if (len !== 2 && len !== 4) return Number.NaN;
          w.y = len === 2 ? (p3.v < 70 ? 2000 + p3.v : 1900 + p3.v) : p3.v;
          w.mo = format === 'mdy' ? p1.v : p2.v;
          w.d = format === 'mdy' ? p2.v : p1.v;
        }
        if (!parseTime(text, p3.end, w, true)) return Number.NaN;
        return toEpoch();
      };
    default: {
      const never: never = format;
      throw new Error(`unknown date format ${String(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Cells to flag

/**
 * A cell that a spreadsheet would run as a formula ("=cmd|' /C calc'!A0", "@SUM(...)", "+HYPERLINK(...)"):
 * reported with code 'formula-like-value' so the stage can neutralise it before it reaches any export.
 * Plain signed numbers ("-12.50", "+33 6 12") are not flagged.
 */
export function looksLikeFormula(text: string): boolean {
  if (text.length === 0) return false;
  const c = text.charCodeAt(0);
  if (c === 61 || c === 64) return text.length > 1; // = @
  if (c === 9 || c === 13) return true;
  if (c === 43 || c === 45) {
    for (let i = 1; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (!isDigit(d) && d !== 46 && d !== 44 && d !== 32 && d !== 40 && d !== 41 && d !== 45) return true;
    }
  }
  return false;
}

export function formulaIssue(
  text: string,
  where: { file: string; line?: number; column?: string },
): Issue | null {
  if (!looksLikeFormula(text)) return null;
  return makeIssue(
    'formula-like-value',
    'The value starts like a spreadsheet formula; it is kept as text and must never be opened as a formula.',
    { ...where, value: text },
    {
      expected: 'plain values',
      fix: "check the source system for injected content; prefix the value with ' if it is meant as text",
    },
  );
}

const RETURN_STATUSES = new Set([
  'cancelled',
  'canceled',
  'cancel',
  'refunded',
  'refund',
  'returned',
  'return',
  'void',
  'voided',
  'chargeback',
  'reversed',
]);

/** Online Retail style invoice numbers: 'C536379' marks a cancellation. */
export function isCancelledOrderId(orderId: string): boolean {
  return orderId.length > 1 && (orderId.charCodeAt(0) | 32) === 99 && isDigit(orderId.charCodeAt(1));
}

export function isReturnStatus(status: string): boolean {
  // Most statuses are one lower-case word ('paid'): look it up as is, without three new strings.
  let plain = status.length > 0;
  for (let i = 0; plain && i < status.length; i++) {
    const c = status.charCodeAt(i);
    plain = c >= 97 && c <= 122;
  }
  if (plain) return RETURN_STATUSES.has(status);
  return RETURN_STATUSES.has(
    status
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ''),
  );
}

/**
 * Whether a transaction row is a return or cancellation (kept as a return, never dropped): a negative
 * quantity or amount, a cancelled invoice number, or a return-like status.
 */
export function isReturn(row: {
  quantity?: number;
  amount?: number;
  orderId?: string;
  status?: string;
}): boolean {
  return isReturnValues(row.quantity, row.amount, row.orderId, row.status);
}

/** isReturn on separate values: the per-row path, with no object built for the question. */
export function isReturnValues(
  quantity: number | undefined,
  amount: number | undefined,
  orderId: string | undefined,
  status: string | undefined,
): boolean {
  if (quantity !== undefined && quantity < 0) return true;
  if (amount !== undefined && amount < 0) return true;
  if (orderId !== undefined && isCancelledOrderId(orderId)) return true;
  if (status !== undefined && isReturnStatus(status)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------
// The same readings over a span of a decoded chunk (the delimited reader's fast path): no string is made
// for the field. Each returns NaN for anything but its common case; the caller then slices the field and
// takes the general parser, so results are the general parser's by construction.

/** plainValue over text[start, end). */
export function plainSpanValue(text: string, start: number, end: number): number {
  const n = end - start;
  if (n === 0 || n > 17) return Number.NaN;
  const negative = text.charCodeAt(start) === 45;
  let i = negative ? start + 1 : start;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= D0 && c <= D9) {
      mantissa = mantissa * 10 + (c - D0);
      digits++;
    } else if (c === 46 && scale < 0) scale = i;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const decimals = scale < 0 ? 0 : end - scale - 1;
  const v = decimals === 0 ? mantissa : mantissa / EXACT_POWERS[decimals];
  return negative ? -v : v;
}

/**
 * An ISO date of the usual export shapes, YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM:SS (both in UTC only: `utc`)
 * and YYYY-MM-DD[T ]HH:MM:SSZ, over text[start, end): the 'iso' parser's value, or NaN for any other
 * shape and for an invalid date (the caller then asks the general parser).
 */
export function isoSpanMs(text: string, start: number, end: number, utc: boolean): number {
  const n = end - start;
  if (n !== 10 && n !== 19 && n !== 20) return Number.NaN;
  if (n !== 20 && !utc) return Number.NaN;
  // digits read inline: (c - 48) >>> 0 > 9 catches any non-digit (the span is within the text)
  const y0 = (text.charCodeAt(start) - D0) >>> 0;
  const y1 = (text.charCodeAt(start + 1) - D0) >>> 0;
  const y2 = (text.charCodeAt(start + 2) - D0) >>> 0;
  const y3 = (text.charCodeAt(start + 3) - D0) >>> 0;
  const m0 = (text.charCodeAt(start + 5) - D0) >>> 0;
  const m1 = (text.charCodeAt(start + 6) - D0) >>> 0;
  const d0 = (text.charCodeAt(start + 8) - D0) >>> 0;
  const d1 = (text.charCodeAt(start + 9) - D0) >>> 0;
  if (y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9) return Number.NaN;
  if (text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) return Number.NaN;
  const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const mo = m0 * 10 + m1;
  const d = d0 * 10 + d1;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
  if (n === 10) return utcMs(y, mo, d, 0, 0, 0, 0);
  const sep = text.charCodeAt(start + 10);
  if (sep !== 32 && sep !== 84 && sep !== 116) return Number.NaN;
  if (text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58) return Number.NaN;
  const h0 = (text.charCodeAt(start + 11) - D0) >>> 0;
  const h1 = (text.charCodeAt(start + 12) - D0) >>> 0;
  const i0 = (text.charCodeAt(start + 14) - D0) >>> 0;
  const i1 = (text.charCodeAt(start + 15) - D0) >>> 0;
  const s0 = (text.charCodeAt(start + 17) - D0) >>> 0;
  const s1 = (text.charCodeAt(start + 18) - D0) >>> 0;
  if (h0 > 9 || h1 > 9 || i0 > 9 || i1 > 9 || s0 > 9 || s1 > 9) return Number.NaN;
  const h = h0 * 10 + h1;
  const mi = i0 * 10 + i1;
  const s = s0 * 10 + s1;
  if (h > 23 || mi > 59 || s > 59) return Number.NaN;
  if (n === 20) {
    const z = text.charCodeAt(start + 19);
    if (z !== 90 && z !== 122) return Number.NaN;
  }
  return utcMs(y, mo, d, h, mi, s, 0);
}

/** Whether String#trim would remove the character (ECMAScript white space and line terminators). */
export function isTrimmed(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
