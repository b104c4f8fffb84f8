import type { LadderArrow, LadderInput } from './ladder-types.js';
import { TextRow, type Style } from './ladder-canvas.js';
import { displayWidth, truncate, wrap } from './ladder-width.js';
import { formatTime, maxOf, noteText, resolveParties, type TimeMode } from './ladder-common.js';

export interface TextLadderOptions {
  /** Width the ladder tries to stay within; labels and notes are cut to fit. Default 120. */
  width?: number;
  /** ANSI colours. Off by default because jest failure messages must stay plain. */
  color?: boolean;
  /** Time column: seconds since the first arrow (default), UTC time of day, or none. */
  showTime?: TimeMode | false;
  /** Print the full message under each marked arrow. Default true. */
  detailForMarked?: boolean;
}

const DEFAULT_WIDTH = 120;
// Room for "─ 200 OK ─>" between adjacent lifelines even when the terminal is narrow.
const MIN_GAP = 12;
// Beyond this one long label would stretch every column of the ladder.
const MAX_GAP = 48;
// Detail lines are never wrapped narrower than this, whatever the ladder width.
const MIN_DETAIL = 40;
// A marked INVITE with a large body should not bury the rest of a failure message.
const MAX_DETAIL_LINES = 200;
// A dash and a space on each side of a label, so it never touches a lifeline or the head.
const SHAFT_EXTRA = 4;
// Cells an arrow needs besides its label: the shaft's SHAFT_EXTRA, the head, and one lifeline
// (a span of n gaps has n * gap - 1 free cells).
const ARROW_CELLS = SHAFT_EXTRA + 2;
// A loop needs its label plus the lane, two dashes, two spaces, the corner and a free cell
// before the neighbouring lifeline.
const SELF_EXTRA = 7;
const NOTE_SPACE = 2;
const PALETTE = ['36', '32', '33', '35', '34', '96', '92', '93', '95', '94'];
const MARK: Style = '1;31';
const DIM: Style = '2';

interface Layout {
  lanes: Map<string, number>;
  /** The lanes' columns, left to right. */
  xs: number[];
  gap: number;
  markerW: number;
  indexW: number;
  timeW: number;
  /** Column where notes start, right of the last lifeline (and of a loop drawn beside it). */
  noteX: number;
  width: number;
}

export function renderTextLadder(input: LadderInput, options: TextLadderOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const color = options.color ?? false;
  const mode = options.showTime === undefined ? 'relative' : options.showTime;
  const arrows = input.arrows;
  const parties = resolveParties(input);
  const t0 = arrows[0]?.time ?? 0;
  const times = arrows.map((a) => (mode === false ? '' : formatTime(a.time, t0, mode)));
  const layout = computeLayout(parties, arrows, times, width);
  const groupStyle = groupStyles(arrows);
  const blank = new TextRow();
  for (const x of layout.xs) blank.put(x, '│', DIM);

  const rows: TextRow[] = [];
  const header = new TextRow();
  const names = parties.map((p) => truncate(p, nameMax(parties.length, layout.gap)));
  names.forEach((name, i) => {
    const x = layout.lanes.get(parties[i])!;
    header.put(x - Math.floor(displayWidth(name) / 2), name, '1');
  });
  if (parties.length > 0) rows.push(header);

  if (arrows.length === 0) {
    const empty = new TextRow();
    empty.put(0, '(no messages)', DIM);
    rows.push(empty);
  }

  const details: { after: TextRow; arrow: LadderArrow }[] = [];
  arrows.forEach((arrow, i) => {
    const style = arrow.mark ? MARK : groupStyle.get(arrow.group ?? '');
    const drawn = drawArrow(arrow, times[i], layout, blank, style);
    rows.push(...drawn);
    if (arrow.mark && options.detailForMarked !== false && arrow.detail !== '') {
      details.push({ after: drawn[drawn.length - 1], arrow });
    }
  });

  // Every row is padded to the widest one so the ladder reads as a grid, even in a proportional
  // jest diff or when pasted into a bug report.
  const ladderW = maxOf(rows.map((r) => r.width));
  const detailX = layout.markerW + 2;
  const prefixW = detailX + 2;
  const total = Math.max(ladderW, details.length > 0 ? prefixW + MIN_DETAIL : 0);
  const detailRows = new Map<TextRow, TextRow[]>();
  for (const { after, arrow } of details) {
    detailRows.set(after, detailLines(arrow.detail, detailX, total - prefixW));
  }

  const lines: string[] = [];
  if (input.title) {
    const title = new TextRow();
    title.put(0, truncate(input.title, total || displayWidth(input.title)), '1');
    lines.push(title.render(total, color));
  }
  for (const row of rows) {
    lines.push(row.render(total, color));
    for (const d of detailRows.get(row) ?? []) lines.push(d.render(total, color));
  }
  return lines.join('\n');
}

