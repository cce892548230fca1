// Normalisation and SHA-256 hashing of customer identifiers before anything leaves the account.
// Every connector receives HashedIdentity values only; raw email and phone never go past this module.
// Rules follow the platforms' published formatting guides (cited per function).
import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of the UTF-8 text: the form Meta, Google, TikTok and LinkedIn all expect. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

/**
 * Trims and lower-cases; null when the value is not shaped like an email.
 * Meta ("Hashing and Normalizing Data"), Google Customer Match formatting guidelines and X/TikTok guides
 * all agree on trim + lower-case; we deliberately do not strip '+tags' or Gmail dots, because the
 * platforms disagree on those and a wrong guess silently lowers the match rate everywhere.
 */
export function normaliseEmail(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  return EMAIL_SHAPE.test(email) ? email : null;
}

/** ISO-2 → country calling code, and whether the national trunk prefix '0' is dropped (Italy keeps it). */
const CALLING_CODES: Record<string, { code: string; keepsLeadingZero?: boolean }> = {
  US: { code: '1' },
  CA: { code: '1' },
  GB: { code: '44' },
  IE: { code: '353' },
  DE: { code: '49' },
  FR: { code: '33' },
  ES: { code: '34' },
  IT: { code: '39', keepsLeadingZero: true },
  NL: { code: '31' },
  BE: { code: '32' },
  LU: { code: '352' },
  CH: { code: '41' },
  AT: { code: '43' },
  PT: { code: '351' },
  SE: { code: '46' },
  NO: { code: '47' },
  DK: { code: '45' },
  FI: { code: '358' },
  PL: { code: '48' },
  CZ: { code: '420' },
  AU: { code: '61' },
  NZ: { code: '64' },
  JP: { code: '81' },
  SG: { code: '65' },
  IN: { code: '91' },
  BR: { code: '55' },
  MX: { code: '52' },
  ZA: { code: '27' },
  AE: { code: '971' },
};

/** Calling codes for the countries above, so callers can check support before relying on a default. */
export function callingCode(country: string): string | undefined {
  return CALLING_CODES[country.trim().toUpperCase()]?.code;
}

/**
 * E.164 ('+14155550123') or null. Accepts '+…' and '00…' international forms anywhere; national
 * numbers need `defaultCountry` (ISO-2) from the small built-in table, and lose their trunk '0'.
 * Without a country, a bare 11–15 digit number not starting with 0 is taken to already carry its
 * country code (Meta: "prefix the country code if COUNTRY is not specified"); anything shorter is
 * ambiguous and rejected rather than guessed.
 */
export function normalisePhoneE164(raw: string, defaultCountry?: string): string | null {
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  if (trimmed === '' || /[a-z]/i.test(trimmed.replace(/\b(ext|x)\.?\s*\d+$/i, ''))) return null;
  // Extensions never match on any platform: drop them.
  // '+44 (0)20 …' writes the trunk prefix in brackets for domestic callers; it is not dialled from abroad.
  const withoutExt = trimmed.replace(/\s*(ext\.?|x)\s*\d+$/i, '').replace(/\(0\)/g, '');
  const digits = withoutExt.replace(/\D/g, '');
  if (digits === '') return null;
  let international: string | null = null;
  if (withoutExt.startsWith('+')) international = digits;
  else if (digits.startsWith('00')) international = digits.slice(2);
  else if (defaultCountry) {
    const entry = CALLING_CODES[defaultCountry.trim().toUpperCase()];
    if (!entry) return null;
    let national = digits;
    // Already written with the country code but without '+', e.g. US '1 415 555 0123'.
    if (
      national.startsWith(entry.code) &&
      national.length >= entry.code.length + 9 &&
      !national.startsWith('0')
    ) {
      international = national;
    } else {
      if (!entry.keepsLeadingZero) national = national.replace(/^0+/, '');
      international = entry.code + national;
    }
  } else if (digits.length >= 11 && !digits.startsWith('0')) international = digits;
  if (international === null) return null;
  international = international.replace(/^0+/, '');
  // E.164: at most 15 digits; below 8 no real subscriber number exists.
  if (international.length < 8 || international.length > 15) return null;
  return `+${international}`;
}

export interface HashedIdentity {
  /** For checkpoints and logs only: never sent to a platform. */
  customerId: string;
  /** sha256(normalised email). */
  emailSha256?: string;
  /** sha256 of the E.164 form with '+', as Google Customer Match requires ('+14155550123'). */
  phoneSha256?: string;
  /**
   * sha256 of the E.164 digits without '+' ('14155550123'), as Meta and TikTok require ("remove
   * symbols, including the + sign"). The two forms hash differently, so both are kept.
   */
  phoneDigitsSha256?: string;
}

export function hashIdentity(input: {
  customerId: string;
  email?: string | null;
  phone?: string | null;
  country?: string | null;
}): HashedIdentity {
  const out: HashedIdentity = { customerId: input.customerId };
  const email = input.email ? normaliseEmail(input.email) : null;
  if (email) out.emailSha256 = sha256Hex(email);
  const phone = input.phone ? normalisePhoneE164(input.phone, input.country ?? undefined) : null;
  if (phone) {
    out.phoneSha256 = sha256Hex(phone);
    out.phoneDigitsSha256 = sha256Hex(phone.slice(1));
  }
  return out;
}
