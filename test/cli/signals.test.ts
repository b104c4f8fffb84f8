/**
 * `sipwright run` stopped by a signal, as `timeout`, a cancelled CI job, `docker stop` or a closed terminal stop
 * it: SIGTERM, SIGINT or SIGHUP, to the run's process group or to its main process alone. Each case is a real run
 * on the embedded Kamailio of a quick test and a long one (the proxy waiting out a Timer B) from the same file,
 * signalled while the long one has its endpoints and its capture up. Afterwards nothing the run started may be
 * left, the report must list the quick test with its verdict, and the run must have died of the signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelledContainers } from '../../src/runtime/container.js';
import { isAlive, liveEntries, processStartTime, type RegistryEntry } from '../../src/runtime/process-registry.js';
import { until } from '../support/poll.js';
import { descends, processesUnder } from '../support/processes.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'sipwright.js');
const QUICK = 'the highest-q contact is tried first';
const LONG = 'a highest-q contact that never answers';
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
type Sig = (typeof SIGNALS)[number];

interface Run {
  child: ChildProcess;
  dir: string;
  report: string;
  output: () => string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `workers`: jest's workers as child processes, each owning its endpoints (else jest runs the tests in its own process). */
function startRun(allure: boolean, workers?: number): Run {
  const dir = mkdtempSync(join(tmpdir(), 'sipwright-signals-'));
  const report = join(dir, 'report');
  // detached: a process group of its own, as a shell gives a command it starts (and `setsid` a CI job).
  const child = spawn(process.execPath, [BIN, 'run', '--suite', 'forking', '--target', 'embedded:kamailio', '--grep', `${QUICK}|${LONG}`, '--report', report, ...(allure ? [] : ['--no-allure']), ...(workers ? ['--workers', String(workers)] : [])], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JEST_WORKER_ID: undefined },
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) => child.on('exit', (code, signal) => done({ code, signal, at: Date.now() })));
  return { child, dir, report, output: () => text, ended };
}

/** The promise's value, or undefined once `ms` have passed (the timer does not outlive it: jest would wait for it). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The registry's live endpoints that belong to this run (another run may share the machine). */
function entriesOf(root: number): RegistryEntry[] {
  return liveEntries().filter((e) => descends(e.owner, root));
}

interface Endpoints {
  entries: RegistryEntry[];
  /** Every process of the run at the moment of the signal, endpoints and jest alike, with its start time (pids get reused). */
  pids: Map<number, string>;
}

/** Waits until the long test's capture, its SIPps and the Kamailio all run: the moment a user would hit Ctrl-C. */
async function longTestUp(run: Run): Promise<Endpoints> {
  const pid = run.child.pid!;
  const ready = (es: RegistryEntry[]) =>
    es.some((e) => e.name.startsWith('kamailio@')) && es.some((e) => e.name.startsWith('sipp ')) && es.some((e) => e.name.startsWith('capture of') && e.name.includes(LONG));
  const entries = await until(() => entriesOf(pid), ready, 90_000, 100);
  if (!ready(entries)) throw new Error(`the long test never had its endpoints up; registry: ${entries.map((e) => e.name).join(', ')}\nrun output:\n${run.output()}`);
  const pids = new Map([...processesUnder(pid), ...entries.map((e) => e.pgid)].map((p) => [p, processStartTime(p)]));
  return { entries, pids };
}

/** Processes left that the run started (zombies are dead: on this kind of machine nobody reaps orphans). */
function leftovers(run: Run, up: Endpoints): string[] {
  const left: string[] = [];
  for (const [pid, start] of up.pids) if (isAlive(pid, start)) left.push(`pid ${pid} (${cmdline(pid)})`);
  // Started after the snapshot: its command line names the run's report folder (SIPp's files, tcpdump's pcap).
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || !isAlive(Number(n))) continue;
    const c = cmdline(Number(n));
    if (c.includes(run.report) && /kamailio|sipp|tcpdump/.test(c)) left.push(`pid ${n} (${c})`);
  }
  const pgids = new Set(up.entries.map((e) => e.pgid));
  for (const e of liveEntries()) if (pgids.has(e.pgid)) left.push(`registry entry ${e.name}`);
  const ours = new Set(up.pids.keys());
  for (const c of labelledContainers()) if (ours.has(Number(c.run.split(':')[0]))) left.push(`container ${c.name || c.id}`);
  return [...new Set(left)];
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

interface SummaryTest {
  name: string;
  status: string;
}

