/**
 * How long a full run of the suites takes against the time it cannot go below.
 *   npm run bench -- suites [--workers 3] [--workers 2,3,4] [--runs N] [--suite NAME…] [--keep DIR]
 * Runs `sipwright run` on the embedded lab (every suite, every embedded target, no Allure) and prints the wall
 * time, the number of tests, the longest single test (its own time on the wall: a background test counts its
 * whole wait) and the ratio of the two. The longest test is the floor: no schedule finishes before it, and the
 * session timers wait out RFC 4028's intervals. The goal is a ratio ≤ 1.3. With several worker counts, each
 * is run in turn, so the default can be chosen on figures. `--runs N` repeats each N times (flakiness: every run
 * must pass), and each failed test is named with the first lines of its failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface SummaryTest {
  suite: string;
  name: string;
  target?: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  elapsedMs?: number;
  failureMessage?: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const values = (name: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) if (args[i] === name && args[i + 1] && !args[i + 1].startsWith('--')) out.push(args[i + 1]);
  return out;
};
const workerCounts = values('--workers').flatMap((v) => v.split(',')).filter(Boolean);
for (const w of workerCounts) {
  if (!/^[1-9][0-9]*$/.test(w)) {
    console.error(`bench: --workers takes whole numbers (e.g. 3 or 2,3,4), got "${w}"`);
    process.exit(2);
  }
}
const suites = (() => {
  const i = args.indexOf('--suite');
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i + 1; j < args.length && !args[j].startsWith('--'); j++) out.push(args[j]);
  return out;
})();
const keep = values('--keep')[0];
const runsArg = values('--runs')[0] ?? '1';
if (!/^[1-9][0-9]*$/.test(runsArg)) {
  console.error(`bench: --runs takes a whole number, got "${runsArg}"`);
  process.exit(2);
}
const runs = Number(runsArg);

function run(workers: string | undefined, reportDir: string): Promise<{ seconds: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const argv = [join(root, 'bin', 'sipwright.js'), 'run', '--no-allure', '--report', reportDir, ...(workers ? ['--workers', workers] : []), ...(suites.length ? ['--suite', ...suites] : [])];
    const t0 = process.hrtime.bigint();
    // The run's own lines go to stderr: the bench's figures are the only stdout.
    const p = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
    p.on('error', reject);
    p.on('close', (code) => resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, code }));
  });
}

const fmt = (s: number) => `${s.toFixed(1)} s`;

const schedule = (workerCounts.length ? workerCounts : [undefined]).flatMap((w) => Array.from({ length: runs }, (_, i) => ({ workers: w, run: i + 1 })));
for (const { workers, run: n } of schedule) {
  const dir = keep ? join(keep, `workers-${workers ?? 'default'}-run-${n}`) : mkdtempSync(join(tmpdir(), 'sipwright-bench-suites-'));
  try {
    const { seconds, code } = await run(workers, dir);
    let tests: SummaryTest[];
    try {
      tests = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { tests: SummaryTest[] }).tests;
    } catch (e) {
      console.error(`bench: the run (exit ${code}) wrote no summary: ${(e as Error).message}`);
      process.exit(1);
    }
    const ran = tests.filter((t) => t.status !== 'skipped');
    const count = (s: SummaryTest['status']) => tests.filter((t) => t.status === s).length;
    const own = (t: SummaryTest) => t.elapsedMs ?? t.durationMs;
    const longest = [...ran].sort((a, b) => own(b) - own(a))[0];
    const floor = longest ? own(longest) / 1000 : 0;
    console.log(`suites (${workers ? `${workers} workers` : "sipwright run's default workers"}${runs > 1 ? `, run ${n} of ${runs}` : ''}): ${tests.length} tests (${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped) in ${fmt(seconds)} on the wall`);
    if (longest) console.log(`longest test: ${fmt(floor)} (${longest.suite} › ${longest.target ?? ''} ${longest.name})`);
    console.log(`wall / longest test = ${floor > 0 ? (seconds / floor).toFixed(2) : 'n/a'} (goal ≤ 1.3)`);
    for (const t of tests.filter((x) => x.status === 'failed')) {
      console.log(`  failed: ${t.target ?? ''} ${t.suite} › ${t.name}\n    ${(t.failureMessage ?? '').split('\n').slice(0, 3).join('\n    ')}`);
    }
    if (count('failed') > 0) process.exitCode = 1;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
