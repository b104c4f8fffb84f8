/**
 * What `sipwright grade` writes: grades.json (the whole record), grades.csv (one row per student, one column
 * per item and the total, for an LMS gradebook) and gradebook.html (students × items; a click on a cell opens
 * that student's evidence for the item: the failing test's message, its ladder, its capture, the RFC section).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rubric } from './rubric.js';
import { maxPoints } from './rubric.js';
import type { Evidence, StudentGrade } from './score.js';

export interface Gradebook {
  /** The rubric as graded (its items' titles and points), so shards can be merged into one gradebook. */
  rubric: Rubric;
  max: number;
  students: StudentGrade[];
  /** Every student id of the class in its order, graded here or not: the order a merge of shards keeps. */
  classOrder?: string[];
}

export function readGradebook(dir: string): Gradebook | undefined {
  const file = join(dir, 'grades.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Gradebook;
  } catch {
    return undefined;
  }
}

/** The students of `fresh` replace those of `old` with the same id; the order is `order`'s (the class's). */
export function mergeStudents(old: StudentGrade[], fresh: StudentGrade[], order: string[]): StudentGrade[] {
  const byId = new Map(old.map((s) => [s.id, s]));
  for (const s of fresh) byId.set(s.id, s);
  const known = order.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  const others = [...byId.values()].filter((s) => !order.includes(s.id));
  return [...known, ...others];
}

export function writeGradebook(dir: string, rubric: Rubric, students: StudentGrade[], classOrder?: string[]): Gradebook {
  const book: Gradebook = { rubric, max: maxPoints(rubric), students, ...(classOrder ? { classOrder } : {}) };
  writeFileSync(join(dir, 'grades.json'), JSON.stringify(book, null, 2) + '\n');
  writeFileSync(join(dir, 'grades.csv'), csv(rubric, students));
  writeFileSync(join(dir, 'gradebook.html'), html(rubric, book));
  return book;
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(rubric: Rubric, students: StudentGrade[]): string {
  const head = ['id', 'name', ...rubric.items.map((i) => i.id), 'total'];
  const rows = students.map((s) => [s.id, s.name, ...rubric.items.map((i) => s.items.find((x) => x.id === i.id)?.points ?? 0), s.total]);
  return [head, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function evidenceHtml(e: Evidence): string {
  const links = [e.ladder ? `<a href="${esc(e.ladder)}">ladder</a>` : '', e.pcap ? `<a href="${esc(e.pcap)}">capture (pcap)</a>` : ''].filter(Boolean).join(' · ');
  return `<li class="${e.status}"><span class="status">${e.status}</span> ${esc(e.test)}${e.rfc ? ` <span class="rfc">${esc(e.rfc)}</span>` : ''}${links ? ` — ${links}` : ''}${e.message ? `<pre>${esc(e.message)}</pre>` : ''}</li>`;
}

export function html(rubric: Rubric, book: Gradebook): string {
  const items = rubric.items;
  const group = (id?: string) => rubric.exercises.find((e) => e.id === id)?.title ?? '';
  const head = items.map((i) => `<th title="${esc(i.title)}${i.optional ? ' (optional)' : ''}"><div class="ex">${esc(group(i.exercise))}</div>${esc(i.id)}<div class="max">/${i.points}${i.optional ? ' bonus' : ''}</div></th>`).join('');
  const rows = book.students.map((s) => {
    const cells = items.map((i) => {
      const g = s.items.find((x) => x.id === i.id);
      const points = g?.points ?? 0;
      const cls = points >= i.points ? 'full' : points > 0 ? 'part' : 'none';
      return `<td class="${cls}"><a href="#${esc(`${s.id}--${i.id}`)}" title="${esc(g?.reason ?? 'full marks')}">${points}</a></td>`;
    }).join('');
    return `<tr><th class="student">${esc(s.name)} <span class="id">${esc(s.id)}</span></th>${cells}<td class="total">${s.total} / ${s.max}</td></tr>`;
  }).join('\n');
  const panels = book.students.flatMap((s) => items.map((i) => {
    const g = s.items.find((x) => x.id === i.id);
    return `<section class="evidence" id="${esc(`${s.id}--${i.id}`)}"><h2>${esc(s.name)}: ${esc(i.title)} — ${g?.points ?? 0} / ${i.points}</h2>${g?.reason ? `<p class="reason">${esc(g.reason)}</p>` : '<p class="reason">Full marks.</p>'}<ul>${(g?.evidence ?? []).map(evidenceHtml).join('')}</ul></section>`;
  })).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(rubric.name)}: gradebook</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: center; }
th.student { text-align: left; white-space: nowrap; }
.id, .max, .ex { color: #666; font-size: 11px; font-weight: normal; }
td.full { background: #d9f2d9; } td.part { background: #fff1c2; } td.none { background: #f8d0d0; }
td a { color: inherit; display: block; text-decoration: none; font-weight: bold; }
td.total { font-weight: bold; }
.evidence { display: none; border: 1px solid #999; padding: 0.5em 1em; margin-top: 1em; }
.evidence:target { display: block; }
.evidence pre { background: #f4f4f4; padding: 6px; white-space: pre-wrap; }
.evidence li.failed .status, .evidence li.skipped .status { color: #b00; font-weight: bold; }
.evidence li.passed .status { color: #070; }
.rfc { color: #555; font-style: italic; }
</style></head>
<body>
<h1>${esc(rubric.name)}</h1>
<p>${book.students.length} student${book.students.length === 1 ? '' : 's'}, ${book.max} points. Click a score for its evidence.</p>
<table id="gradebook"><thead><tr><th>student</th>${head}<th>total</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${panels}
</body></html>
`;
}
