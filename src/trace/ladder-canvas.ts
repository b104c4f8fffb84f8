import { isNarrow, toGlyphs } from './ladder-width.js';

/** ANSI SGR parameters ("1;31"), or undefined for the terminal's default look. */
export type Style = string | undefined;

/**
 * One output row addressed by terminal cell, so that drawing a label over a lifeline or an arrow
 * over a wide glyph keeps the grid intact; colour is applied only when the row is serialised, so
 * it never takes part in width arithmetic.
 *
 * Cells live in two parallel arrays rather than one object per cell: a long trace has millions
 * of cells and the garbage collector would otherwise dominate.
 */
export class TextRow {
  /** '' marks the right half of a wide glyph that starts in the previous cell. */
  private readonly texts: string[];
  private readonly styles: Style[];

  constructor(template?: TextRow) {
    this.texts = template ? template.texts.slice() : [];
    this.styles = template ? template.styles.slice() : [];
  }

  get width(): number {
    return this.texts.length;
  }

  /** Writes `text` from cell x on; returns the cell after it. */
  put(x: number, text: string, style?: Style): number {
    if (isNarrow(text)) {
      for (let i = 0; i < text.length; i++) this.set(x++, text[i], style);
      return x;
    }
    for (const g of toGlyphs(text)) {
      this.set(x, g.text, style);
      if (g.width === 2) this.set(x + 1, '', style);
      x += g.width;
    }
    return x;
  }

  fill(x: number, count: number, ch: string, style?: Style): void {
    for (let i = 0; i < count; i++) this.set(x + i, ch, style);
  }

  render(width: number, color: boolean): string {
    const n = Math.max(width, this.texts.length);
    if (!color) {
      const line = this.texts.join('');
      return n > this.texts.length ? line + ' '.repeat(n - this.texts.length) : line;
    }
    let out = '';
    let current: Style;
    for (let x = 0; x < n; x++) {
      const style = x < this.texts.length ? this.styles[x] : undefined;
      if (style !== current) {
        out += current === undefined ? '' : '\x1b[0m';
        out += style === undefined ? '' : `\x1b[${style}m`;
        current = style;
      }
      out += x < this.texts.length ? this.texts[x] : ' ';
    }
    if (current !== undefined) out += '\x1b[0m';
    return out;
  }

  private set(x: number, text: string, style: Style): void {
    if (x < 0) return;
    const old = this.texts[x];
    // Overwriting either half of a wide glyph orphans the other half; blank it.
    if (old === '' && text !== '') this.blank(x - 1);
    if (old !== undefined && old !== '' && this.texts[x + 1] === '') this.blank(x + 1);
    while (this.texts.length < x) {
      this.texts.push(' ');
      this.styles.push(undefined);
    }
    this.texts[x] = text;
    this.styles[x] = style;
  }

  private blank(x: number): void {
    if (x >= 0 && x < this.texts.length) {
      this.texts[x] = ' ';
      this.styles[x] = undefined;
    }
  }
}
