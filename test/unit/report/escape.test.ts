import { describe, expect, it } from 'vitest';
import { escapeHtml, toIdFragment } from '../../../lib/report/escape.js';

describe('escaping', () => {
  it('escapes every character that could open markup or close an attribute', () => {
    // Act
    const out = escapeHtml(`<script>alert("x" + 'y') & more</script>`);

    // Assess
    expect(out).toBe('&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;) &amp; more&lt;/script&gt;');
    expect(out).not.toMatch(/[<>"']/);
  });

  it('turns any text into a safe id fragment', () => {
    expect(toIdFragment('Loyal High Spenders')).toBe('loyal-high-spenders');
    expect(toIdFragment('"><script>')).toBe('script');
    expect(toIdFragment('***')).toBe('x');
    expect(toIdFragment('a'.repeat(100))).toHaveLength(40);
  });
});
