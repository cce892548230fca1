import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../lib/ingest/errors.js';
import { mapColumns } from '../../../lib/ingest/mapping.js';
import { emptyTransaction, makeTransactionParser } from '../../../lib/ingest/read/typed.js';
import { read } from './helpers.js';

describe('makeTransactionParser', () => {
  it('turns an Online Retail export into typed rows, returns negative and flagged', async () => {
    // Prepare
    const csv = [
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
      '536365,85123A,HEART HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom',
      'C536379,D,Discount,-1,12/13/2010 9:41,27.50,14527,United Kingdom',
      '536380,22961,JAM SET,24,12/1/2010 9:41,"1,45",17809,United Kingdom',
      '536381,22962,JAM SET,2,12/1/2010 9:41,1.45,,United Kingdom',
      '536382,22963,JAM SET,2,31/12/2010 9:41,1.45,17809,United Kingdom',
      '536383,22964,JAM SET,x,12/1/2010 9:41,1.45,17809,United Kingdom',
    ].join('\n');
    const { header, rows, lines } = await read(csv);
    const mapping = mapColumns(header, { file: 'retail.csv' });
    const parse = makeTransactionParser(mapping, {
      file: 'retail.csv',
      dateFormat: 'mdy',
      header,
      timeZone: 'Europe/London',
    });
    const out = emptyTransaction();
    // Act
    const results: (Issue | ReturnType<typeof emptyTransaction>)[] = rows.map((r, i) => {
      const issue = parse(r, lines[i], out);
      return issue ?? { ...out };
    });
    // Assess
    expect(results[0]).toMatchObject({
      customerId: '17850',
      timestampMs: Date.UTC(2010, 11, 1, 8, 26),
      quantity: 6,
      orderId: '536365',
      productId: '85123A',
      isReturn: false,
    });
    expect((results[0] as { amount: number }).amount).toBeCloseTo(15.3, 10);
    expect(results[1]).toMatchObject({ customerId: '14527', amount: -27.5, quantity: -1, isReturn: true });
    expect((results[2] as { amount: number }).amount).toBeCloseTo(34.8, 10);
    expect(results.slice(3).map((r) => [(r as Issue).code, (r as Issue).line, (r as Issue).column])).toEqual([
      ['missing-customer-id', 5, 'CustomerID'],
      ['invalid-date', 6, 'InvoiceDate'],
      ['non-numeric-quantity', 7, 'Quantity'],
    ]);
    expect((results[5] as Issue).message).toBe('The quantity is not a number.');
  });

  it('keys on the lower-cased email when there is no id, makes refunds negative, flags formulas', () => {
    const header = ['Email', 'Created at', 'Total', 'Financial Status', 'Source'];
    const mapping = mapColumns(header, { kind: 'transactions' });
    const parse = makeTransactionParser(mapping, { file: 'orders.csv', dateFormat: 'iso', header });
    const out = emptyTransaction();
    expect(
      parse([' Jane@Example.com', '2024-01-02T10:00:00Z', '$12.00', 'refunded', 'web'], 2, out),
    ).toBeNull();
    expect(out).toMatchObject({
      customerId: 'jane@example.com',
      amount: -12,
      isReturn: true,
      channel: 'web',
    });
    const issue = parse(['a@b.co', '2024-01-02', '1', 'paid', '=HYPERLINK("x")'], 3, out);
    expect(issue).toMatchObject({ code: 'formula-like-value', line: 3, column: 'Source' });
  });
});
