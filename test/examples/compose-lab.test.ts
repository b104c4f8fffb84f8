/**
 * examples/compose.yaml as a user brings it up, without the compose plugin (this machine has none): its
 * kamailio service run with `docker run` as compose would (host network, the config mounted, SIP_ADDRESS set to
 * an address of this machine), then examples/compose-target.yaml pointed at that address runs the registration
 * and calls suites. Only what the file declares it does not do (no other domain, no PBX) may be skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { dockerStatus } from '../../src/env/docker.js';
import { NAME_LABEL, ownerLabel, RUN_LABEL } from '../../src/runtime/container.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { notPassed, ROOT, RUN_LIMIT, runSuite } from '../suites/support.js';

const EXAMPLES = join(ROOT, 'examples');
/** An IPv4 address of this machine off loopback and off docker's bridge: where the compose lab listens. */
const hostAddress = Object.entries(networkInterfaces()).flatMap(([name, addrs]) => (name.startsWith('docker') ? [] : (addrs ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address)))[0];
const image = imageTag('kamailio');
const canRun = process.getuid?.() === 0 && ['sipp', 'tcpdump'].every((c) => which(c)) && hostAddress !== undefined && !!dockerStatus().serverVersion && imageExists(image);
const d = canRun ? describe : describe.skip;

d('examples/compose.yaml', () => {
  let dir: string;
  const name = `sipwright-compose-example-${process.pid}`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-compose-'));
  });
  afterAll(() => {
    spawnSync('docker', ['rm', '-f', name], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  });

  test('its Kamailio, run as compose runs it, passes the registration and calls suites from its target file', () => {
    const svc = (parse(readFileSync(join(EXAMPLES, 'compose.yaml'), 'utf8')) as { services: { kamailio: { command: string[]; volumes: string[]; tmpfs: string[] } } }).services.kamailio;
    const volumes = svc.volumes.flatMap((v) => ['-v', v.replace(/^\.\//, `${EXAMPLES}/`)]);
    // Labelled as sipwright's own containers are, so a killed jest's is reaped by the next run.
    const labels = ['--label', `${RUN_LABEL}=${ownerLabel()}`, '--label', `${NAME_LABEL}=${name}`];
    const started = spawnSync('docker', ['run', '-d', '--name', name, ...labels, '--network', 'host', '-e', `SIP_ADDRESS=${hostAddress}`, ...volumes, ...svc.tmpfs.flatMap((t) => ['--tmpfs', t]), image, ...svc.command], { encoding: 'utf8' });
    expect(started.status).toBe(0);
    const target = join(dir, 'compose-target.yaml');
    writeFileSync(target, readFileSync(join(EXAMPLES, 'compose-target.yaml'), 'utf8').replace(/^address: \S+/m, `address: ${hostAddress}:5060`));
    const r = runSuite(['registration', 'calls'], join(dir, 'run'), ['--target', target]);
    const declared = [/does not declare the role pbx$/, /declares no other domain to route to/, /answers too brief an expiry with 423/];
    expect(notPassed(r.tests).filter((t) => !(t.startsWith('skipped') && declared.some((re) => re.test(t))))).toEqual([]);
    expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(20);
    expect(r.code).toBe(0);
  }, RUN_LIMIT);
});
