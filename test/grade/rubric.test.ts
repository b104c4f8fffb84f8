/** Rubrics, classes and scoring, on their own: what a mistyped rubric says, and how items earn points. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClass } from '../../src/grade/class-list.js';
import { csv, mergeStudents } from '../../src/grade/gradebook.js';
import { GradeConfigError, grepOf, loadRubric, maxPoints, suitesOf, type Rubric } from '../../src/grade/rubric.js';
import { failedStudent, scoreStudent, type RunTest } from '../../src/grade/score.js';
import { ROOT } from '../suites/support.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sipwright-rubric-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rubricFile(text: string): string {
  const f = join(dir, `r${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  return f;
}

const RUBRIC: Rubric = {
  name: 'r',
  exercises: [],
  items: [
    { id: 'all', title: 'all of them', points: 2, scoring: 'all', optional: false, tests: [{ suite: 'calls', name: 'basic' }] },
    { id: 'part', title: 'in proportion', points: 3, scoring: 'proportional', optional: false, tests: [{ suite: 'forking' }] },
    { id: 'bonus', title: 'a bonus', points: 1, scoring: 'all', optional: true, tests: [{ suite: 'prack', name: 'update' }] },
  ],
};

const t = (suite: string, name: string, status: RunTest['status'], extra: Partial<RunTest> = {}): RunTest => ({ suite, name, status, ...extra });

describe('rubric files', () => {
  test('the course rubric loads, and names the suites it needs', () => {
    const r = loadRubric(join(ROOT, 'rubrics', 'sip-course.yaml'));
    expect(suitesOf(r)).toEqual(['registration', 'calls', 'forking', 'prack', 'routing', 'transfer']);
    expect(maxPoints(r)).toBeGreaterThan(20);
    expect(r.items.every((i) => r.exercises.some((e) => e.id === i.exercise))).toBe(true);
  });

  test('a student runs only the tests the rubric names: its grep takes in every title it scores', () => {
    const course = loadRubric(join(ROOT, 'rubrics', 'sip-course.yaml'));
    const grep = new RegExp(grepOf(course)!, 'i');
    // As jest matches it: "target describe title"; the rubric's own pattern is on the title alone.
    expect(grep.test('embedded:kamailio Digest authentication (RFC 3261 §22) digest challenge: 401 then 200')).toBe(true);
    expect(grep.test('embedded:kamailio Basic call through the proxy (RFC 3261 §12, §16) INVITE, 100, 180, 200, ACK, BYE, 200 cross the proxy in both directions')).toBe(true);
    expect(grep.test('embedded:kamailio Session timers through a proxy (RFC 4028) the refresher re-INVITEs')).toBe(false);
    // A whole suite, or a ^ it can't move, can't be narrowed: every test of the suites runs.
    expect(grepOf(RUBRIC)).toBeUndefined();
    const one = (name: string): Rubric => ({ ...RUBRIC, items: [{ ...RUBRIC.items[0], tests: [{ suite: 'calls', name }] }] });
    expect(grepOf(one('a|^b'))).toBeUndefined();
    expect(grepOf(one('^a[^b]c'))).toBe('(?:(?:^| )a[^b]c)');
    expect(grepOf(one('\\^x'))).toBe('(?:\\^x)');
  });

  test('a mistake names the field', () => {
    const bad = rubricFile('name: x\nitems:\n  - { id: a, title: A, points: 0, tests: [{ suite: calls, name: "(" }] }\n  - { id: a, title: B, points: 1, exercise: nope, tests: [] }\n');
    let message = '';
    try {
      loadRubric(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(GradeConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain('items[0].points: must be more than 0');
    expect(message).toContain('items[0].tests[0].name: is not a regular expression');
    expect(message).toContain('items[1].tests: list at least one test');
    expect(message).toContain('items[1].id: "a" is used by an earlier item');
    expect(message).toContain('items[1].exercise: "nope" is not one of exercises[].id');
  });

  test('an unknown key is refused by name', () => {
    expect(() => loadRubric(rubricFile('name: x\nitemz: []\n'))).toThrow(/unknown field "itemz"/);
  });
});

describe('scoring', () => {
  test('all-or-nothing, proportional, and a bonus outside the maximum', () => {
    const g = scoreStudent(RUBRIC, { id: 's', name: 'S' }, [
      t('calls', 'basic call — RFC 3261 §16', 'passed'),
      t('forking', 'fork one', 'passed'),
      t('forking', 'fork two — RFC 3261 §16.6', 'failed', { failureMessage: 'expected 2 branches\nsaw 1\n\nLadder (3 messages):\n#0 …', ladderHtml: 'artifacts/x/ladder.html', pcap: 'artifacts/x/capture.pcap' }),
      t('forking', 'fork three', 'skipped', { skipReason: 'target t does not declare the role proxy' }),
      t('prack', 'UPDATE early', 'passed'),
    ], 'students/s/');
    expect(g.items.map((i) => [i.id, i.points])).toEqual([['all', 2], ['part', 1], ['bonus', 1]]);
    expect(g.max).toBe(5);
    expect(g.total).toBe(4);
    const part = g.items[1];
    expect(part.reason).toBe('1 of 3 tests passed; failed: fork two (RFC 3261 §16.6); skipped: fork three');
    const failed = part.evidence.find((e) => e.status === 'failed')!;
    expect(failed).toEqual({ test: 'fork two', status: 'failed', rfc: 'RFC 3261 §16.6', message: 'expected 2 branches\nsaw 1', ladder: 'students/s/artifacts/x/ladder.html', pcap: 'students/s/artifacts/x/capture.pcap' });
    expect(part.evidence.find((e) => e.status === 'skipped')!.message).toBe('target t does not declare the role proxy');
  });

  test('an item none of whose tests ran is 0, saying which tests it wanted', () => {
    const g = scoreStudent(RUBRIC, { id: 's', name: 'S' }, [t('calls', 'basic', 'passed')], '');
    expect(g.items[1]).toMatchObject({ points: 0, reason: 'no test of the run matches forking' });
  });

  test('a student whose run gave nothing gets 0 everywhere with the reason', () => {
    const g = failedStudent(RUBRIC, { id: 's', name: 'S' }, 'target t at 127.0.0.1:5999 (udp) is unreachable');
    expect(g.total).toBe(0);
    expect(g.items.every((i) => i.reason === 'target t at 127.0.0.1:5999 (udp) is unreachable')).toBe(true);
  });
});

describe('classes and the gradebook files', () => {
  test('inline targets are written out; a folder is a class of target files', () => {
    const cls = join(dir, 'class.yaml');
    writeFileSync(cls, 'students:\n  - { id: a1, name: Ann, target: ann.yaml }\n  - { id: b2, name: Bo, target: { name: bo, address: "127.0.0.1:5070", roles: [registrar] } }\n');
    const out = join(dir, 'out');
    const s = loadClass(cls, out);
    expect(s.map((x) => [x.id, x.name])).toEqual([['a1', 'Ann'], ['b2', 'Bo']]);
    expect(s[0].targetFile).toBe(join(dir, 'ann.yaml'));
    expect(readFileSync(s[1].targetFile, 'utf8')).toContain('address: 127.0.0.1:5070');
    const folder = mkdtempSync(join(dir, 'folder-'));
    writeFileSync(join(folder, 'zed.yaml'), 'name: Zed Proxy\naddress: 127.0.0.1:5080\n');
    writeFileSync(join(folder, 'amy.yml'), 'name: Amy\n');
    expect(loadClass(folder, out).map((x) => [x.id, x.name])).toEqual([['amy', 'Amy'], ['zed', 'Zed Proxy']]);
  });

  test('a class with a repeated id is refused by name', () => {
    const cls = join(dir, 'twice.yaml');
    writeFileSync(cls, 'students:\n  - { id: a, name: A, target: a.yaml }\n  - { id: a, name: B, target: b.yaml }\n');
    expect(() => loadClass(cls, dir)).toThrow(/students\[1\]\.id: "a" is used by an earlier student/);
  });

  test('CSV quotes what needs it; a merge keeps the class order', () => {
    const a = failedStudent(RUBRIC, { id: 'a', name: 'Doe, "Jo"' }, 'x');
    expect(csv(RUBRIC, [a]).split('\r\n')).toEqual(['id,name,all,part,bonus,total', 'a,"Doe, ""Jo""",0,0,0,0', '']);
    const b = failedStudent(RUBRIC, { id: 'b', name: 'B' }, 'y');
    const b2 = { ...b, total: 3 };
    expect(mergeStudents([a, b], [b2], ['b', 'a']).map((s) => [s.id, s.total])).toEqual([['b', 3], ['a', 0]]);
  });
});
