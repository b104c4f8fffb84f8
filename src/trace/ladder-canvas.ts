import { toGlyphs } from './ladder-width.js';

/** ANSI SGR parameters ("1;31"), or undefined for the terminal's default look. */
export type Style = string | undefined;

interface Cell {
  /** '' marks the right half of a wide glyph that starts in the previous cell. */
  text: string;
  style: Style;
}

/**
 * One output row addressed by terminal cell, so that drawing a label over a lifeline or an arrow
 * over a wide glyph keeps the grid intact; colour is applied only when the row is serialised, so
 * it never takes part in width arithmetic.
 */
export class TextRow {
  private readonly cells: Cell[] = [];

  get width(): number {
    return this.cells.length;
  }

  /** Writes `text` from cell x on; returns the cell after it. */
  put(x: number, text: string, style?: Style): number {
    for (const g of toGlyphs(text)) {
      this.set(x, { text: g.text, style });
      if (g.width === 2) this.set(x + 1, { text: '', style });
      x += g.width;
    }
    return x;
  }

  fill(x: number, count: number, ch: string, style?: Style): void {
    for (let i = 0; i < count; i++) this.set(x + i, { text: ch, style });
  }

  charAt(x: number): string {
    return this.cells[x]?.text ?? ' ';
  }

  render(width: number, color: boolean): string {
    let out = '';
    let current: Style;
    for (let x = 0; x < Math.max(width, this.cells.length); x++) {
      const cell = this.cells[x] ?? { text: ' ', style: undefined };
      if (color && cell.style !== current) {
        out += current === undefined ? '' : '\x1b[0m';
        out += cell.style === undefined ? '' : `\x1b[${cell.style}m`;
        current = cell.style;
      }
      out += cell.text;
    }
    if (color && current !== undefined) out += '\x1b[0m';
    return out;
  }

  private set(x: number, cell: Cell): void {
    if (x < 0) return;
    // Overwriting either half of a wide glyph orphans the other half; blank it.
    const old = this.cells[x];
    if (old?.text === '' && cell.text !== '') this.blank(x - 1);
    if (old !== undefined && old.text !== '' && this.cells[x + 1]?.text === '') this.blank(x + 1);
    while (this.cells.length < x) this.cells.push({ text: ' ', style: undefined });
    this.cells[x] = cell;
  }

  private blank(x: number): void {
    if (x >= 0 && x < this.cells.length) this.cells[x] = { text: ' ', style: undefined };
  }
}
