/**
 * The container runtime on the real kamailio image: host network on the worker's own 127.100.N.x address,
 * ready by log line, answers OPTIONS, stops and is removed; a crashed owner's container is reaped at the next
 * start, a live owner's is not. Skipped (with the reason in its name) when docker or the image is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READY_LINE, renderKamailioConfig } from '../../drivers/kamailio/config.js';
import { Kamailio } from '../../drivers/kamailio/driver.js';
import { dockerStatus } from '../../src/env/docker.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { probeTarget } from '../../src/lab/probe.js';
import { DIR_LABEL, labelledContainers, ownerLabel, reapStaleContainers, RUN_LABEL, startContainer, type ContainerProcess } from '../../src/runtime/container.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { processStartTime } from '../../src/runtime/process-registry.js';

const tag = imageTag('kamailio');
const daemon = dockerStatus();
const skipReason = !daemon.serverVersion
  ? `docker daemon not answering: ${daemon.problem}`
  : !imageExists(tag)
    ? `image ${tag} missing (sipwright images build --only kamailio)`
    : undefined;
const d = skipReason ? describe.skip : describe;

function inspectLabels(id: string): Record<string, string> {
  const r = spawnSync('docker', ['inspect', '--format', '{{json .Config.Labels}}', id], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, string>) : {};
}

function mine(): string[] {
  return labelledContainers().filter((c) => c.run === ownerLabel()).map((c) => c.id);
}

d(`container runtime (${skipReason ?? tag})`, () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ctr-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    block?.release();
  });
  afterEach(() => {
    // Whatever a failed test left: remove it, then fail loudly in the last test below.
    expect(mine()).toEqual([]);
  });

  test('kamailio in a container on a 127.100.N.x address answers OPTIONS, carries the run label, and is gone after stop', async () => {
    const address = block.allocateHost();
    const cfg = renderKamailioConfig(new Kamailio(address).withAuth(false).options, { ctlSocket: '/run/sipwright/ctl' });
    const logFile = join(dir, 'kamailio.log');
    let c: ContainerProcess | undefined;
    try {
      c = await startContainer({
        name: `kamailio@${address}`,
        image: tag,
        command: ['kamailio', '-DD', '-E', '-f', '/etc/sipwright/kamailio.cfg', '-Y', '/run/sipwright', '-m', '32', '-M', '4', '-l', `udp:${address}:5060`],
        files: [{ target: '/etc/sipwright/kamailio.cfg', content: cfg, mode: 0o600 }],
        binds: [{ source: dir, target: '/run/sipwright' }],
        readyLine: new RegExp(READY_LINE),
        logFile,
      });
      expect(c.running).toBe(true);
      expect(inspectLabels(c.id)[RUN_LABEL]).toBe(ownerLabel());
      const first = await probeTarget({ name: 'kamailio-container', host: address, port: 5060, transport: 'udp', from: block.allocateHost(), timeoutMs: 3000 });
      expect(first).toMatch(/^SIP\/2\.0 \d{3}/);
      expect(c.output()).toContain(READY_LINE);
      expect(readFileSync(logFile, 'utf8')).toContain(READY_LINE);
      // The ctl socket was made inside the container, in the bind-mounted folder the host sees.
      expect(spawnSync('test', ['-S', join(dir, 'ctl')]).status).toBe(0);
    } finally {
      await c?.stop();
    }
    expect(c.running).toBe(false);
    expect(spawnSync('docker', ['inspect', c.id], { stdio: 'ignore' }).status).not.toBe(0);
  });

  test('a container boots with an eighth of the CPU share and gets the whole once its ready line comes', async () => {
    const name = `booting@${block.allocateHost()}`;
    const shares = (id: string) => spawnSync('docker', ['inspect', '-f', '{{.HostConfig.CpuShares}}', id], { encoding: 'utf8' }).stdout.trim();
    const starting = startContainer({ name, image: tag, command: ['sh', '-c', 'sleep 2; echo BOOTED; exec sleep 60'], readyLine: /BOOTED/ });
    let booting = '';
    for (let i = 0; i < 40 && !booting; i++) {
      const id = spawnSync('docker', ['ps', '-q', '--filter', `label=sipwright.name=${name}`], { encoding: 'utf8' }).stdout.trim();
      if (id) booting = shares(id);
      else await new Promise((r) => setTimeout(r, 50));
    }
    const c = await starting;
    try {
      expect({ booting, running: shares(c.id) }).toEqual({ booting: '128', running: '1024' });
    } finally {
      await c.stop(0);
    }
  });

  test('a container whose owner died is reaped at the next start; a live owner\'s is kept', async () => {
    // A real dead owner: a process that existed (with a start time) and is gone now.
    const child = spawn('sleep', ['30']);
    const deadOwner = `${child.pid}:${processStartTime(child.pid!)}`;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const run = (label: string) =>
      spawnSync('docker', ['run', '-d', '--network', 'host', '--label', `${RUN_LABEL}=${label}`, tag, 'sleep', '300'], { encoding: 'utf8' }).stdout.trim();
    const stale = run(deadOwner);
    const kept = run(ownerLabel());
    try {
      expect(stale).toMatch(/^[0-9a-f]{64}$/);
      const reaped = reapStaleContainers().map((c) => c.id);
      expect(reaped.some((id) => stale.startsWith(id))).toBe(true);
      expect(reaped.some((id) => kept.startsWith(id))).toBe(false);
      expect(spawnSync('docker', ['inspect', stale], { stdio: 'ignore' }).status).not.toBe(0);
      expect(spawnSync('docker', ['inspect', kept], { stdio: 'ignore' }).status).toBe(0);
    } finally {
      spawnSync('docker', ['rm', '-f', stale, kept], { stdio: 'ignore' });
    }
  });

  test('a dead owner\'s container takes the runtime folder labelled on it; a folder sipwright did not make stays', async () => {
    const child = spawn('sleep', ['30']);
    const deadOwner = `${child.pid}:${processStartTime(child.pid!)}`;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const own = mkdtempSync(join(tmpdir(), 'sipwright-kamailio-'));
    const foreign = mkdtempSync(join(tmpdir(), 'someone-else-'));
    const run = (folder: string) =>
      spawnSync('docker', ['run', '-d', '--network', 'host', '--label', `${RUN_LABEL}=${deadOwner}`, '--label', `${DIR_LABEL}=${folder}`, tag, 'sleep', '300'], { encoding: 'utf8' }).stdout.trim();
    const ids = [run(own), run(foreign)];
    try {
      expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
      reapStaleContainers();
      expect(existsSync(own)).toBe(false);
      expect(existsSync(foreign)).toBe(true);
      for (const id of ids) expect(spawnSync('docker', ['inspect', id], { stdio: 'ignore' }).status).not.toBe(0);
    } finally {
      spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      rmSync(own, { recursive: true, force: true });
      rmSync(foreign, { recursive: true, force: true });
    }
  });

  test('a Kamailio in a container labels its runtime folder, which holds its config and is gone after stop', async () => {
    const k = await new Kamailio(block.allocateHost()).withAuth(false).withRuntime('container').start();
    let folder = '';
    try {
      const c = labelledContainers().find((x) => x.run === ownerLabel() && x.dir !== '');
      folder = c?.dir ?? '';
      expect(folder).toMatch(/sipwright-kamailio-/);
      expect(existsSync(folder)).toBe(true);
    } finally {
      await k.stop();
    }
    expect(existsSync(folder)).toBe(false);
  });

  test('a container that exits before its ready line fails with its output, and is removed', async () => {
    const address = block.allocateHost();
    await expect(
      startContainer({
        name: `broken@${address}`,
        image: tag,
        command: ['kamailio', '-DD', '-E', '-f', '/nonexistent.cfg'],
        readyLine: /NEVER PRINTED/,
        readyTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/broken@.*did not start/);
    expect(mine()).toEqual([]);
  });
});
