/**
 * Targets belong to the jest worker (src/lab/worker-store.ts, jest-environment.ts): two test files of two
 * describeLab blocks each, run through jest with the suites config, start one embedded Kamailio per worker,
 * not one per block; and once jest is done, in band or with worker processes, no Kamailio of the run is left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareReportDir } from '../../src/report/report-dir.js';
import { suitesJestConfig } from '../../src/report/jest-suites-config.js';
import type { RunSummary } from '../../src/report/summary.js';
import { which } from '../../src/runtime/native.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

interface Note {
  block: string;
  worker: string;
  pid: number;
  target: string;
  startedAt: number;
}

function run(workers: number, report: string): Promise<{ code: number | null; out: string; ms: number }> {
  prepareReportDir(report);
  // prepareReportDir keeps what it does not know: the notes of an earlier run would count as this one's.
  rmSync(join(report, 'targets.jsonl'), { force: true });
  const config = { ...suitesJestConfig({ rootDir: ROOT, reportDir: report, suitesDir: 'test/lab/fixture-suites', suites: ['worker'], testFileGlob: '**/*.fixture.ts', testTimeout: 30_000 }), maxWorkers: workers };
  const env: NodeJS.ProcessEnv = { ...process.env, SIPWRIGHT_REPORT_DIR: report, SIPWRIGHT_TARGETS: JSON.stringify(['embedded:kamailio']), NO_COLOR: '1' };
  delete env.JEST_WORKER_ID;
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', '--config', JSON.stringify(config)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, ms: Date.now() - started }));
  });
}

function notes(report: string): Note[] {
  const file = join(report, 'targets.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Note) : [];
}

/** Kamailio processes still bound to one of these host:port addresses. */
function kamailiosOn(targets: string[]): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => /kamailio/.test(l) && targets.some((t) => l.includes(`udp:${t}`)));
}

d('targets per worker', () => {
  for (const workers of [2, 1]) {
    test(`${workers === 1 ? 'in band' : `${workers} worker processes`}: one Kamailio per worker serves all its files and blocks, and none is left when jest is done`, async () => {
      const report = join(ROOT, 'reports', `worker-targets-${workers}`);
      const r = await run(workers, report);
      expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
      const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8')) as RunSummary;
      expect(summary.tests.map((t) => t.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
      const seen = notes(report);
      expect(seen).toHaveLength(4);
      const byWorker = new Map<string, Note[]>();
      for (const n of seen) byWorker.set(`${n.pid}`, [...(byWorker.get(`${n.pid}`) ?? []), n]);
      if (workers === 1) expect(byWorker.size).toBe(1);
      for (const [pid, list] of byWorker) {
        // One start and one address for every block this worker ran, in whichever file.
        expect({ pid, starts: new Set(list.map((n) => `${n.target} @${n.startedAt}`)).size }).toEqual({ pid, starts: 1 });
      }
      if (byWorker.size > 1) {
        // Each worker has its own target, on its own address block.
        expect(new Set(seen.map((n) => n.target)).size).toBe(byWorker.size);
      }
      expect(kamailiosOn([...new Set(seen.map((n) => n.target))])).toEqual([]);
      // jest ended on its own, without leaving workers to be killed (which it would report).
      expect(r.out).not.toMatch(/failed to exit gracefully|did not exit one second/);
    }, 120_000);
  }
});
