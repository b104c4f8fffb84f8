import type { LadderArrow, LadderInput } from './ladder-types.js';
import { escapeHtml, jsonForScript } from './ladder-escape.js';
import { formatTime } from './ladder-common.js';
import { LADDER_CSS } from './ladder-html-style.js';
import { LADDER_JS } from './ladder-html-script.js';
import { renderSvg } from './ladder-svg.js';

export interface HtmlLadderOptions {
  /** Page title; defaults to the input's title. */
  title?: string;
}

/** Entry i of the page's #ladder-data block, describing arrow g.arrow[data-index=i]. */
export interface HtmlLadderMessage {
  index: number;
  summary: string;
  detail: string;
}

/**
 * A self-contained page: inline SVG ladder, inline CSS and script, no fetches, so it works from
 * file:// and as an Allure attachment. Without script the ladder still shows; only the detail
 * panel needs it.
 */
export function renderHtmlLadder(input: LadderInput, options: HtmlLadderOptions = {}): string {
  const title = options.title ?? input.title ?? 'SIP ladder';
  const { svg, width, heads } = renderSvg(input);
  const t0 = input.arrows[0]?.time ?? 0;
  const messages: HtmlLadderMessage[] = input.arrows.map((a) => ({ index: a.index, summary: summary(a, t0), detail: a.detail }));
  const marked = input.arrows.filter((a) => a.mark).length;
  const stats = [`${input.arrows.length} messages`, `${heads.length} parties`, marked > 0 ? `${marked} marked` : ''].filter(Boolean);

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${LADDER_CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${escapeHtml(title)}</h1><span>${stats.join(' · ')}</span>`,
    '<span class="hint">click a message · ↑/↓ move · n/p next/previous marked</span></header>',
    '<main>',
    '<div id="scroll">',
    `<div class="heads" style="width:${width}px">`,
    ...heads.map((h) => `<div class="party" style="left:${h.x}px;max-width:${h.maxWidth}px" title="${escapeHtml(h.name)}">${escapeHtml(h.name)}</div>`),
    '</div>',
    svg,
    '</div>',
    '<aside id="panel">',
    '<div id="detail-meta">Click a message to see it in full.</div>',
    '<pre id="detail"></pre>',
    '</aside>',
    '</main>',
    `<script type="application/json" id="ladder-data">${jsonForScript(messages)}</script>`,
    `<script>${LADDER_JS}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function summary(a: LadderArrow, t0: number): string {
  const abs = Number.isFinite(a.time) ? formatTime(a.time, 0, 'absolute') + ' UTC' : '';
  const parts = [`#${a.index}`, formatTime(a.time, t0, 'relative'), abs, `${a.from} → ${a.to}`, a.label];
  if (a.transport) parts.push(`(${a.transport})`);
  if (a.note) parts.push(`— ${a.note}`);
  return parts.filter(Boolean).join('  ');
}
