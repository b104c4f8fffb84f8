/**
 * Scoring one student's run against a rubric: each item's tests are picked from the run's summary, and the
 * item earns its points as the rubric says. A point lost says why in words a student can act on: the test, what
 * the wire showed against what was expected (the test's failure message), the RFC section, and where the
 * ladder and the capture are.
 */
import type { Rubric, RubricItem } from './rubric.js';
import { maxPoints, round2 } from './rubric.js';

/** A test as the run's JSON summary has it (paths relative to the run's report folder). */
export interface RunTest {
  suite: string;
  name: string;
  fullName?: string;
  status: 'passed' | 'failed' | 'skipped';
  failureMessage?: string;
  skipReason?: string;
  pcap?: string;
  ladderHtml?: string;
}

export interface Evidence {
  test: string;
  status: RunTest['status'];
  /** The RFC sections the test checks (from its title). */
  rfc?: string;
  /** What went wrong: the failure message's first lines, or why it was skipped. */
  message?: string;
  /** Paths relative to the gradebook's folder. */
  ladder?: string;
  pcap?: string;
}

export interface ItemGrade {
  id: string;
  points: number;
  max: number;
  /** Why points were lost; absent at full marks. */
  reason?: string;
  evidence: Evidence[];
}

export interface StudentGrade {
  id: string;
  name: string;
  total: number;
  max: number;
  items: ItemGrade[];
  /** Why the run gave no results (an unreachable target, an invalid target file). */
  error?: string;
}

const MESSAGE_LINES = 12;

/** "INVITE crosses the proxy — RFC 3261 §16.6, §16.7": the title and the RFC part. */
function splitTitle(name: string): { title: string; rfc?: string } {
  const i = name.lastIndexOf(' — RFC ');
  return i < 0 ? { title: name } : { title: name.slice(0, i), rfc: name.slice(i + 3) };
}

function firstLines(text: string | undefined): string | undefined {
  if (!text) return undefined;
  // The ladder a failure message carries is in the evidence as a file: the message keeps the words.
  const words = text.split(/\n\s*Ladder \(\d+ messages?\):/)[0];
  const lines = words.split('\n').map((l) => l.replace(/\s+$/, '')).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
  return lines.slice(0, MESSAGE_LINES).join('\n').trim() + (lines.length > MESSAGE_LINES ? '\n…' : '');
}

export function matches(item: RubricItem, t: RunTest): boolean {
  return item.tests.some((sel) => sel.suite === t.suite && (sel.name === undefined || new RegExp(sel.name, 'i').test(t.name)));
}

/** `prefix` turns the run's relative paths into paths relative to the gradebook (e.g. "students/s01/"). */
export function scoreItem(item: RubricItem, tests: RunTest[], prefix: string): ItemGrade {
  const mine = tests.filter((t) => matches(item, t));
  const evidence = mine.map((t): Evidence => {
    const { title, rfc } = splitTitle(t.name);
    return {
      test: title,
      status: t.status,
      ...(rfc ? { rfc } : {}),
      ...(t.status === 'failed' ? { message: firstLines(t.failureMessage) } : t.status === 'skipped' ? { message: t.skipReason ?? 'skipped' } : {}),
      ...(t.ladderHtml ? { ladder: prefix + t.ladderHtml } : {}),
      ...(t.pcap ? { pcap: prefix + t.pcap } : {}),
    };
  });
  if (mine.length === 0) {
    const wanted = item.tests.map((s) => `${s.suite}${s.name ? ` /${s.name}/` : ''}`).join(', ');
    return { id: item.id, points: 0, max: item.points, reason: `no test of the run matches ${wanted}`, evidence };
  }
  const passed = mine.filter((t) => t.status === 'passed').length;
  const points = item.scoring === 'all' ? (passed === mine.length ? item.points : 0) : round2((item.points * passed) / mine.length);
  if (passed === mine.length) return { id: item.id, points, max: item.points, evidence };
  const lost = evidence.filter((e) => e.status !== 'passed');
  const reason = `${passed} of ${mine.length} tests passed; ${lost.map((e) => `${e.status}: ${e.test}${e.rfc ? ` (${e.rfc})` : ''}`).join('; ')}`;
  return { id: item.id, points, max: item.points, reason, evidence };
}

export function scoreStudent(rubric: Rubric, student: { id: string; name: string }, tests: RunTest[], prefix: string): StudentGrade {
  const items = rubric.items.map((item) => scoreItem(item, tests, prefix));
  return { id: student.id, name: student.name, total: round2(items.reduce((s, i) => s + i.points, 0)), max: maxPoints(rubric), items };
}

/** A student whose run gave no results: 0 on every item, with the reason in each. */
export function failedStudent(rubric: Rubric, student: { id: string; name: string }, error: string): StudentGrade {
  return {
    id: student.id,
    name: student.name,
    total: 0,
    max: maxPoints(rubric),
    error,
    items: rubric.items.map((item) => ({ id: item.id, points: 0, max: item.points, reason: error, evidence: [] })),
  };
}
