import { sanitizeLine } from './ladder-width.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text or attribute content. Labels and names come off the wire: controls are replaced first
 * because NUL and friends are parse errors in HTML and invisible in a ladder anyway.
 */
export function escapeHtml(s: string): string {
  return sanitizeLine(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * JSON for a <script type="application/json"> block. Inside a script element the HTML parser only
 * looks for "</script" (and "<!--"), so escaping every "<" (plus ">" and "&" for good measure, and
 * the two line separators old JS engines choke on) as \uXXXX keeps any message text inert while
 * JSON.parse still returns it unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
