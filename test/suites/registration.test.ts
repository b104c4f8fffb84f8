/**
 * The registration suite, run as a user runs it (`sipwright run`), against a Kamailio started here and
 * described in a target file, and against each broken registrar (the good config with one named defect on:
 * drivers/kamailio/defects.ts), all of them in one run that runs only the tests they must fail and a neighbour
 * that must still pass: the suite passes on the good one and fails on each broken one, naming the test that
 * relates to the defect. Its run on the embedded lab is in embedded.test.ts; Ctrl-C is in test/cli/signals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { ACCOUNTS, expectControl, grep, LONG, onTarget, RUN_LIMIT, runSuite, targets, writeTarget, startAll } from './support.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

d('registration suite through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-reg-'));
    block = claimAddressBlock(200);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startRegistrar(defect?: string): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100);
    if (defect) k.withDefects(kamailioDefect(defect));
    return k.start();
  }

  test('passes on a Kamailio started outside the run and described in a target file', async () => {
    const k = await startRegistrar();
    try {
      const r = runSuite('registration', join(dir, 'external'), ['--target', writeTarget(dir, k, 'my-registrar')]);
      expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.name}`)).toEqual([expect.stringMatching(/^skipped: too brief an expiry is raised/)]);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'external', 'summary.json'), 'utf8')).not.toContain('alice-target-secret');
    } finally {
      await k.stop();
    }
  }, LONG);

  /** Runs on a broken registrar and must pass there: a defect breaks its own tests, not registration itself. */
  const NEIGHBOUR = /Contact: \* with a non-zero Expires is rejected with 400/;
  // Each row: the defect, the tests it must fail, and its neighbour. A registrar that answers every REGISTER
  // 200 itself (ok-without-bindings) answers Contact: * 200 too, so its neighbour is the authentication test.
  const controls: Array<[string, RegExp[], RegExp]> = [
    ['no-auth-challenge', [/^digest challenge/], NEIGHBOUR],
    ['wrong-password-accepted', [/wrong password or an unknown user/], NEIGHBOUR],
    ['contacts-dropped', [/lists every current binding/], NEIGHBOUR],
    ['deregistration-ignored', [/expires=0 removes that one contact/, /Contact: \* with Expires: 0 removes/], NEIGHBOUR],
    ['ok-without-bindings', [/the 200 lists every current binding/], /wrong password or an unknown user/],
  ];
  const BRIEF = /too brief an expiry gets 423/;

  test('fails on each broken registrar, in one run, naming the tests for its defect', async () => {
    const started = await startAll(controls.map(([defect]) => startRegistrar(defect)));
    try {
      // One control also declares no minimum expiry: the 423 test must then be skipped, with the reason.
      const files = controls.map(([defect], i) => writeTarget(dir, started[i], `broken-${defect}`, defect !== 'no-auth-challenge'));
      const r = runSuite('registration', join(dir, 'broken'), [...targets(files), ...grep([...controls.flatMap(([, failing, neighbour]) => [...failing, neighbour]), BRIEF])]);
      expect(r.code).toBe(1);
      for (const [defect, failing, neighbour] of controls) expectControl(r.tests, `broken-${defect}`, failing, neighbour);
      expect(onTarget(r.tests, 'broken-no-auth-challenge').find((t) => BRIEF.test(t.name))).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no minimum expiry/) });
    } finally {
      await Promise.all(started.map((k) => k.stop()));
    }
  }, RUN_LIMIT);

  test('an unreachable target fails in seconds and says so', () => {
    const file = join(dir, 'nobody.yaml');
    writeFileSync(file, `name: nobody-home\naddress: ${block.host(253)}:5060\nroles: [registrar]\naccounts: [{ user: a, password: b }]\n`);
    const t0 = Date.now();
    const r = runSuite('registration', join(dir, 'nobody'), ['--target', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/target nobody-home at 127\.100\.200\.253:5060 \(udp\) is unreachable/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, LONG);

  test('a target file with a wrong field is a usage error naming the field', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: x\naddress: 127.0.0.1:99999\nroles: [registrar, gateway]\nacounts: []\n');
    const r = runSuite('registration', join(dir, 'bad'), ['--target', file]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/address: port 99999 is outside 1\.\.65535/);
    expect(r.out).toMatch(/roles\[1\]/);
    expect(r.out).toMatch(/unknown field "acounts"/);
  }, LONG);
});
