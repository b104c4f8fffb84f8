/** `report merge` on parts written as a sharded run and a sharded grading write them: one report, the same totals. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGradebook, type Gradebook } from '../../src/grade/gradebook.js';
import type { Rubric } from '../../src/grade/rubric.js';
import { failedStudent } from '../../src/grade/score.js';
import { mergeReports } from '../../src/report/merge.js';
import { inShard, parseShard } from '../../src/cli/shard.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sipwright-merge-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function part(name: string, tests: Array<{ target: string; status: 'passed' | 'failed' | 'skipped' }>, junitSuites: number): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'allure-results'), { recursive: true });
  mkdirSync(join(d, 'artifacts', `${name}-test`), { recursive: true });
  writeFileSync(join(d, 'allure-results', `${name}-result.json`), '{}');
  writeFileSync(join(d, 'artifacts', `${name}-test`, 'capture.pcap'), 'x');
  const totals = { passed: tests.filter((t) => t.status === 'passed').length, failed: tests.filter((t) => t.status === 'failed').length, skipped: tests.filter((t) => t.status === 'skipped').length, total: tests.length };
  writeFileSync(join(d, 'summary.json'), JSON.stringify({ version: 1, startedAt: `2026-12-07T09:0${name.length}:00Z`, durationMs: 1000 * tests.length, reportDir: d, totals, byTarget: {}, success: totals.failed === 0, tests: tests.map((t, i) => ({ suite: 's', name: `${name} ${i}`, ...t })) }));
  const suites = Array.from({ length: junitSuites }, (_, i) => `<testsuite name="${name}-${i}" tests="1" failures="0"><testcase name="t"/></testsuite>`).join('\n');
  writeFileSync(join(d, 'junit.xml'), `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sipwright" tests="${junitSuites}" failures="0" errors="0" time="1.5">\n${suites}\n</testsuites>\n`);
  return d;
}

test('the parts of a sharded run merge into one summary, JUnit file, Allure results and artifacts', () => {
  const a = part('a', [{ target: 'pbx', status: 'passed' }, { target: 'pbx', status: 'failed' }], 2);
  const b = part('bb', [{ target: 'pbx', status: 'passed' }, { target: 'proxy', status: 'skipped' }], 1);
  const out = join(dir, 'merged-run');
  expect(mergeReports([a, b], out)).toEqual({ tests: 4, students: 0, parts: 2 });
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  expect(s.totals).toEqual({ passed: 2, failed: 1, skipped: 1, total: 4 });
  expect(s.byTarget).toEqual({ pbx: { passed: 2, failed: 1, skipped: 0, total: 3 }, proxy: { passed: 0, failed: 0, skipped: 1, total: 1 } });
  expect(s.success).toBe(false);
  const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
  expect(junit).toMatch(/<testsuites name="sipwright" tests="3" failures="0" errors="0"/);
  expect(junit.match(/<testsuite /g)).toHaveLength(3);
  expect(existsSync(join(out, 'allure-results', 'a-result.json')) && existsSync(join(out, 'allure-results', 'bb-result.json'))).toBe(true);
  expect(existsSync(join(out, 'artifacts', 'bb-test', 'capture.pcap'))).toBe(true);
});

test('the gradebooks of a sharded grading merge into the totals of one run; another rubric is refused', () => {
  const rubric: Rubric = { name: 'r', exercises: [], items: [{ id: 'i', title: 'I', points: 2, scoring: 'all', optional: false, tests: [{ suite: 's' }] }] };
  const students = ['s1', 's2', 's3'].map((id, k) => ({ ...failedStudent(rubric, { id, name: id.toUpperCase() }, 'x'), total: k }));
  const shard = (i: number) => {
    const d = join(dir, `grades-${i}`);
    mkdirSync(join(d, 'students', `s${i}`), { recursive: true });
    writeGradebook(d, rubric, students.filter((_, k) => inShard(k, { index: i, count: 2 })), ['s1', 's2', 's3']);
    return d;
  };
  const out = join(dir, 'merged-grades');
  mergeReports([shard(1), shard(2)], out);
  const book = JSON.parse(readFileSync(join(out, 'grades.json'), 'utf8')) as Gradebook;
  // In the class's order (shard 1 holds s1 and s3, shard 2 s2), as one batch writes them.
  expect(book.students.map((s) => [s.id, s.total])).toEqual([['s1', 0], ['s2', 1], ['s3', 2]]);
  expect(readFileSync(join(out, 'grades.csv'), 'utf8').trim().split('\r\n')).toHaveLength(4);
  expect(existsSync(join(out, 'students', 's2'))).toBe(true);

  const other = join(dir, 'other');
  mkdirSync(other);
  writeGradebook(other, { ...rubric, name: 'another' }, []);
  expect(() => mergeReports([shard(1), other], join(dir, 'refused'))).toThrow(/graded with another rubric/);
});

test('--shard is i/n with 1 ≤ i ≤ n, and the shards cover every item once', () => {
  expect(parseShard('2/3', '--shard')).toEqual({ index: 2, count: 3 });
  for (const bad of ['0/3', '4/3', '1/0', 'x', '1-2']) expect(() => parseShard(bad, '--shard')).toThrow(/--shard: expected i\/n/);
  const owners = Array.from({ length: 10 }, (_, k) => [1, 2, 3].filter((i) => inShard(k, { index: i, count: 3 })));
  expect(owners.every((o) => o.length === 1)).toBe(true);
});