function computeLayout(parties: string[], arrows: LadderArrow[], times: string[], width: number): Layout {
  const markerW = arrows.some((a) => a.mark) ? 2 : 0;
  const indexW = maxOf(arrows.map((a) => `#${a.index}`.length));
  const timeW = maxOf(times.map((t) => t.length));
  const gutter = markerW + indexW + (timeW > 0 ? 2 + timeW : 0) + 2;
  const firstName = parties.length > 0 ? Math.min(displayWidth(parties[0]), MAX_GAP - 1) : 0;
  const x0 = Math.max(gutter, Math.floor(firstName / 2));
  const index = new Map(parties.map((p, i) => [p, i]));

  let needed = MIN_GAP;
  for (let i = 0; i + 1 < parties.length; i++) {
    const w = displayWidth(parties[i]);
    needed = Math.max(needed, Math.ceil(w / 2) + Math.floor(displayWidth(parties[i + 1]) / 2) + 1);
  }
  let selfOnLast = false;
  let noteW = 0;
  for (const a of arrows) {
    const from = index.get(a.from)!;
    const to = index.get(a.to)!;
    const lw = displayWidth(a.label);
    if (from === to) {
      needed = Math.max(needed, lw + SELF_EXTRA);
      if (from === parties.length - 1) selfOnLast = true;
    } else {
      needed = Math.max(needed, Math.ceil((lw + ARROW_CELLS) / Math.abs(to - from)));
    }
    noteW = Math.max(noteW, displayWidth(noteText(a)));
  }
  const noteReserve = noteW > 0 ? Math.min(noteW, 24) + NOTE_SPACE : 0;
  const slots = parties.length - 1 + (selfOnLast ? 1 : 0);
  const fit = slots > 0 ? Math.floor((width - x0 - noteReserve) / slots) : MAX_GAP;
  const gap = Math.max(MIN_GAP, Math.min(needed, MAX_GAP, fit));
  const xs = parties.map((_, i) => x0 + i * gap);
  const lanes = new Map(parties.map((p, i) => [p, xs[i]]));
  const lastEnd = x0 + (parties.length - 1) * gap + (selfOnLast ? gap - 2 : 0);
  const noteX = parties.length > 0 ? lastEnd + 1 + NOTE_SPACE : gutter;
  return { lanes, xs, gap, markerW, indexW, timeW, noteX, width };
}

function nameMax(count: number, gap: number): number {
  return count > 1 ? gap - 1 : MAX_GAP - 1;
}

/** `blank` is a row of bare lifelines, copied rather than redrawn for every arrow. */
function drawArrow(a: LadderArrow, time: string, layout: Layout, blank: TextRow, style: Style): TextRow[] {
  const row = new TextRow(blank);
  if (a.mark) row.put(0, '►', MARK);
  row.put(layout.markerW, `#${a.index}`, a.mark ? MARK : DIM);
  if (time) row.put(layout.markerW + layout.indexW + 2, time, DIM);

  const xa = layout.lanes.get(a.from)!;
  const xb = layout.lanes.get(a.to)!;
  const rows = [row];
  if (xa === xb) {
    rows.push(drawLoop(row, xa, a.label, layout, blank, style));
  } else {
    drawLine(row, Math.min(xa, xb), Math.max(xa, xb), xa < xb, a.label, layout.xs, style);
  }

  const note = noteText(a);
  // Notes get what the labels left of the requested width, but stay legible when that is nothing.
  const budget = Math.max(12, layout.width - layout.noteX);
  if (note) row.put(layout.noteX, truncate(note, budget), a.mark ? MARK : '33');
  return rows;
}

function drawLine(row: TextRow, left: number, right: number, rightward: boolean, label: string, lanes: number[], style: Style): void {
  row.fill(left + 1, right - left - 1, '─', style);
  for (const x of lanes) if (x > left && x < right) row.put(x, '┼', style);
  if (rightward) row.put(right - 1, '>', style);
  else row.put(left + 1, '<', style);

  // Next to the sender when it fits there, so the label reads as "sent by" and leaves the lifelines
  // it crosses visible; otherwise over the whole span.
  const near = rightward ? [left, Math.min(...lanes.filter((x) => x > left))] : [Math.max(...lanes.filter((x) => x < right)), right];
  const headIn = (l: number, r: number) => (rightward ? r === right : l === left);
  const shaft = (l: number, r: number) => {
    const start = l + 1 + (!rightward && headIn(l, r) ? 1 : 0);
    const end = r - 1 - (rightward && headIn(l, r) ? 1 : 0);
    return { start, len: end - start + 1 };
  };
  let { start, len } = shaft(near[0], near[1]);
  if (displayWidth(label) > len - SHAFT_EXTRA) ({ start, len } = shaft(left, right));
  const text = truncate(label, len - SHAFT_EXTRA);
  if (text === '') return;
  row.put(start + Math.floor((len - displayWidth(text)) / 2) - 1, ` ${text} `, style);
}

/** A message to oneself: out on this row, back on a second one, label inside the loop. */
function drawLoop(row: TextRow, x: number, label: string, layout: Layout, blank: TextRow, style: Style): TextRow {
  const span = layout.gap - 2;
  row.put(x, '├', style);
  row.fill(x + 1, span - 1, '─', style);
  row.put(x + span, '┐', style);
  const text = truncate(label, span - 5);
  if (text !== '') row.put(x + 2, ` ${text} `, style);

  const back = new TextRow(blank);
  back.put(x + 1, '<', style);
  back.fill(x + 2, span - 2, '─', style);
  back.put(x + span, '┘', style);
  return back;
}

function detailLines(detail: string, x: number, max: number): TextRow[] {
  const source = detail.split(/\r\n|\n|\r/);
  while (source.length > 0 && source[source.length - 1] === '') source.pop();
  const pieces = source.flatMap((line) => wrap(line, max));
  const shown = pieces.length > MAX_DETAIL_LINES ? pieces.slice(0, MAX_DETAIL_LINES - 1) : pieces;
  if (shown.length < pieces.length) shown.push(`… ${pieces.length - shown.length} more lines`);
  return shown.map((text) => {
    const row = new TextRow();
    row.put(x, '│', MARK);
    row.put(x + 2, text);
    return row;
  });
}

function groupStyles(arrows: LadderArrow[]): Map<string, Style> {
  const styles = new Map<string, Style>();
  for (const a of arrows) {
    if (a.group !== undefined && !styles.has(a.group)) {
      styles.set(a.group, PALETTE[styles.size % PALETTE.length]);
    }
  }
  return styles;
}
