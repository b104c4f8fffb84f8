/**
 * The Asterisk driver's registrar on a real Asterisk 22 (container): digest challenge, bindings read back with
 * contacts(), a wrong password, an account without auth, the contact limit with and without remove_existing.
 * SIPp registers natively; the wire (when it can be captured) and Asterisk's own state are the evidence.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountDigests, Asterisk, READY_LINE, type StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { Sipp, type SippResult } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { EnvironmentError, which } from '../../../src/runtime/native.js';
import type { Trace } from '../../../src/trace/trace.js';
import { finals, lastCallId, registration } from '../../support/ua.js';
import { ASTERISK_TAG, asteriskSkipReason, captured, ourContainers, rtpPorts } from './support.js';

const skipReason = asteriskSkipReason();
const d = skipReason ? describe.skip : describe;
const DOMAIN = 'lab.test';
const ALICE = { user: 'alice', password: 'alice-pw;"quoted" $x' };
const CAROL = { user: 'carol', password: 'carol-pw-never-asked', auth: false };
const DAVE = { user: 'dave', password: 'dave-pw-0123', maxContacts: 1 };

/** What SIPp sent and received, in order, steps that saw no message left out: "sent:REGISTER", "received:401", … */
const seen = (r: { stats: { messages: Array<{ direction: string; label: string; messages: number }> } }) =>
  r.stats.messages.filter((m) => m.messages > 0).map((m) => `${m.direction}:${m.label}`);