/** The verdict allure-jest wrote in the worker as the test finished: a record jest's parent had no part in. */
function allureVerdict(report: string, name: string): string | undefined {
  const dir = join(report, 'allure-results');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('-result.json'))) {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name?: string; status?: string };
    if (r.name?.startsWith(name)) return r.status === 'passed' ? 'passed' : r.status === 'skipped' ? 'skipped' : 'failed';
  }
  return undefined;
}

function checkReport(run: Run, signal: Sig): void {
  const summaryFile = join(run.report, 'summary.json');
  expect({ summary: existsSync(summaryFile), junit: existsSync(join(run.report, 'junit.xml')) }).toEqual({ summary: true, junit: true });
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { success: boolean; tests: SummaryTest[]; interrupted?: { signal?: string; unfinished: Array<{ fullName: string }> } };
  const quick = summary.tests.find((t) => t.name.startsWith(QUICK));
  const verdict = allureVerdict(run.report, QUICK);
  expect(verdict).toBeDefined();
  expect({ quick: quick?.status }).toEqual({ quick: verdict });
  // Cut short, it has no verdict: never listed as passed, and named as unfinished.
  expect(summary.tests.filter((t) => t.name.startsWith(LONG))).toEqual([]);
  expect(summary.interrupted?.signal).toBe(signal);
  expect(summary.interrupted?.unfinished.map((u) => u.fullName).join('\n')).toContain(LONG);
  expect(summary.success).toBe(false);
  const junit = readFileSync(join(run.report, 'junit.xml'), 'utf8');
  expect(junit).toContain(`name="${QUICK}`);
  expect(junit.trimEnd().endsWith('</testsuites>')).toBe(true);
}

type Target = 'process group' | 'main process';

function send(run: Run, to: Target, signal: Sig): void {
  process.kill(to === 'process group' ? -run.child.pid! : run.child.pid!, signal);
}

/** Starts a run, waits for the long test to be up, hands it to `body`, and leaves nothing of it whatever happens. */
async function withRun(allure: boolean, workers: number | undefined, body: (run: Run, up: Endpoints) => Promise<void>): Promise<void> {
  const run = startRun(allure, workers);
  try {
    await body(run, await longTestUp(run));
  } catch (e) {
    (e as Error).message += `\nrun output:\n${run.output()}`;
    throw e;
  } finally {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      /* ended */
    }
    rmSync(run.dir, { recursive: true, force: true });
  }
}

async function ended(run: Run, what: string) {
  const end = await within(run.ended, 60_000);
  if (!end) throw new Error(`the run did not end within 60 s of ${what}`);
  return end;
}

// Each signal both ways, and the two shapes of a run: tests in jest's own process, and in worker processes.
const CASES = SIGNALS.flatMap((signal) => [
  { signal, to: 'process group' as const, workers: undefined, how: '' },
  { signal, to: 'main process' as const, workers: 2, how: ' (jest with 2 workers)' },
]);

describe('sipwright run stopped by a signal leaves nothing and reports the tests that finished', () => {
  test.each(CASES)('$signal to the $to$how', async ({ signal, to, workers }) => {
    // One case with the Allure report: the user's case (SIGTERM to the group); the others skip Java's seconds.
    const allure = signal === 'SIGTERM' && to === 'process group';
    await withRun(allure, workers, async (run, up) => {
      send(run, to, signal);
      const end = await ended(run, signal);
      // Died of the signal: a shell shows 128 + n ($? = 143 for SIGTERM), and `timeout` knows it was its doing.
      expect({ signal: end.signal, code: end.code }).toEqual({ signal, code: null });
      expect(leftovers(run, up)).toEqual([]);
      checkReport(run, signal);
      if (allure) expect(existsSync(join(run.report, 'allure-report', 'index.html'))).toBe(true);
    });
  }, 150_000);

  test('a second SIGINT (Ctrl-C twice) ends the run at once, still leaving nothing and a summary', async () => {
    await withRun(true, undefined, async (run, up) => {
      const first = Date.now();
      send(run, 'process group', 'SIGINT');
      await new Promise((r) => setTimeout(r, 100));
      send(run, 'process group', 'SIGINT');
      const end = await ended(run, 'two SIGINTs');
      // The first alone waits a second for late containers and generates the Allure report (several seconds).
      const took = end.at - first;
      expect({ signal: end.signal, fast: took < 3000, took }).toEqual({ signal: 'SIGINT', fast: true, took });
      expect(leftovers(run, up)).toEqual([]);
      checkReport(run, 'SIGINT');
    });
  }, 150_000);
});
