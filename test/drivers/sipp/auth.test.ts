/**
 * Digest registration through `[authentication]` with -au/-ap: the credentials on the wire are right for
 * the password, and the password itself is in no file, XML, command, error text or registry entry.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario, Sipp, SippError } from '../../../drivers/sipp/index.js';
import { extractSip } from '../../../src/capture/extract.js';
import { LiveCapture } from '../../../src/capture/live.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { liveEntries, stateDir } from '../../../src/runtime/process-registry.js';
import { checkCredentials } from '../../../src/sip/digest.js';
import { Trace } from '../../../src/trace/trace.js';
import { finals, registration } from '../../support/ua.js';
import { sippProcessesIn } from './support.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** A registrar that challenges once (after a pause, so the UAC is still running when the test looks at it). */
function challengingRegistrar(realm: string) {
  const reply = (status: string, extra: string[]) =>
    [`SIP/2.0 ${status}`, '[last_Via:]', '[last_From:]', '[last_To:];tag=reg[call_number]', '[last_Call-ID:]', '[last_CSeq:]', ...extra, 'Content-Length: 0'].join('\n');
  return scenario('registrar')
    .recv({ request: 'REGISTER' })
    .pause(400)
    .send(reply('401 Unauthorized', [`WWW-Authenticate: Digest realm="${realm}", nonce="${randomBytes(8).toString('hex')}", algorithm=MD5, qop="auth"`]))
    .recv({
      request: 'REGISTER',
      // The retry must carry credentials (check_it fails the call otherwise); the wire check below verifies them.
      actions: [{ ereg: { regexp: 'Digest .*response=', search_in: 'hdr', header: 'Authorization:', assign_to: 'creds', check_it: true } }],
    })
    .send(reply('200 OK', ['[last_Contact:]', 'Expires: 60']));
}

describe('SIPp digest authentication (real SIPp)', () => {
  let block: AddressBlock;
  let dir: string;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-auth-'));
  });
  afterAll(() => {
    const left = sippProcessesIn(block.cidr);
    block.release();
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  (process.getuid?.() === 0 ? test : test.skip)('REGISTER answers the 401 with valid credentials, and the password appears nowhere sipwright writes', async () => {
    const alice = block.allocateHost();
    const registrar = block.allocateHost();
    const cap = await LiveCapture.start({ file: join(dir, 'auth.pcap'), filter: `net ${block.cidr}`, markerAddress: block.host(254) });
    const uas = await new Sipp(challengingRegistrar('sipwright.test')).withLocal(registrar).withTimeout(5000).withLogDir(dir).start();
    const uac = await new Sipp(registration({ user: 'alice', domain: 'sipwright.test', expires: 60 }))
      .withLocal(alice)
      .withRemote(uas.hostPort)
      .withAuth('alice', password)
      .withTimeout(5000)
      .withLogDir(dir)
      .start();
    // While it runs: the registry entry on disk records the command masked.
    const entry = liveEntries().find((e) => e.pgid === uac.pid);
    expect(entry?.command).toContain('-ap ***');
    expect(entry?.command).not.toContain(password);
    for (const f of readdirSync(join(stateDir(), 'procs'))) expect(readFileSync(join(stateDir(), 'procs', f), 'utf8')).not.toContain(password);

    const [r, reg] = [await uac.wait(), await uas.wait()];
    await cap.stop();
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(reg).toMatchObject({ ok: true, exitCode: 0 });
    // The UA takes any final response: that it was challenged and then registered is read from what it received.
    expect(finals(r)).toEqual([401, 200]);

    // The wire: the second REGISTER's credentials are right for this password.
    const trace = Trace.fromCapture(extractSip(cap.bytes()));
    const registers = trace.find({ method: 'REGISTER' });
    expect(registers).toHaveLength(2);
    const authorization = registers[1].message.get('authorization');
    expect(authorization).toBeDefined();
    expect(checkCredentials(authorization!, { password, method: 'REGISTER', username: 'alice' })).toMatchObject({ ok: true });
    expect(checkCredentials(authorization!, { password: `${password}x`, method: 'REGISTER', username: 'alice' }).ok).toBe(false);

    // Nowhere sipwright records: the result, the XML, the command, and every file of the log dir but the pcap.
    expect(r.command).toContain('-au alice -ap ***');
    for (const text of [r.command, r.xml, r.stderr, r.errors.join('\n'), JSON.stringify(r)]) expect(text).not.toContain(password);
    const written = filesUnder(dir).filter((f) => !f.endsWith('.pcap'));
    expect(written.some((f) => f.endsWith('register.messages.log'))).toBe(true);
    for (const f of written) expect({ file: f, leaks: readFileSync(f, 'utf8').includes(password) }).toEqual({ file: f, leaks: false });
  });

  test('a scenario that holds the password itself is refused before SIPp runs', async () => {
    // The password as a Contact parameter: a scenario that carries it anywhere is refused.
    const s = registration({ user: 'alice', domain: 'sipwright.test', contact: { params: `note=${password}` } });
    const run = new Sipp(s).withLocal(block.host(30)).withRemote(`${block.host(31)}:5060`).withAuth('alice', password).withLogDir(dir).run();
    await expect(run).rejects.toBeInstanceOf(SippError);
    await expect(run).rejects.toThrow(/contains the password/);
    await expect(run.catch((e: Error) => e.message)).resolves.not.toContain(password);
  });

  test('errors from a failed authenticated run do not carry the password', async () => {
    const alice = block.allocateHost();
    const nobody = block.allocateHost();
    const r = await new Sipp(registration({ user: 'alice', domain: 'sipwright.test' }))
      .withLocal(alice)
      .withRemote(`${nobody}:5060`)
      .withAuth('alice', password)
      .withTimeout(1000)
      .withLogDir(dir)
      .run();
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(password);
    for (const f of filesUnder(dir).filter((p) => !p.endsWith('.pcap'))) expect(readFileSync(f, 'utf8')).not.toContain(password);
  });
});
