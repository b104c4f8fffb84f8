/**
 * The Kamailio driver with withRuntime('container'): the same options give the same behaviour as natively.
 * A registration made by a native SIPp shows in the location table read with kamcmd inside the container.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { Sipp } from '../../drivers/sipp/index.js';
import { dockerStatus } from '../../src/env/docker.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { labelledContainers, ownerLabel } from '../../src/runtime/container.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { compileRegistration } from '../../src/ua/register.js';

const tag = imageTag('kamailio');
const daemon = dockerStatus();
const skipReason = !daemon.serverVersion
  ? `docker daemon not answering: ${daemon.problem}`
  : !imageExists(tag)
    ? `image ${tag} missing (sipwright images build --only kamailio)`
    : !which('sipp')
      ? 'sipp not installed (apt-get install sip-tester)'
      : undefined;
const d = skipReason ? describe.skip : describe;
const ALICE = { user: 'alice', password: 'pw-alice "quoted" $dollar' };

d(`Kamailio driver in a container (${skipReason ?? tag})`, () => {
  let block: AddressBlock;
  let dir: string;
  let k: StartedKamailio | undefined;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-kamctr-'));
  });
  afterAll(async () => {
    await k?.stop();
    block?.release();
    rmSync(dir, { recursive: true, force: true });
    expect(labelledContainers().filter((c) => c.run === ownerLabel())).toEqual([]);
  });

  test('registers with digest auth, and the binding is read through kamcmd in the container', async () => {
    const logFile = join(dir, 'kamailio.log');
    k = await new Kamailio(block.allocateHost()).withDomain('lab.test').withAccounts([ALICE]).withT1(100).withRuntime('container').withLogFile(logFile).start();
    expect(k.runtime).toBe('container');
    expect(await k.locations('alice')).toEqual([]);
    const ua = block.allocateHost();
    const r = await new Sipp(compileRegistration({ name: 'register', user: ALICE.user, domain: 'lab.test', steps: [{ contacts: [{ host: ua, port: 5060 }], expires: 300 }], canAuth: true, t1Ms: 500, transport: 'udp' }))
      .withLocal(ua)
      .withRemote(k.hostPort)
      .withAuth('alice', ALICE.password)
      .withTimeout(5000)
      .withControlPort(block.allocatePort())
      .withLogDir(dir)
      .run();
    expect(r.ok).toBe(true);
    const bindings = await k.locations('alice');
    expect(bindings.map((b) => b.contact)).toEqual([`sip:alice@${ua}:5060`]);
    expect(k.logs()).toContain('SIPWRIGHT KAMAILIO READY');
    await k.stop();
    expect(k.running).toBe(false);
    k = undefined;
  });

  test('a config Kamailio rejects fails the start with its own error, and no container is left', async () => {
    const broken = new Kamailio(block.allocateHost()).withRouteOverride('route[REGISTRAR] {\n\tno_such_function();\n}').withRuntime('container');
    await expect(broken.start()).rejects.toThrow(/kamailio@.*did not start[\s\S]*no_such_function/);
    expect(labelledContainers().filter((c) => c.run === ownerLabel())).toEqual([]);
  });
});
