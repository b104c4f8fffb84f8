/** Running a suite as a user does (`sipwright run`) and reading its JSON summary; shared by the suite tests. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartedKamailio } from '../../drivers/kamailio/index.js';
import { dockerStatus } from '../../src/env/docker.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';

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

/** Every test that did not pass, with its failure or skip reason: an assertion message that says why. */
export function notPassed(tests: SummaryTest[]): string[] {
  return tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.name}\n${t.failureMessage ?? t.skipReason ?? ''}`);
}

/**
 * Why `what` (tests on the embedded Asterisk) can't run here: `prerequisite` when the caller has one, else no
 * docker daemon or no image; undefined when they can. CI builds the image and starts dockerd first
 * (scripts/test.sh): there, a reason is an error, because a skip would hide a broken set-up.
 */
export function asteriskUnavailable(what: string, prerequisite?: string): string | undefined {
  const why = prerequisite ?? (!dockerStatus().serverVersion
    ? 'no docker daemon answers'
    : !imageExists(imageTag('asterisk'))
      ? `image ${imageTag('asterisk')} is missing (sipwright images build)`
      : undefined);
  if (why && process.env.CI) throw new Error(`${what} can't run in CI: ${why}`);
  return why;
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

