// Issues found while reading a marketer's export: a stable code the pipeline can match on, a message that
// says what is wrong, where (file, line, column, a masked excerpt) and what to do about it. File-level
// problems are thrown as InputFileError; row-level ones are passed to the caller as plain Issue values.

export interface IssueLocation {
  file: string;
  line?: number;
  column?: string;
  /** Excerpt of the offending value, at most 60 characters, identifiers masked (see maskValue). */
  value?: string;
}

export interface Issue extends IssueLocation {
  /** Stable machine-readable code, e.g. 'unterminated-quote'. */
  code: string;
  /** What is wrong, in the marketer's words. */
  message: string;
  expected?: string;
  /** What to do about it. */
  fix?: string;
}

/** The file cannot be read at all: the whole input is rejected with this issue. */
export class InputFileError extends Error {
  readonly issue: Issue;

  constructor(issue: Issue) {
    super(formatIssue(issue));
    this.name = 'InputFileError';
    this.issue = issue;
  }
}

/** One line for logs and reports: "orders.csv line 12, column 'Total': message Expected: … Fix: …". */
export function formatIssue(issue: Issue): string {
  let where = issue.file;
  if (issue.line !== undefined) where += ` line ${issue.line}`;
  if (issue.column !== undefined) where += `${issue.line !== undefined ? ',' : ''} column '${issue.column}'`;
  let text = `${where}: ${issue.message}`;
  if (issue.value !== undefined) text += ` (value: '${issue.value}')`;
  if (issue.expected !== undefined) text += ` Expected: ${issue.expected}.`;
  if (issue.fix !== undefined) text += ` Fix: ${issue.fix}`;
  return text;
}

const MAX_EXCERPT = 60;

/**
 * Shortens a value for an error report (≤ 60 characters) and masks what looks like an email address or a
 * phone number (9+ digits with phone punctuation) anywhere in it, so a report or a log line never carries
 * one. Bare digit runs are kept (they are usually ids or amounts): pass identifier for email/phone columns.
 */
export function maskValue(text: string, options?: { identifier?: boolean }): string {
  // A value from an email or phone column: nothing but its last two characters survives.
  if (options?.identifier) return `***${text.trim().slice(-2)}`;
  return truncate(text.replace(EMAIL, maskEmail).replace(PHONE, maskPhone));
}

const EMAIL = /[^\s,;|"'<>()[\]]+@[^\s,;|"'<>()[\]@]+/g;
// A run of digits with phone punctuation; kept when it is a date or too short to be a phone number.
const PHONE = /\+?\d[\d ().-]{5,}\d/g;

function maskEmail(email: string): string {
  const at = email.indexOf('@');
  const dot = email.lastIndexOf('.');
  return `${email[0]}***@***${dot > at ? email.slice(dot) : ''}`;
}

function maskPhone(run: string): string {
  let digits = 0;
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) >= 48 && run.charCodeAt(i) <= 57) digits++;
  const plain = digits === run.length || (digits === run.length - 1 && run.includes('.'));
  if (digits < 9 || plain || /\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}/.test(run)) return run;
  return `***${run.slice(-2)}`;
}

function truncate(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= MAX_EXCERPT ? flat : `${flat.slice(0, MAX_EXCERPT - 1)}…`;
}

/** Builds an Issue, masking and shortening the value excerpt. */
export function makeIssue(
  code: string,
  message: string,
  where: IssueLocation,
  extra?: { expected?: string; fix?: string; identifier?: boolean },
): Issue {
  const issue: Issue = { code, message, file: where.file };
  if (where.line !== undefined) issue.line = where.line;
  if (where.column !== undefined) issue.column = where.column;
  if (where.value !== undefined) issue.value = maskValue(where.value, { identifier: extra?.identifier });
  if (extra?.expected !== undefined) issue.expected = extra.expected;
  if (extra?.fix !== undefined) issue.fix = extra.fix;
  return issue;
}

/** Shorthand for throwing a file-level problem. */
export function fileError(
  code: string,
  message: string,
  where: IssueLocation,
  extra?: { expected?: string; fix?: string },
): InputFileError {
  return new InputFileError(makeIssue(code, message, where, extra));
}
