import type { LadderArrow, LadderInput } from './ladder-types.js';
import { escapeHtml } from './ladder-escape.js';
import { formatTime, maxOf, noteText, resolveParties } from './ladder-common.js';
import { displayWidth, truncate } from './ladder-width.js';

/**
 * Geometry in px. Text is set in the platform monospace font at 12px, whose advance is close to
 * 0.6em on every common system, so label widths can be estimated without measuring in a browser.
 */
const CHAR_W = 7.2;
const ROW_H = 26;
const TOP = 14;
const MIN_COL = 120;
const MAX_COL = 360;
// Shaft length an arrow keeps free of label text, split between both ends.
const LABEL_PAD = 28;
const LOOP_W = 28;
const NOTE_MAX_CHARS = 48;
/** Colours of dialogs/transactions; no red in it, red is reserved for marked arrows. */
export const GROUP_COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f', '#393b79'];

export interface SvgLadder {
  svg: string;
  width: number;
  /** Header names, positioned by the page above the scrolling SVG. */
  heads: { name: string; x: number; maxWidth: number }[];
}

export function renderSvg(input: LadderInput): SvgLadder {
  const parties = resolveParties(input);
  const arrows = input.arrows;
  const lane = new Map(parties.map((p, i) => [p, i]));
  const t0 = arrows[0]?.time ?? 0;
  const times = arrows.map((a) => formatTime(a.time, t0, 'relative'));

  const indexChars = maxOf(arrows.map((a) => `#${a.index}`.length), 2);
  const timeX = 8 + indexChars * CHAR_W + 10;
  const gutter = timeX + maxOf(times.map((t) => t.length), 7) * CHAR_W + 16;

  let col = MIN_COL;
  let selfOnLast = false;
  let noteChars = 0;
  for (const a of arrows) {
    const span = Math.abs(lane.get(a.to)! - lane.get(a.from)!);
    const labelW = displayWidth(a.label) * CHAR_W;
    col = Math.max(col, span === 0 ? labelW + LOOP_W + 24 : (labelW + LABEL_PAD) / span);
    if (span === 0 && lane.get(a.from) === parties.length - 1) selfOnLast = true;
    noteChars = Math.max(noteChars, displayWidth(noteText(a)));
  }
  col = Math.ceil(Math.min(col, MAX_COL));
  const x0 = gutter + col / 2;
  const xs = parties.map((_, i) => x0 + i * col);
  const lastX = xs.length > 0 ? xs[xs.length - 1] : gutter;
  const noteX = lastX + (selfOnLast ? col : 0) + 16;
  const width = Math.ceil(noteX + Math.min(noteChars, NOTE_MAX_CHARS) * CHAR_W + 16);
  const height = TOP + Math.max(arrows.length, 1) * ROW_H + 8;

  const colourOf = groupClasses(arrows);
  const out: string[] = [];
  out.push(
    `<svg id="ladder" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-count="${arrows.length}">`,
  );
  for (const x of xs) out.push(`<line class="life" x1="${x}" y1="0" x2="${x}" y2="${height}"/>`);
  if (arrows.length === 0) out.push(`<text class="empty" x="8" y="${TOP + 16}">(no messages)</text>`);
  arrows.forEach((a, i) => {
    const y = TOP + i * ROW_H + ROW_H / 2;
    const from = xs[lane.get(a.from)!];
    const to = xs[lane.get(a.to)!];
    out.push(arrowGroup(a, i, y, from, to, times[i], { timeX, width, col, noteX }, colourOf.get(a.group ?? '')));
  });
  out.push('</svg>');

  const heads = parties.map((name, i) => ({ name, x: xs[i], maxWidth: col - 12 }));
  return { svg: out.join('\n'), width, heads };
}

interface Geometry {
  timeX: number;
  width: number;
  col: number;
  noteX: number;
}

function arrowGroup(a: LadderArrow, i: number, y: number, from: number, to: number, time: string, g: Geometry, colour: string | undefined): string {
  const classes = ['arrow', colour, a.mark ? 'marked' : undefined].filter(Boolean).join(' ');
  const parts = [
    `<g class="${classes}" data-index="${i}" data-msg="${a.index}" transform="translate(0,${y})">`,
    `<rect class="bg" x="0" y="${-ROW_H / 2}" width="${g.width}" height="${ROW_H}"/>`,
    `<text class="meta" x="8" y="4">#${a.index}<tspan x="${g.timeX}">${escapeHtml(time)}</tspan></text>`,
  ];
  if (from === to) {
    // Out to the right, down, and back into the same lifeline.
    const r = from + LOOP_W;
    parts.push(`<path class="shaft" d="M${from} -6H${r}V6H${from + 8}"/>`);
    parts.push(`<path class="head" d="M${from} 6l8 -4v8z"/>`);
    const label = truncate(a.label, Math.floor((g.col - LOOP_W - 24) / CHAR_W));
    parts.push(`<text class="label" x="${r + 6}" y="4">${escapeHtml(label)}</text>`);
  } else {
    const dir = to > from ? 1 : -1;
    parts.push(`<line class="shaft" x1="${from}" y1="0" x2="${to - dir * 8}" y2="0"/>`);
    parts.push(`<path class="head" d="M${to} 0l${-dir * 9} -4.5v9z"/>`);
    const label = truncate(a.label, Math.floor((Math.abs(to - from) - LABEL_PAD) / CHAR_W));
    parts.push(`<text class="label" x="${(from + to) / 2}" y="-5" text-anchor="middle">${escapeHtml(label)}</text>`);
  }
  const note = noteText(a);
  if (note) parts.push(`<text class="note" x="${g.noteX}" y="4">${escapeHtml(truncate(note, NOTE_MAX_CHARS))}</text>`);
  parts.push('</g>');
  return parts.join('');
}

function groupClasses(arrows: LadderArrow[]): Map<string, string> {
  const classes = new Map<string, string>();
  for (const a of arrows) {
    if (a.group !== undefined && !classes.has(a.group)) classes.set(a.group, `c${classes.size % GROUP_COLOURS.length}`);
  }
  return classes;
}
