/**
 * Terminal display width of ladder text. Labels and messages come off the wire, so they may hold
 * control bytes, combining marks, CJK or emoji; counting UTF-16 units would misalign the ladder.
 */

export interface Glyph {
  text: string;
  /** Terminal cells: 1, or 2 for East Asian wide / emoji presentation. Never 0 (see toGlyphs). */
  width: 1 | 2;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// East Asian Wide and Fullwidth blocks; emoji are caught by the property test instead.
const WIDE =
  /^[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F200}-\u{1F2FF}\u{20000}-\u{3FFFD}]/u;
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;
const ZERO_WIDTH_ONLY = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
// Bidi controls would make the terminal reorder the row and break the column grid.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
const CONTROL = /\p{Cc}/gu;
const NARROW_ONLY = /^[\x20-\x7e\u2026\u2500-\u257f\u25ba]*$/;

/** One line of plain printable text: whitespace controls become spaces, other controls U+FFFD. */
export function sanitizeLine(s: string): string {
  return s
    .replace(BIDI, '')
    .replace(CONTROL, (c) => (c === '\t' || c === '\n' || c === '\r' ? ' ' : '\uFFFD'));
}

/**
 * Grapheme clusters with their widths. Clusters that would occupy no cell (a stray combining mark,
 * a zero-width space) are dropped so that every glyph maps to whole cells.
 */
export function toGlyphs(s: string): Glyph[] {
  // Most of a ladder is ASCII and box drawing; the segmenter is far too slow to run on every cell
  // of a trace with a hundred thousand messages.
  if (isNarrow(s)) return Array.from(s, (text) => ({ text, width: 1 as const }));
  const out: Glyph[] = [];
  for (const { segment } of segmenter.segment(sanitizeLine(s))) {
    if (ZERO_WIDTH_ONLY.test(segment)) continue;
    out.push({ text: segment, width: WIDE.test(segment) || EMOJI.test(segment) ? 2 : 1 });
  }
  return out;
}

/** Only characters that take one cell each and need no sanitising: the common case, done fast. */
export function isNarrow(s: string): boolean {
  return NARROW_ONLY.test(s);
}

export function displayWidth(s: string): number {
  if (isNarrow(s)) return s.length;
  let w = 0;
  for (const g of toGlyphs(s)) w += g.width;
  return w;
}

/** Cut to at most `max` cells, ending in "…" when something was dropped. */
export function truncate(s: string, max: number): string {
  const glyphs = toGlyphs(s);
  let total = 0;
  for (const g of glyphs) total += g.width;
  if (total <= max) return glyphs.map((g) => g.text).join('');
  if (max <= 0) return '';
  let out = '';
  let w = 0;
  for (const g of glyphs) {
    if (w + g.width > max - 1) break;
    out += g.text;
    w += g.width;
  }
  return out + '…';
}

/** Split into pieces of at most `max` cells, for wrapping long message lines. */
export function wrap(s: string, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  let w = 0;
  for (const g of toGlyphs(s)) {
    if (w + g.width > max && cur !== '') {
      lines.push(cur);
      cur = '';
      w = 0;
    }
    cur += g.text;
    w += g.width;
  }
  lines.push(cur);
  return lines;
}
