/**
 * Existing SIPp XML files run as they are (here SIPp's own built-in scenarios, dumped with -sd), and what
 * the builder escapes means to SIPp what it meant in TypeScript.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario, Sipp } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { answerer, caller } from '../../support/ua.js';
import { sippProcessesIn } from './support.js';

describe('SIPp XML files and escaping (real SIPp)', () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-xml-'));
  });
  afterAll(() => {
    const left = sippProcessesIn(block.cidr);
    block.release();
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  function dump(name: 'uac' | 'uas'): string {
    const file = join(dir, `builtin-${name}.xml`);
    // -sd prints the scenario and exits 99 ("normal exit without calls processed").
    const out = spawnSync('sipp', ['-sd', name], { encoding: 'utf8' });
    expect(out.stdout).toMatch(/^<\?xml/);
    writeFileSync(file, out.stdout);
    return file;
  }

  test("SIPp's own uas.xml runs as it is in the background, answering the user-agent layer's caller; its uac.xml calls the layer's answering phone", async () => {
    const uasFile = dump('uas');
    const uacFile = dump('uac');
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    const fileUas = Sipp.fromXmlFile(uasFile).withLocal(bob).withTimeout(5000).withLogDir(dir);
    expect(fileUas.role).toBe('uas');
    const uas = await fileUas.start();
    const uac = await new Sipp(caller()).withLocal(alice).withRemote(uas.hostPort).withTimeout(5000).withLogDir(dir).run();
    const uasResult = await uas.wait();
    expect([uac.exitCode, uasResult.exitCode]).toEqual([0, 0]);
    expect(uasResult.command).toContain(`-sf ${uasFile}`);
    expect(uasResult.xml).toBe(readFileSync(uasFile, 'utf8'));
    expect(readFileSync(join(dir, 'builtin-uas.xml'), 'utf8')).toBe(uasResult.xml); // the file itself, untouched

    const uas2 = await new Sipp(answerer()).withLocal(bob, 5062).withTimeout(5000).withLogDir(dir).start();
    const fileUac = await new Sipp(uacFile).withLocal(alice, 5062).withRemote(uas2.hostPort).withTimeout(5000).withLogDir(dir).run();
    expect([fileUac.exitCode, (await uas2.wait()).exitCode]).toEqual([0, 0]);
    expect(fileUac.stats.successful).toBe(1);
  });

  test('a regexp full of XML and SIPp escape characters matches in SIPp exactly as written (check_it would fail the call otherwise)', async () => {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    // On the wire the display name is the quoted-string "A & B <q> x\\y" (an escaped backslash inside).
    // SIPp hands the header value over with its leading space; its regexps are POSIX ERE ([0-9], not \d).
    const regexp = String.raw`^ *"A & B <q> x\\\\y" <sip:caller([0-9]+)@`;
    const uas = scenario('strict-uas')
      .recv({ request: 'OPTIONS', actions: [{ ereg: { regexp, search_in: 'hdr', header: 'From:', assign_to: ['whole', 'num'], check_it: true } }] })
      .send(
        `SIP/2.0 200 OK
         [last_Via:]
         [last_From:]
         [last_To:];tag=ok
         [last_Call-ID:]
         [last_CSeq:]
         X-Caller-Number: [$num]
         Content-Length: 0`,
      );
    const uac = scenario('quoted-uac')
      .send(
        `OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
         Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
         Max-Forwards: 70
         From: "A & B <q> x\\\\y" <sip:caller42@[local_ip]>;tag=[call_number]
         To: <sip:[remote_ip]>
         Call-ID: [call_id]
         CSeq: 1 OPTIONS
         Content-Length: 0`,
      )
      .recv({ response: 200, actions: [{ ereg: { regexp: '^ *42$', search_in: 'hdr', header: 'X-Caller-Number:', assign_to: 'n', check_it: true } }] });
    const server = await new Sipp(uas).withLocal(bob).withTimeout(5000).withLogDir(dir).start();
    const client = await new Sipp(uac).withLocal(alice).withRemote(server.hostPort).withTimeout(5000).withLogDir(dir).run();
    const serverResult = await server.wait();
    expect(serverResult.errors).toEqual([]);
    expect([client.exitCode, serverResult.exitCode]).toEqual([0, 0]);
  });
});
