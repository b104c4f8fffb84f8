/**
 * SIPp in the sipp image (SIPp 3.8) through the same driver options as the host's SIPp: the same runs, once
 * natively and once in the container, must give the same result (exit, outcome, SIPp's statistics, per-step
 * counts, failure causes), read back from the files the container wrote at the host's paths. Also: what the
 * container reads (scenario folder, injection CSVs) is there, stop() and a finished run leave no container,
 * and the wire shows the calls (host network, the party's own address).
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundSockets, scenario, Sipp, SippError, type SippResult } from '../../../drivers/sipp/index.js';
import { extractSip } from '../../../src/capture/extract.js';
import { LiveCapture } from '../../../src/capture/live.js';
import { dockerStatus } from '../../../src/env/docker.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { ownerLabel, RUN_LABEL } from '../../../src/runtime/container.js';
import { imageExists } from '../../../src/runtime/images/build.js';
import { imageTag } from '../../../src/runtime/images/recipe.js';
import { EnvironmentError, which } from '../../../src/runtime/native.js';
import { Trace } from '../../../src/trace/trace.js';
import { LONG, ROOT, runSuite, type SummaryTest } from '../../suites/support.js';
import { sippProcessesIn } from './support.js';
import { interruptRunWhen, leakedContainers } from '../../support/containers.js';
import { answerer, caller } from '../../support/ua.js';

const TAG = imageTag('sipp');
const daemon = dockerStatus();
const skipReason = !daemon.serverVersion
  ? `docker daemon not answering: ${daemon.problem}`
  : !imageExists(TAG)
    ? `image ${TAG} missing (sipwright images build --only sipp)`
    : !which('sipp')
      ? 'no native sipp to compare with (apt-get install sip-tester)'
      : undefined;
if (skipReason && process.env.CI) throw new Error(`the SIPp container tests can't run in CI: ${skipReason}`);
const d = skipReason ? describe.skip : describe;
const canCapture = process.getuid?.() === 0 && which('tcpdump') !== undefined;

type Runtime = 'native' | 'container';

/** This process's containers, running or not. */
function ourContainers(): string[] {
  return spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${ownerLabel()}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
}

/**
 * What sipwright reads from a result, without what differs by nature between two runs (times, paths, Call-IDs)
 * or between SIPp 3.6 and 3.8 themselves: the exit code of a rejected scenario (1 and 255, both read as
 * scenario-invalid), and the screen of a SIPp that never handled a message (3.8 writes its steps at zero, 3.6
 * none), so steps count only when something happened in them.
 */
function shape(r: SippResult) {
  return {
    outcome: r.outcome,
    ok: r.ok,
    stopped: r.stopped,
    successful: r.stats.successful,
    failed: r.stats.failed,
    incoming: r.stats.incoming,
    outgoing: r.stats.outgoing,
    failedBy: r.stats.failedBy,
    steps: r.stats.messages.filter((m) => m.messages + m.unexpected > 0).map((m) => `${m.direction}:${m.label}:${m.messages}:${m.unexpected}`),
  };
}

function holdUdp(ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, ip, () => resolve(s));
  });
}

/** A challenge to a caller without credentials: a message the user-agent layer's anonymous caller does not expect. */
const CHALLENGE = `SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=auth[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="sipwright.test", nonce="0123456789abcdef", algorithm=MD5
Content-Length: 0`;

