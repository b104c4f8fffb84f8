/** Running a suite as a user does (`sipwright run`) and reading its JSON summary; shared by the suite tests. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartedKamailio } from '../../drivers/kamailio/index.js';

export const LONG = 300_000;
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SummaryTest {
  suite: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  failureMessage?: string;
  skipReason?: string;
  target?: string;
  pcap?: string;
  ladderHtml?: string;
}

export const ACCOUNTS = [
  { user: 'alice', password: 'alice-target-secret' },
  { user: 'bob', password: 'bob-target-secret' },
  // A third account, unused by the call suites: a PBX target qualifies its bindings (registrar.qualify).
  { user: 'carol', password: 'carol-target-secret' },
];

export function runSuite(suite: string | string[], dir: string, args: string[]): { code: number | null; out: string; tests: SummaryTest[] } {
  const json = join(dir, 'summary.json');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'run', '--suite', ...(Array.isArray(suite) ? suite : [suite]), '--report', join(dir, 'report'), '--json', json, '--no-allure', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, JEST_WORKER_ID: undefined },
  });
  let tests: SummaryTest[] = [];
  try {
    const summary = JSON.parse(readFileSync(json, 'utf8')) as { tests: SummaryTest[] };
    tests = summary.tests;
  } catch {
    /* no summary: the assertions below show the output */
  }
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, tests };
}

export function statusOf(tests: SummaryTest[], re: RegExp): string[] {
  return tests.filter((t) => re.test(t.name)).map((t) => t.status);
}

/** `extra`: further YAML lines of the target file (e.g. `t1: 100`, a `proxy:` declaration). */
export function writeTarget(dir: string, k: StartedKamailio, name: string, declareMinExpires = true, roles = 'registrar, proxy', extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `address: ${k.hostPort}`,
      'transport: udp',
      `roles: [${roles}]`,
      `domain: ${k.options.domain}`,
      ...(declareMinExpires ? ['registrar: { minExpires: 60 }'] : []),
      ...extra,
      'accounts:',
      ...ACCOUNTS.map((a) => `  - { user: ${a.user}, password: ${a.password} }`),
      '',
    ].join('\n'),
  );
  return file;
}

