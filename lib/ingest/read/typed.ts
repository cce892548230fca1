// From text fields to typed transaction values: one reusable output object per file, filled row by row
// from a ColumnMapping, with the first problem of a row returned as an Issue for the ingest stage to count
// or reject. Returns and cancellations are kept, flagged, and carry a negative amount.

import { type Issue, makeIssue } from '../errors.js';
import type { ColumnMapping } from '../mapping.js';
import {
  amountIssue,
  type DateFormat,
  formulaIssue,
  isReturnValues,
  looksLikeFormula,
  makeDateParser,
  parseAmount,
} from '../values.js';

export interface TransactionValues {
  /** The customer id, or the trimmed lower-case email when the file has no id column. */
  customerId: string;
  timestampMs: number;
  /** Amount of the line or order; unit price × quantity when there is no amount column; negative for returns. */
  amount: number;
  /** NaN when the file has no quantity column. */
  quantity: number;
  /** 0 when the file has no discount column. */
  discount: number;
  orderId: string;
  productId: string;
  category: string;
  channel: string;
  eventType: string;
  status: string;
  isReturn: boolean;
}

export function emptyTransaction(): TransactionValues {
  return {
    customerId: '',
    timestampMs: Number.NaN,
    amount: Number.NaN,
    quantity: Number.NaN,
    discount: 0,
    orderId: '',
    productId: '',
    category: '',
    channel: '',
    eventType: '',
    status: '',
    isReturn: false,
  };
}

export interface TransactionParserOptions {
  file: string;
  /** From inferDateFormat on a sample of the timestamp column, or from the config. */
  dateFormat: DateFormat;
  /** IANA zone for times without one; default 'UTC'. */
  timeZone?: string;
  decimal?: '.' | ',' | 'auto';
  header: readonly string[];
  /**
   * When set, a formula-looking cell is reported here and the row goes on (the value is kept as text;
   * exports are formula-safe); otherwise it is the row's issue.
   */
  onFormula?: (issue: Issue) => void;
}

/**
 * A parser for rows of a transactions file: fills `out` and returns null, or returns the row's first
 * problem (missing customer id, invalid date, bad amount, formula-looking text) as an Issue.
 */
export function makeTransactionParser(
  mapping: ColumnMapping,
  options: TransactionParserOptions,
): (fields: readonly string[], line: number, out: TransactionValues) => Issue | null {
  const f = mapping.fields;
  const parseDate = makeDateParser(options.dateFormat, { timeZone: options.timeZone });
  const decimal = { decimal: options.decimal ?? 'auto' };
  const { file, header } = options;
  const idColumn = f.customerId ?? f.email ?? -1;
  const byEmail = f.customerId === undefined;
  const text = (fields: readonly string[], at: number | undefined): string =>
    at === undefined ? '' : fields[at].trim();
  // The issue that stops the row when a formula-looking value is not merely flagged.
  let blocked: Issue | null = null;
  const formulaBlocks = (value: string, at: number | undefined, line: number): boolean => {
    const flagged = formulaIssue(value, { file, line, column: header[at!] });
    if (options.onFormula === undefined) {
      blocked = flagged;
      return true;
    }
    if (flagged !== null) options.onFormula(flagged);
    return false;
  };

  return (fields, line, out) => {
    const id = idColumn < 0 ? '' : fields[idColumn].trim();
    if (id.length === 0) {
      return makeIssue(
        'missing-customer-id',
        'The row has no customer id.',
        { file, line, column: header[idColumn] },
        {
          expected: 'a customer id on every row',
          fix: 'drop guest checkouts from the export, or map a column that identifies the customer',
        },
      );
    }
    if (looksLikeFormula(id)) {
      const flagged = formulaIssue(id, { file, line, column: header[idColumn] });
      if (options.onFormula === undefined) return flagged;
      if (flagged !== null) options.onFormula(flagged);
    }
    out.customerId = byEmail ? id.toLowerCase() : id;

    const rawDate = fields[f.timestamp!];
    out.timestampMs = parseDate(rawDate);
    if (Number.isNaN(out.timestampMs)) {
      return makeIssue(
        rawDate.trim().length === 0 ? 'missing-date' : 'invalid-date',
        rawDate.trim().length === 0
          ? 'The date is empty.'
          : `The date is not a valid ${options.dateFormat} date.`,
        { file, line, column: header[f.timestamp!], value: rawDate },
        {
          expected: `dates in the column's format (${options.dateFormat})`,
          fix: 'correct or remove the row',
        },
      );
    }

    out.quantity = Number.NaN;
    if (f.quantity !== undefined) {
      const q = fields[f.quantity];
      out.quantity = parseAmount(q, decimal);
      if (Number.isNaN(out.quantity)) {
        const issue = amountIssue(q, { file, line, column: header[f.quantity] });
        if (issue !== null) {
          issue.code = issue.code.replace('amount', 'quantity');
          issue.message = issue.message.replace('amount', 'quantity');
          return issue;
        }
      }
    }
    if (f.amount !== undefined) {
      out.amount = parseAmount(fields[f.amount], decimal);
      if (Number.isNaN(out.amount))
        return amountIssue(fields[f.amount], { file, line, column: header[f.amount] });
    } else {
      const price = parseAmount(fields[f.unitPrice!], decimal);
      if (Number.isNaN(price))
        return amountIssue(fields[f.unitPrice!], { file, line, column: header[f.unitPrice!] });
      out.amount = price * out.quantity;
    }
    out.discount = 0;
    if (f.discount !== undefined && fields[f.discount].trim().length > 0) {
      const d = parseAmount(fields[f.discount], decimal);
      if (Number.isNaN(d)) return amountIssue(fields[f.discount], { file, line, column: header[f.discount] });
      out.discount = d;
    }
    // Named stores (not out[key]): a keyed store per field per row was a measurable share of ingest.
    let value = text(fields, f.orderId);
    if (looksLikeFormula(value) && formulaBlocks(value, f.orderId, line)) return blocked;
    out.orderId = value;
    value = text(fields, f.productId);
    if (looksLikeFormula(value) && formulaBlocks(value, f.productId, line)) return blocked;
    out.productId = value;
    value = text(fields, f.category);
    if (looksLikeFormula(value) && formulaBlocks(value, f.category, line)) return blocked;
    out.category = value;
    value = text(fields, f.channel);
    if (looksLikeFormula(value) && formulaBlocks(value, f.channel, line)) return blocked;
    out.channel = value;
    value = text(fields, f.eventType);
    if (looksLikeFormula(value) && formulaBlocks(value, f.eventType, line)) return blocked;
    out.eventType = value;
    value = text(fields, f.status);
    if (looksLikeFormula(value) && formulaBlocks(value, f.status, line)) return blocked;
    out.status = value;
    out.isReturn = isReturnValues(out.quantity, out.amount, out.orderId, out.status);
    if (out.isReturn && out.amount > 0) out.amount = -out.amount;
    return null;
  };
}
