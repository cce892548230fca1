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
 * Shortens a value for an error report and masks anything that looks like a personal identifier, so a
 * report or a log line never carries a full email address or phone number.
 */
export function maskValue(text: string): string {
  const trimmed = text.trim();
  const at = trimmed.indexOf('@');
  if (at > 0 && at < trimmed.length - 1 && trimmed.indexOf(' ') < 0) {
    const dot = trimmed.lastIndexOf('.');
    const tld = dot > at ? trimmed.slice(dot) : '';
    return truncate(`${trimmed[0]}***@***${tld}`);
  }
  let digits = 0;
  let phoneLike = true;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 32 && c !== 43 && c !== 45 && c !== 40 && c !== 41 && c !== 46) {
      phoneLike = false;
      break;
    }
  }
  // Seven or more digits with phone punctuation (or a leading +): keep only the last two digits.
  if (phoneLike && digits >= 7 && (trimmed.startsWith('+') || /[ ()-]/.test(trimmed))) {
    return `***${trimmed.slice(-2)}`;
  }
  return truncate(text);
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
  extra?: { expected?: string; fix?: string },
): Issue {
  const issue: Issue = { code, message, file: where.file };
  if (where.line !== undefined) issue.line = where.line;
  if (where.column !== undefined) issue.column = where.column;
  if (where.value !== undefined) issue.value = maskValue(where.value);
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