d(`SIPp in the container (${skipReason ?? TAG}) gives what the native SIPp gives`, () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock(251);
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-container-'));
  });
  afterAll(() => {
    const left = sippProcessesIn(block.cidr);
    block.release();
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
    expect(ourContainers()).toEqual([]);
  });

  // A generous -timeout: a UAS counts it from its own start, and on a busy machine the UAC's container can take seconds to start.
  const sipp = (s: ConstructorParameters<typeof Sipp>[0], rt: Runtime) => new Sipp(s).withRuntime(rt).withTimeout(12_000).withT1(100).withLogDir(join(dir, rt));

  /** A UAS in the background and a UAC against it, both in `rt`: both results. */
  async function call(rt: Runtime, callee = answerer({ t1Ms: 100 })) {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    const uas = await sipp(callee, rt).withLocal(bob).start();
    expect(uas.runtime).toBe(rt);
    // Ready means bound, and nothing of it is on the wildcard address: its host pid's sockets, in this /proc.
    const sockets = boundSockets(uas.pid);
    expect({ wildcard: sockets.filter((x) => x.wildcard), atLeastSipAndControl: sockets.length >= 2 }).toEqual({ wildcard: [], atLeastSipAndControl: true });
    const uac = await sipp(caller({ t1Ms: 100 }), rt).withLocal(alice).withRemote(uas.hostPort).run();
    // The UAS ends by itself once its one call is over (its -timeout bounds the wait).
    return { alice, bob, uac, uas: await uas.wait() };
  }

  test('a call: UAS started in the background (ready once bound), UAC in the foreground; results alike, and the wire shows the call', async () => {
    const native = await call('native');
    const cap = canCapture ? await LiveCapture.start({ file: join(dir, 'call.pcap'), filter: `net ${block.cidr}`, markerAddress: block.host(254) }) : undefined;
    let inContainer: Awaited<ReturnType<typeof call>>;
    try {
      inContainer = await call('container');
    } finally {
      await cap?.stop();
    }
    expect(shape(inContainer.uac)).toEqual(shape(native.uac));
    expect(shape(inContainer.uas)).toEqual(shape(native.uas));
    expect([inContainer.uac.exitCode, inContainer.uas.exitCode, native.uac.exitCode]).toEqual([0, 0, 0]);
    expect(shape(inContainer.uac)).toMatchObject({ ok: true, successful: 1 });
    expect([inContainer.uac.runtime, inContainer.uas.runtime]).toEqual(['container', 'container']);
    // The files SIPp wrote in the container are on the host, where the result says.
    expect(readFileSync(inContainer.uac.files.messages, 'utf8')).toMatch(/^INVITE sip:/m);
    expect(readFileSync(inContainer.uac.files.command, 'utf8')).toMatch(new RegExp(`^# in the container ${TAG} .*\nsipp .* -t u1 `));
    expect(readFileSync(native.uac.files.command, 'utf8')).toMatch(/^sipp .* -t u1 /);
    if (cap) {
      const trace = Trace.fromCapture(extractSip(cap.bytes()));
      expect(trace.messages.map((m) => `${m.src.ip}>${m.dst.ip} ${m.message.kind === 'request' ? m.message.method : m.message.status}`)).toEqual([
        `${inContainer.alice}>${inContainer.bob} INVITE`,
        `${inContainer.bob}>${inContainer.alice} 180`,
        `${inContainer.bob}>${inContainer.alice} 200`,
        `${inContainer.alice}>${inContainer.bob} ACK`,
        `${inContainer.alice}>${inContainer.bob} BYE`,
        `${inContainer.bob}>${inContainer.alice} 200`,
      ]);
    }
    expect(ourContainers()).toEqual([]);
  });

  test('a call challenged where the caller has no credentials: the same failure, cause and unexpected step', async () => {
    const challenging = () => scenario('challenging').recv({ request: 'INVITE' }).send(CHALLENGE).recv({ request: 'ACK' });
    const native = await call('native', challenging());
    const inContainer = await call('container', challenging());
    expect(shape(inContainer.uac)).toEqual(shape(native.uac));
    expect([inContainer.uac.exitCode, native.uac.exitCode]).toEqual([1, 1]);
    expect(shape(inContainer.uac)).toMatchObject({ ok: false, outcome: 'calls-failed', failedBy: { UnexpectedMessage: 1 } });
    expect(inContainer.uac.errors.join('\n')).toMatch(/unexpected message[^]*401/i);
  });

  // Every row has all three columns: jest would take a missing one for a done callback.
  const failures: Array<[string, string, (rt: Runtime) => Promise<SippResult>]> = [
    [
      'the SIP port already taken',
      'bind-error',
      async (rt) => {
        const bob = block.allocateHost();
        const squatter = await holdUdp(bob, 5060);
        try {
          return await sipp(answerer(), rt).withLocal(bob).run();
        } finally {
          squatter.close();
        }
      },
    ],
    ['the global timeout', 'global-timeout', (rt) => sipp(answerer(), rt).withLocal(block.allocateHost()).withTimeout(700).run()],
    [
      'a scenario SIPp rejects',
      'scenario-invalid',
      (rt) => {
        const file = join(dir, `broken-${rt}.xml`);
        writeFileSync(file, '<?xml version="1.0"?>\n<scenario name="broken">\n  <recv request="INVITE" next="missing" />\n</scenario>\n');
        return sipp(file, rt).withLocal(block.allocateHost()).run();
      },
    ],
  ];
  test.each(failures)('%s: the same outcome (%s)', async (_what, outcome, run) => {
    const native = await run('native');
    const inContainer = await run('container');
    expect(inContainer.runtime).toBe('container');
    expect(shape(inContainer)).toEqual(shape(native));
    expect({ ok: inContainer.ok, outcome: inContainer.outcome }).toEqual({ ok: false, outcome });
    expect(ourContainers()).toEqual([]);
  });

  test('the scenario folder and injection files are there in the container: relative and absolute CSVs fill [field0]', async () => {
    const scen = join(dir, 'scenarios');
    const data = join(dir, 'elsewhere');
    mkdirSync(scen, { recursive: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(scen, 'users.csv'), 'SEQUENTIAL\nfrom-relative-csv;\n');
    writeFileSync(join(data, 'extra.csv'), 'SEQUENTIAL\nfrom-absolute-csv;\n');
    // [field0 file="…"] picks the -inf file by its base name, however the path was given.
    const xml = `<?xml version="1.0"?>
<scenario name="options-with-csv">
  <send><![CDATA[
OPTIONS sip:[field0 file="users.csv"]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <sip:[field0 file="extra.csv"]@[local_ip]>;tag=[call_number]
To: <sip:[remote_ip]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Content-Length: 0

]]></send>
  <recv response="200" />
</scenario>
`;
    writeFileSync(join(scen, 'options.xml'), xml);
    const uas = scenario('answer-options').recv({ request: 'OPTIONS' }).send(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=o[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`);
    const results: SippResult[] = [];
    for (const rt of ['native', 'container'] as const) {
      const server = await sipp(uas, rt).withLocal(block.allocateHost()).start();
      const r = await sipp(join(scen, 'options.xml'), rt)
        .withLocal(block.allocateHost())
        .withRemote(server.hostPort)
        .withArgs('-inf', 'users.csv')
        .withInjectionFile(join(data, 'extra.csv'))
        .run();
      await server.wait();
      results.push(r);
    }
    const [native, inContainer] = results;
    expect(shape(inContainer)).toEqual(shape(native));
    expect(inContainer).toMatchObject({ ok: true, runtime: 'container' });
    const sent = readFileSync(inContainer.files.messages, 'utf8');
    expect(sent).toMatch(/^OPTIONS sip:from-relative-csv@/m);
    expect(sent).toMatch(/^From: <sip:from-absolute-csv@/m);
  });

  test('stop() ends a container SIPp the way q does: stopped, statistics written, the container gone', async () => {
    const uas = await sipp(answerer(), 'container').withLocal(block.allocateHost()).withTimeout(20_000).start();
    expect(ourContainers()).toHaveLength(1);
    const r = await uas.stop();
    expect(r).toMatchObject({ ok: false, outcome: 'stopped', stopped: true, runtime: 'container', watchdogKilled: false });
    expect(existsSync(r.files.screen)).toBe(true);
    expect(r.stats.messages.map((m) => `${m.direction}:${m.label}:${m.messages}`)[0]).toBe('received:INVITE:0');
    expect(ourContainers()).toEqual([]);
  });

  test('no native SIPp and no image: an environment error that names both ways out', async () => {
    // A sipp recipe of its own gives a tag no image has.
    const docker = join(dir, 'docker');
    mkdirSync(join(docker, 'sipp'), { recursive: true });
    writeFileSync(join(docker, 'sipp', 'recipe.json'), JSON.stringify({ suite: 'sid', packages: ['sip-tester', 'less'], cmd: ['sipp', '-v'] }));
    const before = process.env.SIPWRIGHT_DOCKER_DIR;
    process.env.SIPWRIGHT_DOCKER_DIR = docker;
    try {
      const e = await new Sipp(answerer()).withBinary('sipp-not-installed-here').withLocal(block.allocateHost()).withTimeout(2000).withLogDir(dir).run().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EnvironmentError);
      expect((e as Error).message).toMatch(/sipp-not-installed-here is not installed \(apt-get install sip-tester\), and its container can't run: .*image sipwright\/sipp:\w+ .*sipwright images build --only sipp/);
    } finally {
      if (before === undefined) delete process.env.SIPWRIGHT_DOCKER_DIR;
      else process.env.SIPWRIGHT_DOCKER_DIR = before;
    }
    expect(ourContainers()).toEqual([]);
  });

  test('a SIPp that would read a file at the filesystem root is refused before any container starts', async () => {
    const e = await sipp(answerer(), 'container').withLocal(block.allocateHost()).withArgs('-inf', '/').run().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/filesystem root/);
    expect(e).not.toBeInstanceOf(SippError);
    expect(ourContainers()).toEqual([]);
  });
});

/** Every SIPp command file a run left in its report (one per SIPp it ran). */
function commandFiles(root: string): string[] {
  const r = spawnSync('find', [root, '-name', '*.command.txt'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

const suiteWhy = skipReason ?? (process.getuid?.() !== 0 ? 'needs root (capture)' : !which('tcpdump') ? 'needs tcpdump' : !which('kamailio') ? 'needs a native kamailio' : undefined);
(suiteWhy ? describe.skip : describe)(`a suite with every SIPp in the container (lab config runtime.sipp: container)${suiteWhy ? ` (${suiteWhy})` : ''}`, () => {
  let dir: string;
  let labConfig: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-suite-'));
    labConfig = join(dir, 'lab.yaml');
    writeFileSync(labConfig, 'runtime: { sipp: container }\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const verdicts = (tests: SummaryTest[]) => tests.map((t) => `${t.status}: ${t.name}`).sort();

  test('the registration suite gives the same verdicts as with the native SIPp, every SIPp having run in the image', () => {
    const native = runSuite('registration', join(dir, 'native'), ['--target', 'embedded:kamailio']);
    const inContainers = runSuite('registration', join(dir, 'container'), ['--target', 'embedded:kamailio', '--lab-config', labConfig]);
    expect(native.tests.length).toBeGreaterThanOrEqual(10);
    expect(verdicts(inContainers.tests)).toEqual(verdicts(native.tests));
    expect(inContainers.code).toBe(native.code);
    const files = commandFiles(join(dir, 'container'));
    expect(files.length).toBeGreaterThanOrEqual(native.tests.length);
    expect(files.filter((f) => !readFileSync(f, 'utf8').startsWith(`# in the container ${TAG} `))).toEqual([]);
    expect(commandFiles(join(dir, 'native')).filter((f) => readFileSync(f, 'utf8').startsWith('# in the container'))).toEqual([]);
    expect(ourContainers()).toEqual([]);
    expect(leakedContainers()).toEqual([]);
  }, LONG);

  test('Ctrl-C while SIPp containers run leaves no container, SIPp or tcpdump behind', async () => {
    const r = await interruptRunWhen(['--target', 'embedded:kamailio', '--suite', 'registration', '--lab-config', labConfig, '--report', join(dir, 'ctrl-c'), '--no-allure'], (c) => c.startsWith('sipp '), 'SIPp container');
    expect(r.up).toBe('up');
    expect(r.code).not.toBe(0);
    expect(leakedContainers()).toEqual([]);
    expect(r.orphans).toEqual([]);
  }, LONG);
});

