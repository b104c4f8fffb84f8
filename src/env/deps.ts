/**
 * What sipwright needs from the machine, how to tell whether it is there, and how to get it. Used by
 * `sipwright doctor`, and by `run`/`lab up` to install what is missing (as root) or say what to run.
 */
import { spawnSync } from 'node:child_process';
import { which } from '../runtime/native.js';

export type Need = 'run' | 'test';

export interface Dependency {
  name: string;
  /** Why sipwright needs it. */
  purpose: string;
  command: string;
  versionArgs: string[];
  /** Debian package that provides it. */
  debian: string;
  /** Which commands need it: the suites (`run`) or only the project's own tests. */
  neededFor: Need[];
}

export const DEPENDENCIES: Dependency[] = [
  { name: 'SIPp', purpose: 'user agents that drive the scenarios', command: 'sipp', versionArgs: ['-v'], debian: 'sip-tester', neededFor: ['run', 'test'] },
  { name: 'Kamailio', purpose: 'the embedded lab registrar and proxy', command: 'kamailio', versionArgs: ['-v'], debian: 'kamailio', neededFor: ['run', 'test'] },
  { name: 'kamcmd', purpose: "reading the lab Kamailio's location table", command: 'kamcmd', versionArgs: ['-V'], debian: 'kamailio', neededFor: ['run', 'test'] },
  { name: 'tcpdump', purpose: 'capturing each test on the wire', command: 'tcpdump', versionArgs: ['--version'], debian: 'tcpdump', neededFor: ['run', 'test'] },
  { name: 'iproute2', purpose: 'the local address and interface that reach a remote target; network namespaces in the tests', command: 'ip', versionArgs: ['-V'], debian: 'iproute2', neededFor: ['run', 'test'] },
  { name: 'Java', purpose: 'allure generate (the HTML report)', command: 'java', versionArgs: ['-version'], debian: 'default-jre-headless', neededFor: ['run', 'test'] },
  // The embedded Asterisk runs from an image built offline from Debian sid (docker.io comes with ensureDocker).
  { name: 'debootstrap', purpose: 'building the container images offline (the embedded Asterisk)', command: 'debootstrap', versionArgs: ['--version'], debian: 'debootstrap', neededFor: ['run', 'test'] },
  { name: 'OpenSSL', purpose: "making the lab's TLS certificates (runs over TLS, the TLS driver tests)", command: 'openssl', versionArgs: ['version'], debian: 'openssl', neededFor: ['run', 'test'] },
  { name: 'tshark', purpose: 'the reference the capture tests and benchmark compare against', command: 'tshark', versionArgs: ['--version'], debian: 'tshark', neededFor: ['test'] },
  { name: 'Chromium', purpose: 'the test that opens the generated report', command: 'chromium', versionArgs: ['--version'], debian: 'chromium', neededFor: ['test'] },
];

export interface DependencyStatus {
  dep: Dependency;
  path?: string;
  version?: string;
}

/** First line that looks like a version, from whatever stream the tool prints it on. */
function versionOf(path: string, args: string[]): string | undefined {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const line = text.split('\n').map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l));
  return line?.replace(/\s+/g, ' ').slice(0, 80);
}

export function checkDependencies(need?: Need): DependencyStatus[] {
  return DEPENDENCIES.filter((d) => !need || d.neededFor.includes(need)).map((dep) => {
    const path = which(dep.command);
    return { dep, path, version: path ? versionOf(path, dep.versionArgs) : undefined };
  });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function aptCommand(packages: string[]): string {
  return `apt-get install -y --no-install-recommends ${[...new Set(packages)].join(' ')}`;
}

/**
 * Installs missing Debian packages when root (progress to stderr), and returns what is still missing.
 * Not root: installs nothing, and the caller prints the command.
 */
export function installMissing(need: Need, log: (s: string) => void): DependencyStatus[] {
  let missing = checkDependencies(need).filter((s) => !s.path);
  if (missing.length === 0 || !isRoot() || !which('apt-get')) return missing;
  const pkgs = [...new Set(missing.map((m) => m.dep.debian))];
  log(`sipwright: installing Debian packages: ${pkgs.join(' ')} (first run)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('sh', ['-c', 'echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections'], { stdio: 'ignore' });
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 2, 2], env });
  missing = checkDependencies(need).filter((s) => !s.path);
  return missing;
}
