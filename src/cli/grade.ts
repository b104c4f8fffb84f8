/**
 * `sipwright grade`: every student's target through the suites the rubric needs (one `sipwright run` each, in
 * a process group of its own, `--parallel` at a time, each on ports of its own), scored against the rubric. A
 * line per student as it finishes; the gradebook is rewritten after each, so Ctrl-C keeps the students already
 * graded. A student whose target is unreachable or whose target file is invalid gets 0 with that reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClass, type Student } from '../grade/class-list.js';
import { mergeStudents, readGradebook, writeGradebook } from '../grade/gradebook.js';
import { GradeConfigError, grepOf, loadRubric, suitesOf, type Rubric } from '../grade/rubric.js';
import { failedStudent, scoreStudent, type RunTest, type StudentGrade } from '../grade/score.js';
import { dieOf, interceptSignals, signalExitCode, type TerminatingSignal } from '../runtime/exit-cleanup.js';
import { killGroup } from '../runtime/process-registry.js';
import { CliError, EXIT } from './exit-codes.js';
import { PROJECT_ROOT } from './run.js';
import { parseShard, inShard } from './shard.js';

export interface GradeOptions {
  rubric: string;
  class: string;
  out?: string;
  parallel?: string;
  only?: string[];
  shard?: string;
  /** Passed on to each run (the address the parties share towards the students' targets). */
  localAddress?: string;
}

/** A student's run may take this long (every suite the rubric needs, on one worker) before it is stopped. */
const STUDENT_LIMIT_MS = 30 * 60_000;

interface Running {
  student: Student;
  child: ChildProcess;
}

export async function gradeCommand(o: GradeOptions, out: (s: string) => void, err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const outDir = resolve(o.out ?? 'grades');
  const parallel = o.parallel === undefined ? 2 : Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) throw new CliError(`--parallel: expected a whole number from 1 to 16, got "${o.parallel}"`, EXIT.USAGE);
  const shard = o.shard === undefined ? undefined : parseShard(o.shard, '--shard');
  let rubric: Rubric;
  let students: Student[];
  try {
    rubric = loadRubric(o.rubric);
    mkdirSync(outDir, { recursive: true });
    students = loadClass(o.class, outDir);
  } catch (e) {
    if (e instanceof GradeConfigError) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
  const order = students.map((s) => s.id);
  if (o.only?.length) {
    const unknown = o.only.filter((id) => !order.includes(id));
    if (unknown.length) throw new CliError(`--only: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the class (${order.join(', ')})`, EXIT.USAGE);
    students = students.filter((s) => o.only!.includes(s.id));
  }
  if (shard) students = students.filter((_, i) => inShard(i, shard));
  // --only re-grades into the gradebook there; a full run (or a shard) starts one of its own.
  const kept = o.only?.length ? readGradebook(outDir)?.students ?? [] : [];
  const suites = suitesOf(rubric);
  out(`sipwright: grading ${students.length} student${students.length === 1 ? '' : 's'} on ${rubric.items.length} items (${suites.join(', ')}), ${parallel} at a time; gradebook in ${outDir}`);

  const graded: StudentGrade[] = [];
  const save = () => writeGradebook(outDir, rubric, mergeStudents(kept, graded, order), order);
  save();
  const running = new Set<Running>();
  let stoppedBy: TerminatingSignal | undefined;
  const release = interceptSignals((signal, count) => {
    stoppedBy ??= signal;
    if (count === 1) err(`sipwright: ${signal}: stopping the runs in progress; the ${graded.length} student${graded.length === 1 ? '' : 's'} graded so far stay in the gradebook`);
    for (const r of running) if (r.child.pid) killGroup(r.child.pid, count > 1 ? 'SIGKILL' : signal);
  });
  try {
    const queue = [...students];
    let done = 0;
    const next = async (): Promise<void> => {
      for (;;) {
        const student = queue.shift();
        if (!student || stoppedBy) return;
        const grade = await gradeOne(student, rubric, suites, outDir, o, running);
        if (stoppedBy) return; // a run cut short is not a grade
        graded.push(grade);
        save();
        done++;
        out(progressLine(done, students.length, grade));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, students.length) }, () => next()));
  } finally {
    release();
  }
  const book = save();
  out(`sipwright: gradebook ${join(outDir, 'gradebook.html')}, ${join(outDir, 'grades.csv')}, ${join(outDir, 'grades.json')} (${book.students.length} student${book.students.length === 1 ? '' : 's'})`);
  if (stoppedBy) {
    dieOf(stoppedBy);
    return signalExitCode(stoppedBy);
  }
  return EXIT.OK;
}

function progressLine(done: number, of: number, g: StudentGrade): string {
  const lost = g.items.filter((i) => i.points < i.max).map((i) => i.id);
  const why = g.error ? ` — not run: ${g.error}` : lost.length ? ` — lost: ${lost.join(', ')}` : '';
  return `[${done}/${of}] ${g.id} ${g.name}: ${g.total} / ${g.max}${why}`;
}

/** One student's `sipwright run`, in a process group of its own, and its score. */
async function gradeOne(student: Student, rubric: Rubric, suites: string[], outDir: string, o: GradeOptions, running: Set<Running>): Promise<StudentGrade> {
  const dir = join(outDir, 'students', student.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const summary = join(dir, 'summary.json');
  // Only the tests that earn points run; the others would be scored nowhere.
  const grep = grepOf(rubric);
  const args = [join(PROJECT_ROOT, 'bin', 'sipwright.js'), 'run', '--target', student.targetFile, '--suite', ...suites, '--report', dir, '--json', summary, '--no-allure', '--workers', '1', ...(grep !== undefined ? ['--grep', grep] : []), ...(o.localAddress ? ['--local-address', o.localAddress] : [])];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JEST_WORKER_ID: undefined } });
  const entry = { student, child };
  running.add(entry);
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const timer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGTERM'), STUDENT_LIMIT_MS);
  const code = await new Promise<number | null>((done) => {
    child.once('error', () => done(null));
    child.once('close', (c) => done(c));
  });
  clearTimeout(timer);
  running.delete(entry);
  writeFileSync(join(dir, 'run.log'), log);
  const prefix = `students/${student.id}/`;
  if (existsSync(summary) && (code === 0 || code === 1)) {
    const tests = (JSON.parse(readFileSync(summary, 'utf8')) as { tests: RunTest[] }).tests;
    if (tests.length > 0) return scoreStudent(rubric, student, tests, prefix);
  }
  return failedStudent(rubric, student, whyNotRun(log, code));
}

/** The run's own words for why it did not run (its last "sipwright:" line), e.g. an unreachable target. */
function whyNotRun(log: string, code: number | null): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const said = [...lines].reverse().find((l) => /^sipwright: /.test(l) && !/JSON summary|report:/.test(l));
  const text = said?.replace(/^sipwright: /, '') ?? (lines.slice(-3).join(' ') || 'the run gave no results');
  // A target-file error spans several lines ("target file X:\n  address: …"): keep them.
  const i = lines.findIndex((l) => /^target file .*:$/.test(l) || /^sipwright: target file .*:$/.test(l));
  if (i >= 0) return lines.slice(i, i + 6).join(' ').replace(/^sipwright: /, '');
  return code === null ? `the run could not start: ${text}` : text;
}
