import { describe, expect, it } from 'vitest';
import {
  hashIdentity,
  normaliseEmail,
  normalisePhoneE164,
  sha256Hex,
} from '../../../lib/publish/identity.js';

describe('sha256Hex', () => {
  it('matches published test vectors', () => {
    // Prepare / Act / Assess: FIPS 180-2 vector 'abc', the empty string, and a normalised email.
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('test@example.com')).toBe(
      '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b',
    );
  });
});

describe('normaliseEmail', () => {
  it('trims and lower-cases, and rejects what is not an email', () => {
    expect(normaliseEmail('  Test@Example.COM \n')).toBe('test@example.com');
    expect(normaliseEmail('first.last+tag@Gmail.com')).toBe('first.last+tag@gmail.com');
    expect(normaliseEmail('not an email')).toBeNull();
    expect(normaliseEmail('a@b')).toBeNull();
    expect(normaliseEmail('')).toBeNull();
  });
});

describe('normalisePhoneE164', () => {
  it.each([
    ['+1 (415) 555-0123', undefined, '+14155550123'],
    ['415-555-0123', 'US', '+14155550123'],
    ['1 415 555 0123', 'US', '+14155550123'],
    ['07700 900123', 'GB', '+447700900123'],
    ['0044 7700 900123', undefined, '+447700900123'],
    ['030 1234567', 'DE', '+49301234567'],
    ['06 1234 5678', 'IT', '+390612345678'],
    ['+44 (0) 7700 900123 ext 12', undefined, '+447700900123'],
    ['14155550123', undefined, '+14155550123'],
  ])('%s (%s) → %s', (raw, country, expected) => {
    expect(normalisePhoneE164(raw, country)).toBe(expected);
  });

  it('rejects numbers it cannot place or that are not numbers', () => {
    expect(normalisePhoneE164('4155550123')).toBeNull(); // national, no country: ambiguous
    expect(normalisePhoneE164('call me')).toBeNull();
    expect(normalisePhoneE164('+1 555')).toBeNull();
    expect(normalisePhoneE164('+1234567890123456')).toBeNull(); // 16 digits > E.164
    expect(normalisePhoneE164('07700 900123', 'XX')).toBeNull();
  });
});

describe('hashIdentity', () => {
  it('hashes normalised email and both phone forms, keeping customerId for bookkeeping only', () => {
    // Act
    const h = hashIdentity({
      customerId: 'c1',
      email: ' Test@Example.com ',
      phone: '(415) 555-0123',
      country: 'US',
    });
    // Assess: Google hashes '+14155550123', Meta and TikTok hash '14155550123'.
    expect(h).toEqual({
      customerId: 'c1',
      emailSha256: '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b',
      phoneSha256: '36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4',
      phoneDigitsSha256: '413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a',
    });
  });

  it('omits identifiers that do not normalise', () => {
    expect(hashIdentity({ customerId: 'c2', email: 'nope', phone: '12', country: null })).toEqual({
      customerId: 'c2',
    });
  });
});
