/**
 * Runs stand-in suites (`*.fixture.ts` under a fixture-suites folder) through jest with the suites' own config,
 * as `sipwright run` would, in a child: the lab tests read what it wrote (summary, JUnit, Allure) afterwards.
 */
import { spawn } from 'node:child_process';
import { prepareReportDir } from '../../src/report/report-dir.js';
import { suitesJestConfig } from '../../src/report/jest-suites-config.js';

export interface FixtureJestRun {
  root: string;
  report: string;
  /** Relative to root, e.g. test/lab/fixture-suites. */
  suitesDir: string;
  suites: string[];
  testTimeout: number;
  /** Added to this process's environment (SIPWRIGHT_TARGETS, …). */
  env: NodeJS.ProcessEnv;
}

export function runFixtureJest(o: FixtureJestRun): Promise<{ code: number | null; out: string }> {
  prepareReportDir(o.report);
  const config = suitesJestConfig({ rootDir: o.root, reportDir: o.report, suitesDir: o.suitesDir, suites: o.suites, testFileGlob: '**/*.fixture.ts', testTimeout: o.testTimeout });
  const env: NodeJS.ProcessEnv = { ...process.env, SIPWRIGHT_REPORT_DIR: o.report, NO_COLOR: '1', ...o.env };
  // Its workers are jest's own, not this test's.
  delete env.JEST_WORKER_ID;
  const args = ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', '--config', JSON.stringify(config)];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });
}
