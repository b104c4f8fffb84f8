/**
 * The registration suite, run as a user runs it (`sipwright run`), against the embedded lab, against a
 * Kamailio started here and described in a target file, and against each broken registrar (the good config with
 * one named defect on: drivers/kamailio/defects.ts): the suite must pass on the good ones and fail on each
 * broken one, naming the test that relates to the defect.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { ACCOUNTS, LONG, ROOT, runSuite, statusOf, writeTarget } from './support.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { isAlive, liveEntries } from '../../src/runtime/process-registry.js';
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

  test('passes on every embedded target (Kamailio and Asterisk), with a pcap and a ladder per test, and leaves no process behind', () => {
    const r = runSuite('registration', join(dir, 'embedded'), []);
    expect(r.tests.length).toBeGreaterThanOrEqual(20);
    // Each registrar skips the one test for the other way of treating a too brief expiry, saying so.
    expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.target}: ${t.name}\n${t.failureMessage ?? t.skipReason ?? ''}`).sort()).toEqual([
      expect.stringMatching(/^skipped: embedded:asterisk: too brief an expiry gets 423/),
      expect.stringMatching(/^skipped: embedded:kamailio: too brief an expiry is raised/),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^embedded:kamailio: 11 passed, 0 failed, 1 skipped$/m);
    expect(r.out).toMatch(/^embedded:asterisk: 11 passed, 0 failed, 1 skipped$/m);
    for (const t of r.tests.filter((x) => x.status === 'passed')) {
      expect(t.pcap).toBeTruthy();
      expect(t.ladderHtml).toBeTruthy();
    }
    expect(r.out).not.toContain('alice-lab-secret');
    // A leak is a process group still alive whose owner (a jest worker of that run) is gone.
    expect(liveEntries().filter((e) => !isAlive(e.owner, e.ownerStart)).map((e) => e.name)).toEqual([]);
  }, LONG);

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

  const controls: Array<[string, RegExp]> = [
    ['no-auth-challenge', /^.*digest challenge/],
    ['wrong-password-accepted', /wrong password or an unknown user/],
    ['contacts-dropped', /lists every current binding/],
    ['deregistration-ignored', /expires=0 removes that one contact|Contact: \* with Expires: 0 removes/],
    ['ok-without-bindings', /the 200 lists every current binding/],
  ];
  test.each(controls)('fails on the broken registrar %s, naming the test for the defect', async (defect, failing) => {
    const k = await startRegistrar(defect);
    try {
      // One control also declares no minimum expiry: the 423 test must then be skipped, with the reason.
      const declare = defect !== 'no-auth-challenge';
      const r = runSuite('registration', join(dir, defect), ['--target', writeTarget(dir, k, `broken-${defect}`, declare)]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, failing)).toContain('failed');
      if (!declare) {
        const brief = r.tests.find((t) => /too brief an expiry/.test(t.name));
        expect(brief).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no minimum expiry/) });
      }
    } finally {
      await k.stop();
    }
  }, LONG);

  test('Ctrl-C in the middle of a run leaves no Kamailio, SIPp or tcpdump behind', async () => {
    // Like a terminal: SIGINT to the whole process group of the run, once the first test has finished.
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'run', '--suite', 'registration', '--report', join(dir, 'ctrl-c'), '--no-allure'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JEST_WORKER_ID: undefined },
    });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no test finished within 60 s:\n${out}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/^[✓✗] /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    expect(code).not.toBe(0);
    // Left behind = orphaned (parent gone, adopted by init) lab processes; other tests' live ones have parents.
    const leaked = spawnSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => /^\s*1\s/.test(l) && /kamailio|sipp|tcpdump/.test(l) && l.includes('127.100.'));
    expect(leaked).toEqual([]);
    expect(liveEntries().filter((e) => !isAlive(e.owner, e.ownerStart)).map((e) => e.name)).toEqual([]);
  }, LONG);

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
