/**
 * The registration and PBX suites on Asterisk, through `sipwright run` as a user runs them (their run on the
 * embedded Asterisk is in embedded.test.ts): they pass on an Asterisk described in a target file, and each
 * Asterisk with one defect fails the tests tied to it: an endpoint with no auth, no qualify, an AOR limited to
 * one contact, a dialplan that keeps the caller's leg up after the callee hangs up, and a registrar that raises
 * a too brief expiry while its target file claims 423s. The broken ones run in one run, with only the tests
 * they must fail and a neighbour that must pass. Ctrl-C in an Asterisk run leaves nothing behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../drivers/asterisk/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, expectControl, grep, LONG, notPassed, onTarget, RUN_LIMIT, runSuite, targets, startAll, writeAsteriskTarget } from './support.js';
import { interruptRunWhen, leakedContainers } from '../support/containers.js';

const why = asteriskUnavailable(
  'the Asterisk suite tests',
  process.getuid?.() !== 0 ? 'needs root (capture)' : !['sipp', 'tcpdump'].every((c) => which(c)) ? 'needs sipp and tcpdump' : undefined,
);
/** A fourth account, which the PBX does not qualify: the third party of the call-services tests. */
const SPARE = { user: 'erin', password: 'erin-target-secret' };

const d = why ? describe.skip : describe;

d(`registration and PBX suites on Asterisk through \`sipwright run\` (${why ?? imageTag('asterisk')})`, () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-pbx-'));
    block = claimAddressBlock(202);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  function pbx(): Asterisk {
    return new Asterisk(block.allocateHost())
      .withDomain('pbx.test')
      .withAccounts([...ACCOUNTS.map((x) => (x.user === 'carol' ? { ...x, qualifyFrequency: 2 } : x)), SPARE])
      .withT1(100)
      .withRtpPorts(...rtpRange(block));
  }

  /**
   * A target file for an Asterisk started here; `extra` lines go under registrar:. `services`: it declares park,
   * pickup and that it follows a 3xx (the call-services tests, with erin, a fourth account it does not qualify).
   */
  function target(a: StartedAsterisk, name: string, registrar: string[], services = false): string {
    const features = services ? 'features: { echo: "600", answerHangup: "601", park: "700", pickup: "**" }' : 'features: { echo: "600", answerHangup: "601" }';
    return writeAsteriskTarget(dir, a, name, [features, ...(services ? ['pbx: { followsRedirect: true }'] : []), 'registrar:', ...registrar.map((l) => `  ${l}`)], [...ACCOUNTS, SPARE]);
  }

  const DECLARED = ['minExpires: 60', 'belowMinimum: raise', 'maxContacts: 10', 'qualify: { user: carol, every: 2 }'];

  test('pass on an Asterisk started outside the run and described in a target file', async () => {
    const a = await pbx().start();
    try {
      const r = runSuite(['registration', 'pbx'], join(dir, 'external'), ['--target', target(a, 'my-pbx', DECLARED, true)]);
      // The one test this Asterisk does not run is the 423 one (it raises a too brief expiry), and it says why.
      expect(notPassed(r.tests)).toEqual([expect.stringMatching(/^skipped: too brief an expiry gets 423[^]*raises too brief an expiry to its minimum/)]);
      expect(r.tests.filter((t) => t.suite === 'pbx' && t.status === 'passed').length).toBeGreaterThanOrEqual(10);
      expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(20);
      expect(r.code).toBe(0);
    } finally {
      await a.stop();
    }
  }, RUN_LIMIT);

  /** Passes on every broken PBX: a defect breaks its own tests, not every call. (The echo test wants a challenge.) */
  const NEIGHBOUR = /answer then hang up: the PBX answers, then ends the call/;
  // Each row: the broken PBX (none: the good one, under a target file that claims what it does not do), the
  // registrar lines of its target file, and the tests it must fail.
  const controls: Array<[string, ((a: Asterisk) => Asterisk) | undefined, string[], RegExp[]]> = [
    ['endpoint-without-auth', (a) => a.withAccounts(ACCOUNTS.map((x) => ({ ...x, auth: false }))), DECLARED, [/digest challenge/, /alice is challenged/]],
    ['qualify-off', (a) => a.withAccounts(ACCOUNTS), DECLARED, [/qualify: the PBX checks a binding/]],
    ['max-contacts-1', (a) => a.withRegistrar({ maxContacts: 1 }), DECLARED, [/several simultaneous contacts/, /an AOR holds up to its max contacts/]],
    ['bye-not-propagated', (a) => a.withDial({ options: 'g', after: ['Wait(30)', 'Hangup()'] }), DECLARED, [/bob hangs up: the PBX ends alice's leg/]],
    ['423-claimed', undefined, ['minExpires: 60'], [/too brief an expiry gets 423/]],
  ];

  test(`fail on each broken PBX (${controls.map(([name]) => name).join(', ')}), in one run, naming the tests for its defect`, async () => {
    const [good, ...broken] = await startAll([pbx().start(), ...controls.flatMap(([, defect]) => (defect ? [defect(pbx()).start()] : []))]);
    try {
      const queue = [...broken];
      const started = controls.map(([, defect]) => (defect ? queue.shift()! : good));
      const files = controls.map(([name, , registrar], i) => target(started[i], `broken-${name}`, registrar));
      const r = runSuite(['registration', 'pbx'], join(dir, 'broken'), [...targets(files), ...grep([...controls.flatMap(([, , , failing]) => failing), NEIGHBOUR])]);
      expect(r.code).toBe(1);
      for (const [name, , , failing] of controls) expectControl(r.tests, `broken-${name}`, failing, NEIGHBOUR);
      // The verdict names the rule and says how to declare the behaviour, rather than "expected defined".
      expect(onTarget(r.tests, 'broken-423-claimed').find((t) => /too brief an expiry gets 423/.test(t.name))?.failureMessage).toMatch(/RFC 3261 §10\.3 step 7[^]*registrar\.belowMinimum: raise/);
    } finally {
      await Promise.all([good, ...broken].map((a) => a.stop()));
    }
  }, RUN_LIMIT);

  test('Ctrl-C in the middle of an Asterisk run leaves no container, SIPp or tcpdump behind', async () => {
    const r = await interruptRunWhen(['--target', 'embedded:asterisk', '--suite', 'pbx', '--report', join(dir, 'ctrl-c'), '--no-allure'], (c) => c.includes('asterisk@'), 'Asterisk container');
    expect(r.up).toBe('up');
    expect(r.code).not.toBe(0);
    expect(leakedContainers()).toEqual([]);
    expect(r.orphans).toEqual([]);
  }, LONG);
});
