import { describe, expect, it } from 'vitest';
import { detectKind, detectKindFromFileName, mapColumns } from '../../../lib/ingest/mapping.js';

describe('mapColumns: common export headers', () => {
  it('maps the Online Retail export (UnitPrice × Quantity, InvoiceNo)', () => {
    // Prepare
    const header = [
      'InvoiceNo',
      'StockCode',
      'Description',
      'Quantity',
      'InvoiceDate',
      'UnitPrice',
      'CustomerID',
      'Country',
    ];
    // Act
    const mapping = mapColumns(header, { file: 'online_retail.csv' });
    // Assess
    expect(mapping.kind).toBe('transactions');
    expect(mapping.fields).toEqual({
      orderId: 0,
      productId: 1,
      quantity: 3,
      timestamp: 4,
      unitPrice: 5,
      customerId: 6,
      country: 7,
    });
    expect(mapping.attributes).toEqual([{ name: 'Description', index: 2 }]);
    expect(mapping.sensitive).toEqual([]);
  });

  it('maps a Shopify orders export: email as the key, names/phones ignored, street and GPS sensitive', () => {
    const header = [
      'Name',
      'Email',
      'Financial Status',
      'Total',
      'Discount Amount',
      'Created at',
      'Lineitem quantity',
      'Lineitem sku',
      'Billing Name',
      'Billing Street',
      'Billing Phone',
      'Shipping Latitude',
      'Billing Country',
      'Tags',
    ];
    const mapping = mapColumns(header, { file: 'orders_export_1.csv' });
    expect(mapping.kind).toBe('transactions');
    expect(mapping.fields).toEqual({
      orderId: 0,
      email: 1,
      status: 2,
      amount: 3,
      discount: 4,
      timestamp: 5,
      quantity: 6,
      productId: 7,
      country: 12,
    });
    expect(mapping.sensitive.map((c) => c.name)).toEqual(['Billing Street', 'Shipping Latitude']);
    expect(mapping.ignored.map((c) => c.name)).toEqual(['Billing Name', 'Billing Phone']);
    expect(mapping.attributes).toEqual([{ name: 'Tags', index: 13 }]);
  });

  it('maps a snake_case order export', () => {
    const mapping = mapColumns([
      'order_id',
      'customer_id',
      'created_at',
      'total',
      'channel',
      'discount',
      'status',
    ]);
    expect(mapping.kind).toBe('transactions');
    expect(mapping.fields).toEqual({
      orderId: 0,
      customerId: 1,
      timestamp: 2,
      amount: 3,
      channel: 4,
      discount: 5,
      status: 6,
    });
  });

  it('maps a CRM export with consent columns; created_at is the signup date there', () => {
    const mapping = mapColumns([
      'Customer ID',
      'Email',
      'Phone',
      'Country',
      'created_at',
      'Accepts Email Marketing',
      'SMS Opt-In',
      'Ad Personalization',
      'First Name',
      'Loyalty Tier',
    ]);
    expect(mapping.kind).toBe('customers');
    expect(mapping.fields).toEqual({
      customerId: 0,
      email: 1,
      phone: 2,
      country: 3,
      signupDate: 4,
      consentEmail: 5,
      consentSms: 6,
      consentAds: 7,
    });
    expect(mapping.attributes).toEqual([{ name: 'Loyalty Tier', index: 9 }]);
    expect(mapping.ignored).toEqual([
      { name: 'First Name', reason: 'personal name: an identifier, never a feature' },
    ]);
  });

  it('maps outcomes, seeds and suppressions', () => {
    expect(mapColumns(['customer_id', 'converted'])).toMatchObject({
      kind: 'outcomes',
      fields: { customerId: 0, label: 1 },
    });
    expect(mapColumns(['email'], { file: 'lookalike-seed.csv' })).toMatchObject({
      kind: 'seeds',
      fields: { email: 0 },
    });
    expect(mapColumns(['Email', 'Unsubscribed At'])).toMatchObject({
      kind: 'suppressions',
      fields: { email: 0 },
    });
    expect(mapColumns(['phone', 'reason'], { kind: 'suppressions' })).toMatchObject({
      fields: { phone: 0, suppressionType: 1 },
    });
  });

  it('lets config overrides win over detection, matched loosely', () => {
    const mapping = mapColumns(['Kundennummer', 'Datum', 'Umsatz', 'Total'], {
      kind: 'transactions',
      overrides: { customerId: 'kundennummer', timestamp: 'Datum', amount: 'Umsatz' },
    });
    expect(mapping.fields).toEqual({ customerId: 0, timestamp: 1, amount: 2 });
    expect(mapping.attributes).toEqual([{ name: 'Total', index: 3 }]);
  });

  it('adds configured sensitive names and clears declared false positives', () => {
    const mapping = mapColumns(['customer_id', 'Blood Group', 'childrenswear_spend', 'union'], {
      kind: 'customers',
      sensitivePatterns: { health: ['blood group'] },
      notSensitive: ['childrenswear_spend'],
    });
    expect(mapping.sensitive).toEqual([
      { name: 'Blood Group', index: 1, category: 'health' },
      { name: 'union', index: 3, category: 'unionMembership' },
    ]);
    expect(mapping.attributes).toEqual([{ name: 'childrenswear_spend', index: 2 }]);
  });

  it('does not take words that merely contain a sensitive token', () => {
    const mapping = mapColumns(['customer_id', 'trace_id', 'shipping_method', 'Email Address'], {
      kind: 'customers',
    });
    expect(mapping.sensitive).toEqual([]);
  });
});

describe('detectKind', () => {
  it.each([
    [['CustomerID', 'InvoiceDate', 'Total'], 'transactions'],
    [['user_id', 'event', 'timestamp'], 'transactions'],
    [['customer_id', 'label'], 'outcomes'],
    [['customer_id', 'email', 'country'], 'customers'],
    [['email', 'opt_out_date'], 'suppressions'],
    [['email'], null],
    [['foo', 'bar'], null],
  ])('%j → %s', (header, kind) => {
    expect(detectKind(header)).toBe(kind);
  });

  it('reads the kind from a file name', () => {
    expect(detectKindFromFileName('incoming/shop/suppressions-2024-06.csv')).toBe('suppressions');
    expect(detectKindFromFileName('incoming/shop/Orders_export.csv.gz')).toBe('transactions');
    expect(detectKindFromFileName('incoming/shop/data.csv')).toBeNull();
  });
});
