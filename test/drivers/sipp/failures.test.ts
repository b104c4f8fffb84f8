/**
 * Real SIPp runs that fail, each for a different reason: the result must say which, with SIPp's own error
 * text, and must come back quickly (timeouts are short) with nothing left running.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario, Sipp, SippError } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { EnvironmentError } from '../../../src/runtime/native.js';
import { answerer, caller } from '../../support/ua.js';
import { sippProcessesIn } from './support.js';

function holdUdp(ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, ip, () => resolve(s));
  });
}

describe('SIPp failures (real SIPp)', () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-fail-'));
  });
  afterAll(() => {
    const left = sippProcessesIn(block.cidr);
    block.release();
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  test('a call challenged (401) where the caller has no credentials: ok=false, "at least one call failed", the unexpected message in errors', async () => {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    // A caller without an account is ready for every answer but a challenge (src/ua): the 401 is a message out of place.
    const challenging = scenario('challenging')
      .recv({ request: 'INVITE' })
      .send(
        `SIP/2.0 401 Unauthorized
         [last_Via:]
         [last_From:]
         [last_To:];tag=auth[call_number]
         [last_Call-ID:]
         [last_CSeq:]
         WWW-Authenticate: Digest realm="sipwright.test", nonce="0123456789abcdef", algorithm=MD5
         Content-Length: 0`,
      )
      .recv({ request: 'ACK' });
    const uas = await new Sipp(challenging).withLocal(bob).withTimeout(4000).withLogDir(dir).start();
    const uac = await new Sipp(caller()).withLocal(alice).withRemote(uas.hostPort).withTimeout(4000).withLogDir(dir).run();
    await uas.stop();
    expect(uac).toMatchObject({ ok: false, exitCode: 1, outcome: 'calls-failed', meaning: 'at least one call failed' });
    expect(uac.stats).toMatchObject({ successful: 0, failed: 1 });
    expect(uac.stats.failedBy).toHaveProperty('UnexpectedMessage', 1);
    expect(uac.errors.join('\n')).toMatch(/unexpected message/i);
    expect(uac.errors.join('\n')).toMatch(/401/);
  });

  test('the SIP port already taken: exit 254, bind-error naming the SIP port, from run() and from start()', async () => {
    const bob = block.allocateHost();
    const squatter = await holdUdp(bob, 5060);
    try {
      const r = await new Sipp(answerer()).withLocal(bob, 5060).withTimeout(3000).withLogDir(dir).run();
      expect(r).toMatchObject({ ok: false, exitCode: 254, outcome: 'bind-error' });
      expect(r.meaning).toMatch(/could not bind the SIP port/);
      expect(r.errors.join('\n')).toMatch(/Unable to bind main socket.*Address already in use/);
      const failed = await new Sipp(answerer()).withLocal(bob, 5060).withTimeout(3000).withLogDir(dir).start().catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SippError);
      expect((failed as SippError).message).toMatch(/did not become ready.*bind/s);
      expect((failed as SippError).result?.outcome).toBe('bind-error');
    } finally {
      squatter.close();
    }
  });

  test('the control port already taken: bind-error naming the control port', async () => {
    const bob = block.allocateHost();
    const port = block.allocatePort();
    const squatter = await holdUdp(bob, port);
    try {
      const r = await new Sipp(answerer()).withLocal(bob, 5060).withControlPort(port).withTimeout(3000).withLogDir(dir).run();
      expect(r).toMatchObject({ exitCode: 254, outcome: 'bind-error' });
      expect(r.meaning).toMatch(/control port/);
      expect(r.command).toContain(`-ci ${bob} -cp ${port}`);
    } finally {
      squatter.close();
    }
  });

  test('the global timeout: a UAS that never gets its call fails (exit 255, global-timeout) within its short -timeout, rounded up to whole seconds', async () => {
    const bob = block.allocateHost();
    const t0 = Date.now();
    const r = await new Sipp(answerer()).withLocal(bob).withTimeout(700).withLogDir(dir).run();
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r).toMatchObject({ ok: false, exitCode: 255, outcome: 'global-timeout', watchdogKilled: false });
    expect(r.errors.join('\n')).toMatch(/timed out after/);
    // SIPp 3.6 treats a sub-second -timeout as none at all, so 700 ms is passed as 1 s.
    expect(r.command).toMatch(/-timeout 1s -timeout_error/);
  });

  test('a recv timeout inside the scenario fails the call quickly, counted as TimeoutOnRecv', async () => {
    const alice = block.allocateHost();
    const silent = block.allocateHost(); // nobody listens there
    const s = scenario('unanswered')
      .send(
        `OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
         Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
         Max-Forwards: 70
         From: <sip:probe@[local_ip]>;tag=[call_number]
         To: <sip:[remote_ip]>
         Call-ID: [call_id]
         CSeq: 1 OPTIONS
         Content-Length: 0`,
      )
      .recv({ response: 200, timeout: 300 });
    const t0 = Date.now();
    const r = await new Sipp(s).withLocal(alice).withRemote(`${silent}:5060`).withTimeout(4000).withLogDir(dir).run();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r).toMatchObject({ ok: false, exitCode: 1, outcome: 'calls-failed' });
    expect(r.stats.failedBy).toHaveProperty('TimeoutOnRecv', 1);
  });

  test('an XML file SIPp cannot accept is reported as scenario-invalid, with SIPp\'s message', async () => {
    const bob = block.allocateHost();
    const file = join(dir, 'broken.xml');
    writeFileSync(file, '<?xml version="1.0"?>\n<scenario name="broken">\n  <recv request="INVITE" next="missing" />\n</scenario>\n');
    const r = await new Sipp(file).withLocal(bob).withTimeout(3000).withLogDir(dir).run();
    expect(r.ok).toBe(false);
    expect(r.outcome).toBe('scenario-invalid');
    expect(r.errors.join('\n')).toMatch(/missing/);
  });

  test('configuration mistakes are refused before SIPp runs', async () => {
    await expect(new Sipp(caller()).withLocal(block.host(20)).run()).rejects.toThrow(/needs withRemote/);
    await expect(new Sipp(answerer()).run()).rejects.toThrow(/withLocal\(ip, port\) is required/);
    expect(() => new Sipp(answerer()).withLocal('localhost')).toThrow(/not an IP address/);
    expect(() => new Sipp(join(dir, 'nope.xml'))).toThrow(/does not exist/);
  });

  test('a missing sipp binary, with the native runtime asked for, is an EnvironmentError that says what to install', async () => {
    // With the default runtime (auto) a missing binary means the sipp image instead: test/drivers/sipp/container.test.ts.
    const run = new Sipp(answerer()).withLocal(block.host(21)).withBinary('/nonexistent/bin/sipp').withRuntime('native').withTimeout(1000).withLogDir(dir).run();
    await expect(run).rejects.toBeInstanceOf(EnvironmentError);
    await expect(new Sipp(answerer()).withLocal(block.host(21)).withBinary('sipp-not-installed-here').withRuntime('native').run()).rejects.toThrow(/apt-get install sip-tester/);
  });
});
