/**
 * The files in examples/ are what a user copies: they must say what the code does today. The compose lab's
 * kamailio.cfg is the embedded lab's config rendered for it (it drifted once, when the embedded config changed
 * and the copy did not), its target file loads, and the CI matrix runs and merges the shards it says it does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Kamailio, renderKamailioConfig } from '../../drivers/kamailio/index.js';
import { embeddedNumbers, loadTargetFile } from '../../src/lab/target.js';
import { ROOT } from '../suites/support.js';

const EXAMPLES = join(ROOT, 'examples');

/**
 * examples/kamailio.cfg: the config rendered for the compose lab's domain and accounts, its address taken from
 * the environment (SIP_ADDRESS, a Kamailio #!defenv). It listened on 0.0.0.0 once, and then record-routed as
 * `<sip:0.0.0.0;lr>`, an address nobody can send to: found by running the suites against it.
 */
function exampleKamailioConfig(): string {
  const accounts = ['alice', 'bob', 'carol'].map((user) => ({ user, password: `${user}-secret` }));
  const o = new Kamailio('SIP_ADDRESS').withDomain('lab.test').withAccounts(accounts).withNumbers(embeddedNumbers({ accounts })).options;
  return renderKamailioConfig(o, { ctlSocket: '/run/kamailio/kamailio_ctl' })
    .replace(/^listen=/m, '#!defenv SIP_ADDRESS\nlisten=')
    .replace('alias="SIP_ADDRESS:5060"', 'alias=SIP_ADDRESS:5060');
}

/** The rendered config's first comment line, and the example's two in its place. */
const RENDERED_HEADER = /^# Rendered by sipwright[^\n]*\n/m;
const EXAMPLE_HEADER = /^# The embedded lab's registrar and proxy[^\n]*\n# [^\n]*\n/m;

// After a change to the embedded config: SIPWRIGHT_UPDATE_EXAMPLES=1 npm run test:jest -- test/examples rewrites it.
test('examples/kamailio.cfg is the embedded config rendered for the compose lab, its header aside', () => {
  const file = join(EXAMPLES, 'kamailio.cfg');
  const example = readFileSync(file, 'utf8');
  expect(example).toMatch(EXAMPLE_HEADER);
  if (process.env.SIPWRIGHT_UPDATE_EXAMPLES) writeFileSync(file, exampleKamailioConfig().replace(RENDERED_HEADER, example.match(EXAMPLE_HEADER)![0]));
  expect(readFileSync(file, 'utf8').replace(EXAMPLE_HEADER, '')).toBe(exampleKamailioConfig().replace(RENDERED_HEADER, ''));
});

test('the compose lab mounts that config, and its target file loads with the accounts the config holds', () => {
  const compose = parse(readFileSync(join(EXAMPLES, 'compose.yaml'), 'utf8')) as { services: Record<string, { command: string[]; volumes: string[]; network_mode: string }> };
  const k = compose.services.kamailio;
  expect(k.network_mode).toBe('host');
  expect(k.volumes).toContain('./kamailio.cfg:/etc/kamailio/kamailio.cfg:ro');
  expect((k as unknown as { environment: Record<string, string> }).environment.SIP_ADDRESS).toMatch(/SIP_ADDRESS/);
  expect(k.command.join(' ')).toMatch(/^kamailio .*-f \/etc\/kamailio\/kamailio\.cfg/);
  const plan = loadTargetFile(join(EXAMPLES, 'compose-target.yaml'));
  expect(plan.domain).toBe('lab.test');
  expect(plan.roles).toEqual(['registrar', 'proxy']);
  expect(plan.accounts.map((a) => `${a.user}:${a.password}`)).toEqual(['alice:alice-secret', 'bob:bob-secret', 'carol:carol-secret']);
  // The dial plan the config renders, declared for the routing suite.
  expect(plan.numbers).toEqual(embeddedNumbers({ accounts: plan.accounts }));
});

test('the GitHub Actions matrix runs each shard of N and merges the parts it uploads', () => {
  const wf = parse(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, { strategy?: { matrix: { shard: number[] } }; needs?: string; steps: Array<{ run?: string }> }> };
  const shards = wf.jobs.suites.strategy!.matrix.shard;
  const run = wf.jobs.suites.steps.find((s) => s.run?.includes('sipwright run'))!.run!;
  expect(run).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
  expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => i + 1));
  expect(wf.jobs.merge.needs).toBe('suites');
  expect(wf.jobs.merge.steps.some((s) => /sipwright report merge parts\/part-\* --out merged/.test(s.run ?? ''))).toBe(true);
  // The verdict: the merged summary's, so a failed test in any part fails the workflow.
  expect(wf.jobs.merge.steps.some((s) => /require\('\.\/merged\/summary\.json'\)\.success\) process\.exit\(1\)/.test(s.run ?? ''))).toBe(true);
});
