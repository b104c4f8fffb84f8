/**
 * Docker on a machine without a service manager: install `docker.io` and start `dockerd` ourselves (as root),
 * as LAB-NOTES says works here. The daemon is left running after sipwright exits (it outlives a run so the next
 * one starts at once); its log is in the state folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../runtime/native.js';
import { stateDir } from '../runtime/process-registry.js';
import { isRoot } from './deps.js';

export class DockerUnavailable extends Error {}

export interface DockerStatus {
  /** Path of the docker CLI, when there is one. */
  client?: string;
  clientVersion?: string;
  /** Path of dockerd, when installed. */
  daemonBinary?: string;
  /** The daemon's version when it answers, else undefined. */
  serverVersion?: string;
  /** Why the daemon does not answer (the CLI's own words). */
  problem?: string;
}

export function dockerdLogFile(): string {
  return join(stateDir(), 'dockerd.log');
}

export function dockerStatus(): DockerStatus {
  const client = which('docker');
  const daemonBinary = which('dockerd');
  if (!client) return { daemonBinary, problem: 'the docker CLI is not installed' };
  const v = spawnSync(client, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8', timeout: 10_000 });
  const clientVersion = v.stdout.trim().split('\n')[0] || undefined;
  const info = spawnSync(client, ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
  if (info.status === 0 && info.stdout.trim()) return { client, clientVersion, daemonBinary, serverVersion: info.stdout.trim() };
  const problem = (info.stderr || info.stdout || `docker info exited ${info.status}`).trim().split('\n').pop();
  return { client, clientVersion, daemonBinary, problem };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Installs docker.io with apt-get (root only); progress goes to stderr. */
function installDockerIo(log: (s: string) => void): void {
  log('sipwright: installing docker.io (first use of containers)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { stdio: ['ignore', 2, 2], env });
  if (r.status !== 0) throw new DockerUnavailable(`apt-get install docker.io failed (exit ${r.status})`);
}

/** Starts dockerd in the background, detached from us, with its log in the state folder. */
function startDockerd(dockerd: string): void {
  mkdirSync(stateDir(), { recursive: true });
  const fd = openSync(dockerdLogFile(), 'a');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
}

/**
 * Makes sure a docker daemon answers: installs docker.io and starts dockerd when root and needed. Throws
 * DockerUnavailable with what to do otherwise. Returns the status once `docker info` works.
 */
export async function ensureDocker(log: (s: string) => void = (s) => process.stderr.write(s + '\n'), timeoutMs = 30_000): Promise<DockerStatus> {
  let st = dockerStatus();
  if (st.serverVersion) return st;
  if (!st.daemonBinary || !st.client) {
    if (!isRoot() || !which('apt-get')) {
      throw new DockerUnavailable(`docker is not installed: sudo apt-get install docker.io, then start dockerd (${st.problem ?? 'no dockerd'})`);
    }
    installDockerIo(log);
    st = dockerStatus();
    if (st.serverVersion) return st;
  }
  if (!st.daemonBinary) throw new DockerUnavailable('dockerd is not installed: apt-get install docker.io');
  if (!isRoot()) {
    throw new DockerUnavailable(`the docker daemon does not answer (${st.problem}); start it as root: sudo dockerd &`);
  }
  log(`sipwright: starting dockerd (log: ${dockerdLogFile()})…`);
  startDockerd(st.daemonBinary);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(300);
    st = dockerStatus();
    if (st.serverVersion) return st;
  }
  throw new DockerUnavailable(`dockerd did not answer within ${timeoutMs} ms (${st.problem}); see ${dockerdLogFile()}`);
}
