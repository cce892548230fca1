// Escaping for text that ends up in the report's HTML or inline SVG. Segment names, descriptions and
// config values are user input: every one of them goes through `escapeHtml` before it reaches markup.

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values (HTML and SVG alike). */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * Turns arbitrary text into a safe, readable id fragment (`[a-z0-9-]`), so user-chosen segment ids
 * can name anchors and SVG ids without breaking markup or clashing with `aria-labelledby` lists.
 */
export function toIdFragment(text: string): string {
  const slug = String(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug === '' ? 'x' : slug;
}
