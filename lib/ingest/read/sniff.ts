// Guesses the layout of a text export from its first lines: which delimiter (, ; tab |) splits every
// line into the same number of fields, or whether columns are aligned with runs of spaces instead.
// Only the sample is looked at; the tokenizer then reads the whole file with the chosen layout.

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

const SAMPLE_LINES = 50;

/** Number of fields in each of the first lines when split by `delimiter`, honouring quotes. */
export function fieldCounts(sample: string, delimiter: string, maxLines = SAMPLE_LINES): number[] {
  const d = delimiter.charCodeAt(0);
  const counts: number[] = [];
  let fields = 1;
  let inQuote = false;
  let atFieldStart = true;
  let lineHasText = false;
  for (let i = 0; i < sample.length && counts.length < maxLines; i++) {
    const c = sample.charCodeAt(i);
    if (inQuote) {
      if (c === 34) {
        if (sample.charCodeAt(i + 1) === 34) i++;
        else inQuote = false;
      }
      continue;
    }
    if (c === 34 && atFieldStart) {
      inQuote = true;
      atFieldStart = false;
      lineHasText = true;
      continue;
    }
    if (c === 10 || c === 13) {
      if (lineHasText) counts.push(fields);
      if (c === 13 && sample.charCodeAt(i + 1) === 10) i++;
      fields = 1;
      atFieldStart = true;
      lineHasText = false;
      continue;
    }
    lineHasText = true;
    if (c === d) {
      fields++;
      atFieldStart = true;
    } else {
      atFieldStart = false;
    }
  }
  return counts;
}

/** Share of lines having the most common field count, and that count. */
function consistency(counts: number[]): { mode: number; share: number } {
  if (counts.length === 0) return { mode: 0, share: 0 };
  const freq = new Map<number, number>();
  for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1);
  let mode = 0;
  let best = 0;
  for (const [count, f] of freq) {
    if (f > best || (f === best && count > mode)) {
      mode = count;
      best = f;
    }
  }
  return { mode, share: best / counts.length };
}

/**
 * The delimiter that splits the sample most consistently into two or more fields, or null when none
 * does (a one-column file, or a whitespace-aligned one).
 */
export function sniffDelimiter(sample: string, complete: boolean): string | null {
  // The last line of an incomplete sample may be cut: leave it out.
  const text = complete ? sample : sample.slice(0, Math.max(sample.lastIndexOf('\n'), 0));
  let best: string | null = null;
  let bestScore = 0;
  let bestMode = 0;
  for (const candidate of DELIMITER_CANDIDATES) {
    const { mode, share } = consistency(fieldCounts(text, candidate));
    if (mode < 2) continue;
    if (share > bestScore + 1e-9 || (Math.abs(share - bestScore) < 1e-9 && mode > bestMode)) {
      best = candidate;
      bestScore = share;
      bestMode = mode;
    }
  }
  return bestScore >= 0.5 ? best : null;
}

/** Whether every sampled line splits into the same number (two or more) of whitespace-separated fields. */
export function looksWhitespaceAligned(sample: string, complete: boolean): boolean {
  const text = complete ? sample : sample.slice(0, Math.max(sample.lastIndexOf('\n'), 0));
  const lines = text.split(/\r\n|\n|\r/, SAMPLE_LINES).filter((l) => l.trim().length > 0);
  if (lines.length === 0) return false;
  const counts = lines.map((l) => l.trim().split(/[ \t]+/).length);
  const { mode, share } = consistency(counts);
  return mode >= 2 && share >= 0.9;
}

/** Name of a delimiter for messages: "';' (semicolon)". */
export function describeDelimiter(delimiter: string): string {
  switch (delimiter) {
    case ',':
      return "',' (comma)";
    case ';':
      return "';' (semicolon)";
    case '\t':
      return "'\\t' (tab)";
    case '|':
      return "'|' (pipe)";
    default:
      return `'${delimiter}'`;
  }
}
