// Maps the columns of an export to the fields the pipeline understands (customer id, timestamp, amount, …)
// from common export headers (Shopify, Online Retail, CRM exports), with config overrides, and sets
// sensitive columns (health, ethnicity, religion, …) aside so they can never become features.

import { fileError } from './errors.js';

export type InputKind = 'transactions' | 'customers' | 'outcomes' | 'seeds' | 'suppressions';

export type FieldName =
  | 'customerId'
  | 'timestamp'
  | 'amount'
  | 'unitPrice'
  | 'quantity'
  | 'orderId'
  | 'productId'
  | 'category'
  | 'channel'
  | 'discount'
  | 'currency'
  | 'eventType'
  | 'status'
  | 'email'
  | 'phone'
  | 'country'
  | 'signupDate'
  | 'label'
  | 'consentEmail'
  | 'consentSms'
  | 'consentAds'
  | 'suppressionType';

export interface ColumnMapping {
  kind: InputKind;
  fields: Partial<Record<FieldName, number>>;
  /** Other usable columns: CRM attributes. */
  attributes: { name: string; index: number }[];
  sensitive: { name: string; index: number; category: string }[];
  ignored: { name: string; reason: string }[];
}

/** Lower-case letters and digits only: "Customer ID" → "customerid". */
export function normalizeHeader(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Words of a header: "customerReligion" / "customer_religion" → ['customer', 'religion']. */
function headerTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/** Header synonyms per field, normalised, best first. */
const SYNONYMS: Record<FieldName, string[]> = {
  customerId: [
    'customerid',
    'custid',
    'customerno',
    'customernumber',
    'customer',
    'clientid',
    'userid',
    'memberid',
    'accountid',
    'contactid',
    'shopperid',
    'buyerid',
    'personid',
    'subscriberid',
    'externalid',
    'user',
    'id',
  ],
  email: ['email', 'emailaddress', 'emailaddr', 'mail', 'customeremail', 'useremail', 'contactemail'],
  phone: [
    'phone',
    'phonenumber',
    'mobile',
    'mobilephone',
    'mobilenumber',
    'cell',
    'cellphone',
    'telephone',
    'tel',
    'msisdn',
  ],
  timestamp: [
    'invoicedate',
    'orderdate',
    'transactiondate',
    'purchasedate',
    'eventtime',
    'eventdate',
    'eventtimestamp',
    'timestamp',
    'createdat',
    'orderedat',
    'purchasedat',
    'processedat',
    'occurredat',
    'datetime',
    'date',
    'time',
    'ts',
  ],
  amount: [
    'total',
    'amount',
    'totalamount',
    'ordertotal',
    'totalprice',
    'grandtotal',
    'revenue',
    'sales',
    'netamount',
    'ordervalue',
    'purchaseamount',
    'transactionamount',
    'value',
    'spend',
    'dollarvalue',
    'subtotal',
  ],
  unitPrice: ['unitprice', 'price', 'itemprice', 'priceeach', 'unitcost'],
  quantity: ['quantity', 'qty', 'units', 'itemcount', 'numberofitems', 'lineitemquantity'],
  orderId: [
    'invoiceno',
    'invoice',
    'invoicenumber',
    'invoiceid',
    'orderid',
    'orderno',
    'ordernumber',
    'order',
    'transactionid',
    'txnid',
    'receiptid',
    'basketid',
    'name',
  ],
  productId: ['stockcode', 'productid', 'sku', 'itemid', 'productcode', 'lineitemsku'],
  category: [
    'category',
    'productcategory',
    'itemcategory',
    'department',
    'productline',
    'productgroup',
    'producttype',
  ],
  channel: ['channel', 'saleschannel', 'source', 'medium', 'platform', 'utmsource'],
  discount: ['discount', 'discountamount', 'couponamount', 'promodiscount', 'discounts'],
  currency: ['currency', 'currencycode'],
  eventType: ['eventtype', 'event', 'eventname', 'action', 'activity', 'type'],
  status: ['status', 'orderstatus', 'financialstatus', 'transactionstatus', 'state'],
  country: ['country', 'countrycode', 'billingcountry', 'shippingcountry', 'countryiso'],
  signupDate: [
    'signupdate',
    'signedupat',
    'registeredat',
    'registrationdate',
    'joindate',
    'joinedat',
    'customersince',
    'firstseen',
    'createdat',
    'created',
  ],
  label: ['label', 'outcome', 'target', 'converted', 'churned', 'responded', 'purchased', 'y'],
  consentEmail: [
    'consentemail',
    'emailconsent',
    'emailoptin',
    'acceptsemailmarketing',
    'acceptsmarketing',
    'marketingoptin',
    'emailsubscribed',
    'newsletter',
    'subscribed',
    'optin',
  ],
  consentSms: ['consentsms', 'smsconsent', 'smsoptin', 'acceptssmsmarketing', 'smssubscribed'],
  consentAds: [
    'consentads',
    'adsconsent',
    'adconsent',
    'advertisingconsent',
    'adpersonalization',
    'adpersonalisation',
  ],
  suppressionType: ['suppressiontype', 'requesttype', 'reason', 'suppressionreason', 'type'],
};

/** Fields each kind can carry, in the order they claim columns. */
const KIND_FIELDS: Record<InputKind, FieldName[]> = {
  transactions: [
    'customerId',
    'email',
    'orderId',
    'timestamp',
    'amount',
    'unitPrice',
    'quantity',
    'productId',
    'category',
    'channel',
    'discount',
    'currency',
    'eventType',
    'status',
    'country',
  ],
  customers: [
    'customerId',
    'email',
    'phone',
    'country',
    'signupDate',
    'status',
    'consentEmail',
    'consentSms',
    'consentAds',
    'channel',
  ],
  outcomes: ['customerId', 'email', 'label', 'timestamp'],
  seeds: ['customerId', 'email', 'phone'],
  suppressions: ['customerId', 'email', 'phone', 'suppressionType', 'timestamp'],
};

/** Default names per sensitive category: whole normalised names, header words, or (6+ letters) substrings. */
export const SENSITIVE_PATTERNS: Record<string, string[]> = {
  health: [
    'health',
    'medical',
    'diagnosis',
    'disease',
    'illness',
    'medication',
    'prescription',
    'pregnant',
    'pregnancy',
    'disability',
    'disabled',
    'allergy',
    'allergies',
    'bmi',
    'bloodtype',
    'mentalhealth',
    'vaccination',
    'hiv',
    'diabetes',
  ],
  ethnicity: ['ethnicity', 'ethnic', 'race', 'racial', 'skincolor', 'skincolour'],
  religion: ['religion', 'religious', 'faith', 'church', 'denomination'],
  politics: ['politics', 'political', 'politicalparty', 'partyaffiliation', 'voter', 'voting'],
  sexualOrientation: ['sexualorientation', 'orientation', 'sexuality', 'lgbt', 'lgbtq'],
  unionMembership: ['tradeunion', 'unionmember', 'unionmembership', 'union'],
  biometrics: [
    'biometric',
    'biometrics',
    'fingerprint',
    'faceid',
    'facialrecognition',
    'retina',
    'iris',
    'voiceprint',
  ],
  preciseLocation: [
    'latitude',
    'longitude',
    'lat',
    'lng',
    'lon',
    'gps',
    'geolocation',
    'coordinates',
    'geohash',
    'streetaddress',
    'street',
    'address',
    'address1',
    'address2',
    'ipaddress',
    'ip',
  ],
  childrensData: [
    'child',
    'children',
    'childs',
    'kid',
    'kids',
    'minor',
    'minors',
    'under13',
    'under16',
    'coppa',
  ],
};

/** Direct identifiers that are neither keys nor features. */
const PERSONAL_NAMES = new Set([
  'firstname',
  'lastname',
  'fullname',
  'givenname',
  'surname',
  'familyname',
  'customername',
  'contactname',
]);

function sensitiveCategory(name: string, patterns: Record<string, string[]>): string | null {
  const normal = normalizeHeader(name);
  // Contact identifiers ("Email Address") are keys handled by hashing, not location data.
  if (SYNONYMS.email.includes(normal) || SYNONYMS.phone.includes(normal)) return null;
  const tokens = headerTokens(name);
  for (const [category, list] of Object.entries(patterns)) {
    for (const raw of list) {
      const p = normalizeHeader(raw);
      if (p.length === 0) continue;
      if (normal === p || tokens.includes(p)) return category;
      if (p.length >= 6 && normal.includes(p)) return category;
    }
  }
  return null;
}

const KIND_HINTS: { kind: InputKind; words: string[] }[] = [
  {
    kind: 'suppressions',
    words: ['suppress', 'optout', 'unsubscribe', 'erasure', 'donotcontact', 'dnc', 'blocklist'],
  },
  { kind: 'seeds', words: ['seed', 'lookalike'] },
  { kind: 'outcomes', words: ['outcome', 'label'] },
  { kind: 'customers', words: ['customer', 'crm', 'contact', 'member', 'subscriber', 'user'] },
  { kind: 'transactions', words: ['order', 'transaction', 'invoice', 'sale', 'purchase', 'event', 'retail'] },
];

/** Kind from a file name such as "incoming/shop/suppressions-2024-06.csv"; null when it says nothing. */
export function detectKindFromFileName(file: string): InputKind | null {
  const base = normalizeHeader(file.slice(file.lastIndexOf('/') + 1));
  for (const { kind, words } of KIND_HINTS) if (words.some((w) => base.includes(w))) return kind;
  return null;
}

function findColumn(normalized: readonly string[], field: FieldName, taken: Set<number>): number {
  for (const synonym of SYNONYMS[field]) {
    const at = normalized.findIndex((n, i) => n === synonym && !taken.has(i));
    if (at >= 0) return at;
  }
  return -1;
}

/** What kind of input a header looks like, or null when it could be several. */
export function detectKind(header: readonly string[]): InputKind | null {
  const normalized = header.map(normalizeHeader);
  const has = (field: FieldName): boolean => findColumn(normalized, field, new Set()) >= 0;
  const any = (words: string[]): boolean => normalized.some((n) => words.some((w) => n.includes(w)));
  const id = has('customerId') || has('email');
  if (!id && !has('phone')) return null;
  if (any(['suppress', 'optout', 'unsubscribe', 'erasure', 'donotcontact'])) return 'suppressions';
  const money = has('amount') || (has('unitPrice') && has('quantity'));
  const timestamp = findColumn(normalized, 'timestamp', new Set()) >= 0 && !normalized.includes('signupdate');
  if (id && money && timestamp) return 'transactions';
  if (has('orderId') && timestamp && id) return 'transactions';
  if (has('eventType') && timestamp && id) return 'transactions';
  // an outcomes file is narrow (id, label, date); a wider export with a label column is a CRM file
  // whose label column is taken out at ingest (see labelColumnIndex)
  if (id && has('label')) {
    const taken = new Set<number>();
    for (const f of ['customerId', 'email', 'phone', 'label', 'timestamp'] as const) {
      const at = findColumn(normalized, f, taken);
      if (at >= 0) taken.add(at);
    }
    if (header.length - taken.size <= 1) return 'outcomes';
    return 'customers';
  }
  const crm = ['phone', 'country', 'signupDate', 'consentEmail', 'consentSms', 'consentAds'] as const;
  if (id && crm.some((f) => has(f))) return 'customers';
  if (id && header.length > 2) return 'customers';
  return null;
}

/** Header names auto-detected as the label column of a customers file (normalised). */
export const LABEL_COLUMN_NAMES = ['churned', 'churn', 'converted', 'label', 'target', 'y', 'outcome'];

/**
 * The label column of a customers file: the configured header (exact, then normalised), else with
 * `detect` the first header named like a label. -1 when there is none.
 */
export function labelColumnIndex(
  header: readonly string[],
  configured: string | undefined,
  detect: boolean,
): number {
  if (configured !== undefined) {
    const at = header.indexOf(configured);
    return at >= 0 ? at : header.map(normalizeHeader).indexOf(normalizeHeader(configured));
  }
  if (!detect) return -1;
  const normalized = header.map(normalizeHeader);
  for (const name of LABEL_COLUMN_NAMES) {
    const at = normalized.indexOf(name);
    if (at >= 0) return at;
  }
  return -1;
}

const REQUIRED: Record<InputKind, { anyOf: FieldName[][]; describe: string }> = {
  transactions: {
    anyOf: [['customerId', 'email'], ['timestamp'], ['amount', 'unitPrice']],
    describe: 'customer id, timestamp and amount (or unit price and quantity)',
  },
  customers: { anyOf: [['customerId']], describe: 'customer id' },
  outcomes: { anyOf: [['customerId'], ['label']], describe: 'customer id and label' },
  seeds: { anyOf: [['customerId', 'email']], describe: 'customer id or email' },
  suppressions: { anyOf: [['customerId', 'email', 'phone']], describe: 'customer id, email or phone' },
};

const FIELD_LABEL: Record<FieldName, string> = {
  customerId: 'customer id',
  timestamp: 'date/time',
  amount: 'amount',
  unitPrice: 'unit price',
  quantity: 'quantity',
  orderId: 'order id',
  productId: 'product id',
  category: 'category',
  channel: 'channel',
  discount: 'discount',
  currency: 'currency',
  eventType: 'event type',
  status: 'status',
  email: 'email',
  phone: 'phone',
  country: 'country',
  signupDate: 'signup date',
  label: 'label',
  consentEmail: 'email consent',
  consentSms: 'SMS consent',
  consentAds: 'ads consent',
  suppressionType: 'suppression type',
};

/** Example headers for messages: "Customer ID, customer_id, CustomerID, …". */
const EXAMPLES: Partial<Record<FieldName, string>> = {
  customerId: 'Customer ID, customer_id, CustomerID, user_id',
  timestamp: 'InvoiceDate, created_at, order_date, timestamp',
  amount: 'Total, amount, revenue (or UnitPrice and Quantity)',
  label: 'label, outcome, converted',
  email: 'email, Email Address',
};

function listHeaders(header: readonly string[]): string {
  const shown = header.slice(0, 12).map((h) => `'${h}'`);
  return shown.join(', ') + (header.length > 12 ? `, … (${header.length} in all)` : '');
}

/**
 * Maps header columns to fields. Overrides (field → header name, from the dataset config) win; the rest is
 * auto-detected. Throws InputFileError naming the missing required column and the headers seen.
 */
export function mapColumns(
  header: readonly string[],
  options?: {
    kind?: InputKind;
    overrides?: Partial<Record<FieldName, string>>;
    /** Extra names per category, added to SENSITIVE_PATTERNS (new categories allowed). */
    sensitivePatterns?: Record<string, string[]>;
    /** Headers the data owner has checked and declared not sensitive (a false positive such as 'childrenswear'). */
    notSensitive?: string[];
    file?: string;
  },
): ColumnMapping {
  const file = options?.file ?? 'input';
  const kind =
    options?.kind ?? detectKind(header) ?? (options?.file ? detectKindFromFileName(options.file) : null);
  if (kind === null) {
    throw fileError(
      'unknown-kind',
      `Cannot tell what this file holds from its headers: ${listHeaders(header)}.`,
      { file },
      {
        expected: 'transactions, customers, outcomes, seeds or suppressions',
        fix: 'set "kind" for this file in the dataset config, or put the kind in the file name (e.g. suppressions.csv)',
      },
    );
  }
  const patterns: Record<string, string[]> = { ...SENSITIVE_PATTERNS };
  for (const [category, list] of Object.entries(options?.sensitivePatterns ?? {})) {
    patterns[category] = [...(patterns[category] ?? []), ...list];
  }

  const mapping: ColumnMapping = { kind, fields: {}, attributes: [], sensitive: [], ignored: [] };
  const taken = new Set<number>();
  const sensitiveAt = new Map<number, string>();
  const cleared = new Set((options?.notSensitive ?? []).map(normalizeHeader));
  header.forEach((name, index) => {
    const category = cleared.has(normalizeHeader(name)) ? null : sensitiveCategory(name, patterns);
    if (category !== null) {
      sensitiveAt.set(index, category);
      mapping.sensitive.push({ name, index, category });
      taken.add(index);
    }
  });

  // Config overrides first: exact header, then normalised match.
  for (const [field, column] of Object.entries(options?.overrides ?? {}) as [FieldName, string][]) {
    if (column === undefined) continue;
    let at = header.indexOf(column);
    if (at < 0) at = header.map(normalizeHeader).indexOf(normalizeHeader(column));
    if (at < 0) {
      throw fileError(
        'mapped-column-missing',
        `The dataset config maps ${FIELD_LABEL[field]} to column '${column}', but the file has no such column. Headers seen: ${listHeaders(header)}.`,
        { file, column },
        {
          expected: `a column named '${column}'`,
          fix: `correct the mapping for ${field} in the dataset config`,
        },
      );
    }
    if (sensitiveAt.has(at)) {
      throw fileError(
        'sensitive-column-mapped',
        `The dataset config maps ${FIELD_LABEL[field]} to '${column}', which looks like ${sensitiveAt.get(at)} data and is never used.`,
        { file, column },
        { fix: 'map another column, or rename the column if it is not sensitive' },
      );
    }
    mapping.fields[field] = at;
    taken.add(at);
  }

  const normalized = header.map(normalizeHeader);
  for (const field of KIND_FIELDS[kind]) {
    if (mapping.fields[field] !== undefined) continue;
    // A bare "id" is only a customer id where no better candidate exists and the kind is about customers.
    const at = findColumn(normalized, field, taken);
    if (at < 0) continue;
    if (field === 'customerId' && normalized[at] === 'id' && kind === 'transactions') continue;
    mapping.fields[field] = at;
    taken.add(at);
  }

  const known = Object.keys(mapping.fields).length;
  if (known === 0) {
    throw fileError(
      'no-known-columns',
      `None of the columns is recognised: ${listHeaders(header)}.`,
      { file },
      {
        expected: `for ${kind}: ${REQUIRED[kind].describe}`,
        fix: 'map the columns in the dataset config (e.g. "mapping": {"customerId": "Kundennummer"})',
      },
    );
  }
  for (const { anyOf } of [REQUIRED[kind]]) {
    for (const group of anyOf) {
      if (group.some((f) => mapping.fields[f] !== undefined)) continue;
      if (
        mapping.fields.unitPrice !== undefined &&
        group.includes('amount') &&
        mapping.fields.quantity === undefined
      ) {
        throw missing(file, kind, 'quantity', header, 'amount is computed as unit price × quantity');
      }
      throw missing(file, kind, group[0], header);
    }
  }
  if (
    kind === 'transactions' &&
    mapping.fields.amount === undefined &&
    mapping.fields.quantity === undefined
  ) {
    throw missing(file, kind, 'quantity', header, 'amount is computed as unit price × quantity');
  }

  header.forEach((name, index) => {
    if (taken.has(index)) return;
    const normal = normalizeHeader(name);
    if (normal.length === 0 || /^(unnamed\d*|column\d+|index)$/.test(normal)) {
      mapping.ignored.push({ name, reason: 'unnamed or index column' });
    } else if (
      PERSONAL_NAMES.has(normal) ||
      /^(billing|shipping|delivery)(first|last|full)?name$/.test(normal)
    ) {
      mapping.ignored.push({ name, reason: 'personal name: an identifier, never a feature' });
    } else if (
      SYNONYMS.email.includes(normal) ||
      SYNONYMS.phone.includes(normal) ||
      headerTokens(name).some((t) => t === 'email' || t === 'phone' || t === 'mobile')
    ) {
      mapping.ignored.push({ name, reason: 'contact identifier: hashed for audiences, never a feature' });
    } else {
      mapping.attributes.push({ name, index });
    }
  });
  return mapping;
}

function missing(
  file: string,
  kind: InputKind,
  field: FieldName,
  header: readonly string[],
  why?: string,
): Error {
  const examples = EXAMPLES[field];
  return fileError(
    'missing-column',
    `This ${kind} file has no ${FIELD_LABEL[field]} column${why ? ` (${why})` : ''}. Headers seen: ${listHeaders(header)}.`,
    { file },
    {
      expected: `a ${FIELD_LABEL[field]} column${examples ? ` such as ${examples}` : ''}`,
      fix: `rename the column, or map it in the dataset config ("mapping": {"${field}": "<your header>"})`,
    },
  );
}
