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
/** A whole run of every suite on the embedded lab, or of a suite on many targets one after the other. */
export const RUN_LIMIT = 420_000;
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
  /** describe titles and title: the target, the describeLab title and the test's own. */
  fullName?: string;
  /** The test's own time on the wall (a background test's whole wait). */
  elapsedMs?: number;
}

export const ACCOUNTS = [
  { user: 'alice', password: 'alice-target-secret' },
  { user: 'bob', password: 'bob-target-secret' },
  // A third account, unused by the call suites: a PBX target qualifies its bindings (registrar.qualify).
  { user: 'carol', password: 'carol-target-secret' },
];

/** `sipwright run` of these suites (none: every suite) with `args`, and its JSON summary. */
export function runSuite(suite: string | string[], dir: string, args: string[]): { code: number | null; out: string; tests: SummaryTest[] } {
  const json = join(dir, 'summary.json');
  const suites = Array.isArray(suite) ? suite : [suite];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'run', ...(suites.length ? ['--suite', ...suites] : []), '--report', join(dir, 'report'), '--json', json, '--no-allure', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: RUN_LIMIT,
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

/** The tests a target ran (the summary names each test's target). */
export function onTarget(tests: SummaryTest[], target: string): SummaryTest[] {
  return tests.filter((t) => t.target === target);
}

/** `--target` for each file: one run, one after the other (a run with target files runs one worker). */
export function targets(files: string[]): string[] {
  return files.flatMap((f) => ['--target', f]);
}

/** `--grep` for the tests any of these name: a control runs the tests it must fail and a neighbour that must pass. */
export function grep(res: RegExp[]): string[] {
  // The patterns are written for a test's title; --grep matches its full name (target, block, title).
  return ['--grep', res.map((r) => `(?:${r.source.replace(/^\^/, '')})`).join('|')];
}

/**
 * What a broken target must show in a run with others: the tests of `failing` failed (each pattern names at
 * least one test, and none of its tests passed), and the `neighbour` passed.
 */
export function expectControl(tests: SummaryTest[], target: string, failing: RegExp[], neighbour: RegExp): void {
  const mine = onTarget(tests, target);
  for (const re of failing) {
    const statuses = statusOf(mine, re);
    expect({ target, test: re.source, failed: statuses.length > 0 && statuses.every((s) => s === 'failed') ? 'yes' : statuses.join(',') || 'no such test' }).toEqual({ target, test: re.source, failed: 'yes' });
  }
  expect({ target, neighbour: neighbour.source, status: statusOf(mine, neighbour) }).toEqual({ target, neighbour: neighbour.source, status: ['passed'] });
}

/**
 * A target file for an Asterisk started in a project test (domain pbx.test, T1 100 ms): `lines` are its further
 * YAML lines (features, declarations), `accounts` its accounts (default ACCOUNTS).
 */
export function writeAsteriskTarget(dir: string, a: { hostPort: string }, name: string, lines: string[], accounts: ReadonlyArray<{ user: string; password: string }> = ACCOUNTS): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `address: ${a.hostPort}`,
      'roles: [registrar, pbx]',
      'domain: pbx.test',
      't1: 100',
      ...lines,
      'accounts:',
      ...accounts.map((x) => `  - { user: ${x.user}, password: ${x.password} }`),
      '',
    ].join('\n'),
  );
  return file;
}

/** `extra`: further YAML lines of the target file (e.g. `t1: 100`, a `proxy:` declaration). */
export function writeTarget(dir: string, k: { hostPort: string; options: { domain: string } }, name: string, declareMinExpires = true, roles = 'registrar, proxy', extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `address: ${k.hostPort}`,
      // udp unless `extra` says otherwise (transport: tls).
      ...(extra.some((l) => l.startsWith('transport:')) ? [] : ['transport: udp']),
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


/** Starts these targets together; if one fails to start, stops the others before the error goes up. */
export async function startAll<T extends { stop(): Promise<unknown> }>(starts: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  await Promise.allSettled(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])));
  throw failed.reason;
}
