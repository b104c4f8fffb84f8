/**
 * `sipwright report merge`: the parts of a run or of a grading split over a CI matrix (`--shard i/n`), put
 * back together: the JSON summaries (totals recounted), the JUnit files, the Allure results and the
 * per-test artifacts, and the gradebooks (students of every part, one gradebook).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeStudents, writeGradebook, type Gradebook } from '../grade/gradebook.js';
import type { StudentGrade } from '../grade/score.js';

interface SummaryTest { target?: string; status: 'passed' | 'failed' | 'skipped' }
interface Summary { version: number; startedAt: string; durationMs: number; reportDir: string; totals: Counts; byTarget: Record<string, Counts>; success: boolean; tests: SummaryTest[] }
interface Counts { passed: number; failed: number; skipped: number; total: number }

export interface MergeResult {
  tests: number;
  students: number;
  parts: number;
}

function count(tests: SummaryTest[]): Counts {
  const c = { passed: 0, failed: 0, skipped: 0, total: tests.length };
  for (const t of tests) c[t.status]++;
  return c;
}

function mergeSummaries(parts: Summary[], out: string): Summary {
  const tests = parts.flatMap((p) => p.tests);
  const byTarget: Record<string, Counts> = {};
  for (const target of new Set(tests.map((t) => t.target ?? ''))) byTarget[target] = count(tests.filter((t) => (t.target ?? '') === target));
  const totals = count(tests);
  return {
    version: parts[0].version,
    startedAt: parts.map((p) => p.startedAt).sort()[0],
    durationMs: Math.max(...parts.map((p) => p.durationMs)),
    reportDir: out,
    totals,
    byTarget,
    success: totals.failed === 0 && parts.every((p) => p.success),
    tests,
  };
}

/** The <testsuite> elements of each file under one <testsuites>, its counts summed. */
function mergeJunit(files: string[]): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let time = 0;
  const suites: string[] = [];
  for (const f of files) {
    const xml = readFileSync(f, 'utf8');
    const head = /<testsuites\b([^>]*)>/.exec(xml);
    if (head) {
      const attr = (name: string) => Number(new RegExp(`\\b${name}="([\\d.]+)"`).exec(head[1])?.[1] ?? 0);
      tests += attr('tests');
      failures += attr('failures');
      errors += attr('errors');
      time = Math.max(time, attr('time'));
    }
    suites.push(...(xml.match(/<testsuite\b[^]*?<\/testsuite>|<testsuite\b[^>]*\/>/g) ?? []));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sipwright" tests="${tests}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">\n  ${suites.join('\n  ')}\n</testsuites>\n`;
}

/** Copies a folder's entries into `to` (merging folders; a part's own files never share a name with another's). */
function copyInto(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from)) cpSync(join(from, e), join(to, e), { recursive: true });
}

export function mergeReports(dirs: string[], outDir: string): MergeResult {
  const out = resolve(outDir);
  const parts = dirs.map((d) => resolve(d));
  for (const d of parts) if (!existsSync(d)) throw new Error(`${d} does not exist`);
  if (parts.includes(out)) throw new Error(`--out ${out} is one of the parts: merge into a folder of its own`);
  mkdirSync(out, { recursive: true });

  const summaries = parts.filter((d) => existsSync(join(d, 'summary.json'))).map((d) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Summary);
  let tests = 0;
  if (summaries.length) {
    const merged = mergeSummaries(summaries, out);
    tests = merged.tests.length;
    writeFileSync(join(out, 'summary.json'), JSON.stringify(merged, null, 2) + '\n');
  }
  const junits = parts.map((d) => join(d, 'junit.xml')).filter(existsSync);
  if (junits.length) writeFileSync(join(out, 'junit.xml'), mergeJunit(junits));
  for (const d of parts) {
    copyInto(join(d, 'allure-results'), join(out, 'allure-results'));
    copyInto(join(d, 'artifacts'), join(out, 'artifacts'));
  }

  const books = parts.filter((d) => existsSync(join(d, 'grades.json'))).map((d) => ({ dir: d, book: JSON.parse(readFileSync(join(d, 'grades.json'), 'utf8')) as Gradebook }));
  let students = 0;
  if (books.length) {
    const rubric = books[0].book.rubric;
    const other = books.find((b) => JSON.stringify(b.book.rubric) !== JSON.stringify(rubric));
    if (other) throw new Error(`${other.dir} was graded with another rubric than ${books[0].dir} ("${other.book.rubric.name}" / "${rubric.name}", or its items differ)`);
    const byId = new Map<string, StudentGrade>();
    for (const { dir, book } of books) {
      for (const s of book.students) byId.set(s.id, s);
      copyInto(join(dir, 'students'), join(out, 'students'));
    }
    // Students in the class's order, as one batch writes them; parts from before classOrder: in part order.
    const order = books.flatMap(({ book }) => book.classOrder ?? []).filter((id, i, all) => all.indexOf(id) === i);
    writeGradebook(out, rubric, mergeStudents([], [...byId.values()], order), order.length ? order : undefined);
    students = byId.size;
  }
  if (!summaries.length && !junits.length && !books.length) throw new Error(`none of ${parts.join(', ')} holds a summary.json, junit.xml or grades.json`);
  return { tests, students, parts: parts.length };
}