d(`Asterisk registrar in a container (${skipReason ?? ASTERISK_TAG})`, () => {
  let block: AddressBlock;
  let dir: string;
  let pbx: StartedAsterisk;
  let ua1: string;
  let ua2: string;

  beforeAll(async () => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ast-reg-'));
    ua1 = block.allocateHost();
    ua2 = block.allocateHost();
    pbx = await new Asterisk(block.allocateHost())
      .withDomain(DOMAIN)
      .withAccounts([ALICE, CAROL, DAVE])
      .withT1(100)
      .withRtpPorts(...rtpPorts(block))
      .withLogFile(join(dir, 'asterisk.log'))
      .withRuntime('auto')
      .start();
  }, 30_000);

  afterAll(async () => {
    await pbx?.stop();
    block?.release();
    rmSync(dir, { recursive: true, force: true });
    expect(ourContainers()).toEqual([]);
  });

  /**
   * One REGISTER of `account` from `ua`, answering a challenge unless `auth` is false. The UA takes any final
   * response: which one came is read with finals() or outcome().
   */
  function register(target: StartedAsterisk, account: { user: string; password: string }, ua: string, o: { expires?: number; auth?: boolean } = {}) {
    const auth = o.auth ?? true;
    const sipp = new Sipp(registration({ user: account.user, domain: DOMAIN, expires: o.expires ?? 300, canAuth: auth, t1Ms: 100 }))
      .withLocal(ua)
      .withRemote(target.hostPort)
      .withT1(100)
      .withTimeout(5000)
      .withLogDir(dir);
    if (auth) sipp.withAuth(account.user, account.password);
    return sipp.run();
  }
  /** How a registration ended: SIPp's verdict and the last final response. */
  const outcome = (r: SippResult) => ({ ok: r.ok, final: finals(r).pop() });

  const parties = () => ({ [pbx.address]: 'pbx', [ua1]: 'ua1', [ua2]: 'ua2' });
  const statuses = (t: Trace | undefined) => t?.find({ method: 'REGISTER' }).length && t.messages.filter((m) => m.status !== undefined).map((m) => m.status);

  test('auto runs it in the container when the host has no asterisk; it printed its ready line and answers the CLI', async () => {
    expect(pbx.runtime).toBe(which('asterisk') ? 'native' : 'container');
    expect(pbx.running).toBe(true);
    expect(pbx.logs()).toContain(READY_LINE);
    expect(await pbx.rx('core show version')).toMatch(/^Asterisk 22\./);
    expect(await pbx.contacts()).toEqual([]);
    // asterisk -rx exits 0 for a command it doesn't know; rx() makes that an error.
    await expect(pbx.rx('no such command here')).rejects.toThrow(/No such command/);
    // The log file attachment has the same (masked) output.
    expect(readFileSync(join(dir, 'asterisk.log'), 'utf8')).toContain(READY_LINE);
  });

  (which('asterisk') ? test.skip : test)('withRuntime("native") without an asterisk binary is an environment error naming what to do', async () => {
    const native = new Asterisk(block.host(250)).withRuntime('native');
    await expect(native.start()).rejects.toThrow(EnvironmentError);
    await expect(native.start()).rejects.toThrow(/asterisk is not installed.*container/);
  });

  test('REGISTER with digest: 401, then 200 for the credentials, and contacts("alice") shows the binding', async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => register(pbx, ALICE, ua1));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(seen(r)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:200']);
    if (trace) {
      expect(statuses(trace)).toEqual([401, 200]);
      const challenge = trace.first({ status: 401 })!;
      expect(challenge.message.get('WWW-Authenticate')).toMatch(new RegExp(`Digest .*realm="${DOMAIN}"`));
      expect(trace.find({ method: 'REGISTER' })[1].message.get('Authorization')).toMatch(/username="alice"/);
    }
    const bindings = await pbx.contacts('alice');
    expect(bindings).toHaveLength(1);
    // The registrar's own record is merged in: the Call-ID of the REGISTER that made the binding.
    expect(lastCallId(r)).toMatch(/^sipwright-/);
    expect(bindings[0]).toMatchObject({ aor: 'alice', uri: `sip:alice@${ua1}:5060`, status: 'NonQual', callId: lastCallId(r) });
    expect(bindings[0].expiresIn).toBeGreaterThan(290);
    expect(bindings[0].expiresIn).toBeLessThanOrEqual(300);
    // Passwords never reach the log Asterisk's output is kept in, nor what rx() returns.
    expect(pbx.logs()).not.toContain(ALICE.password);
  });

  test('the digests pjsip.conf holds for a password are masked in rx() output, like the password', async () => {
    const [md5, sha256] = accountDigests(pbx.options).slice(0, 2);
    const auth = await pbx.rx('pjsip show auth alice-auth');
    expect(auth).toMatch(/username\s*:\s*alice/);
    expect(auth).toContain('***');
    expect(auth).not.toContain(md5);
    expect(auth).not.toContain(sha256);
  });

  test('a wrong password gets a new 401, never a 200, and adds no binding', async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => register(pbx, { user: 'alice', password: 'not-the-password' }, ua2));
    expect(outcome(r)).toEqual({ ok: true, final: 401 });
    expect(seen(r)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:401']);
    if (trace) expect(statuses(trace)).toEqual([401, 401]);
    expect((await pbx.contacts('alice')).map((c) => c.uri)).toEqual([`sip:alice@${ua1}:5060`]);
  });

  test('Expires below minimum_expiration: Asterisk 22 raises it to the minimum (200, Expires 60) instead of answering 423', async () => {
    // RFC 3261 §10.3 step 7 lets a registrar answer 423 with Min-Expires; Asterisk's pjsip registrar grants the minimum instead.
    const { value: r, trace } = await captured(block, dir, parties(), () => register(pbx, ALICE, ua2, { expires: 10 }));
    expect(outcome(r)).toEqual({ ok: true, final: 200 });
    expect(seen(r)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:200']);
    if (trace) {
      expect(trace.find({ status: 423 })).toEqual([]);
      expect(trace.first({ status: 200 })?.message.get('Expires')).toBe('60');
    }
    const mine = (await pbx.contacts('alice')).find((c) => c.uri === `sip:alice@${ua2}:5060`);
    expect(mine?.expiresIn).toBeGreaterThan(50);
    expect(mine?.expiresIn).toBeLessThanOrEqual(60);
    expect(outcome(await register(pbx, ALICE, ua2, { expires: 0 }))).toEqual({ ok: true, final: 200 });
    expect((await pbx.contacts('alice')).map((c) => c.uri)).toEqual([`sip:alice@${ua1}:5060`]);
  });

  test('an account with auth:false registers with no challenge at all', async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => register(pbx, CAROL, ua1, { auth: false }));
    // Without credentials the UA would take a 401 as the answer: the steps show none came.
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(seen(r)).toEqual(['sent:REGISTER', 'received:200']);
    if (trace) expect(statuses(trace)).toEqual([200]);
    expect((await pbx.contacts('carol')).map((c) => c.uri)).toEqual([`sip:carol@${ua1}:5060`]);
  });

  test('max_contacts 1 without remove_existing: a second contact is refused with 403, the first stays, a refresh of it is fine', async () => {
    expect(outcome(await register(pbx, DAVE, ua1))).toEqual({ ok: true, final: 200 });
    const { value: second, trace } = await captured(block, dir, parties(), () => register(pbx, DAVE, ua2));
    expect(outcome(second)).toEqual({ ok: true, final: 403 });
    expect(seen(second)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:403']);
    if (trace) {
      const refused = trace.first({ status: 403 })?.message;
      expect(refused?.kind === 'response' && refused.reason).toBe('Forbidden');
    }
    expect((await pbx.contacts('dave')).map((c) => c.uri)).toEqual([`sip:dave@${ua1}:5060`]);
    // The limit counts bindings, not REGISTERs: the bound contact refreshes.
    const refresh = await register(pbx, DAVE, ua1, { expires: 120 });
    expect(outcome(refresh)).toEqual({ ok: true, final: 200 });
    const [binding] = await pbx.contacts('dave');
    expect(binding.expiresIn).toBeLessThanOrEqual(120);
  });

  test('Expires 0 removes the binding', async () => {
    const r = await register(pbx, ALICE, ua1, { expires: 0 });
    expect(outcome(r)).toEqual({ ok: true, final: 200 });
    expect(await pbx.contacts('alice')).toEqual([]);
    // The other accounts' bindings are untouched.
    expect((await pbx.contacts()).map((c) => c.aor).sort()).toEqual(['carol', 'dave']);
  });

  test('max_contacts 1 with remove_existing: the second contact is accepted and displaces the first', async () => {
    const other = await new Asterisk(block.allocateHost()).withDomain(DOMAIN).withAccounts([DAVE]).withRegistrar({ removeExisting: true }).withT1(100).withRtpPorts(...rtpPorts(block)).withRuntime('container').start();
    try {
      expect(outcome(await register(other, DAVE, ua1))).toEqual({ ok: true, final: 200 });
      const r = await register(other, DAVE, ua2);
      expect(outcome(r)).toEqual({ ok: true, final: 200 });
      expect(seen(r)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:200']);
      expect((await other.contacts('dave')).map((c) => c.uri)).toEqual([`sip:dave@${ua2}:5060`]);
    } finally {
      await other.stop();
    }
    expect(other.running).toBe(false);
  }, 30_000);
});
