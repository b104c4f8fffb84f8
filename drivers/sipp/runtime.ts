/**
 * Where a SIPp runs. Natively by default (Debian bookworm's sip-tester is SIPp 3.6, without TLS or WebSocket),
 * in the sipp image (SIPp 3.8 from sid) when the native binary lacks what the run asks for, when there is none,
 * or when told to (withRuntime, the lab config's runtime.sipp). The options are the same either way: the
 * container sees every file of the run at the path the host has it (bind mounts), so the command line, the
 * files SIPp writes and the result read back from them are the same.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { startContainer, type ContainerProcess } from '../../src/runtime/container.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import type { RuntimeKind } from '../../src/runtime/kind.js';
import { EnvironmentError, which, type ExitInfo, type NativeProcess } from '../../src/runtime/native.js';
import type { SippTransport } from './args.js';

export interface SippCapabilities {
  /** e.g. "3.6.1-SCTP-PCAP-RTPSTREAM" */
  version: string;
  tls: boolean;
  ws: boolean;
  /** Digest with SHA-256 and SHA-512-256 (RFC 8760) for `[authentication]`: SIPp 3.8 has it, 3.6 only MD5. */
  sha2Digest: boolean;
}

/** What a run asks of SIPp besides its transport. */
export interface SippNeeds {
  /** Its challenges may name SHA-256 or SHA-512-256. */
  sha2Digest?: boolean;
  /** Its TLS secrets written to a key log: only the sipp image has the shim (docker/sipp/keylog.c). */
  keyLog?: boolean;
}

/** Where the sipp image keeps the key log shim, LD_PRELOADed into SIPp when a run asks for a key log. */
export const KEYLOG_SHIM = '/usr/local/lib/sipwright-keylog.so';

/** From `sipp -v` (the build names TLS in its version) and `sipp -h` (only a WebSocket build documents -t w1). */
export function parseCapabilities(versionText: string, helpText: string): SippCapabilities | undefined {
  const m = /SIPp v(\S+?)\.?\s*$/m.exec(versionText);
  if (!m) return undefined;
  const [major, minor] = m[1].split(/[.-]/).map(Number);
  return { version: m[1], tls: /-TLS\b/.test(m[1]), ws: /WebSocket/i.test(helpText), sha2Digest: major > 3 || (major === 3 && minor >= 8) };
}

const probed = new Map<string, SippCapabilities | undefined>();

/** What the native binary can do, asked once per binary; undefined when it is not installed. */
export function nativeCapabilities(binary: string): SippCapabilities | undefined {
  const path = which(binary);
  if (!path) return undefined;
  if (!probed.has(path)) {
    const ask = (flag: string) => spawnSync(path, [flag], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
    probed.set(path, parseCapabilities(ask('-v'), ask('-h')));
  }
  return probed.get(path);
}

/** Why `caps` can't carry `transport`, or undefined when it can. */
export function lacks(caps: SippCapabilities, transport: SippTransport, needs: SippNeeds = {}): string | undefined {
  if ((transport === 'tls' || transport === 'wss') && !caps.tls) return 'TLS';
  if ((transport === 'ws' || transport === 'wss') && !caps.ws) return 'WebSocket';
  if (needs.sha2Digest && !caps.sha2Digest) return 'SHA-256 digest (RFC 8760)';
  if (needs.keyLog) return 'TLS key log (the sipp image has one)';
  return undefined;
}

export const SIPP_IMAGE_HINT = 'sipwright images build --only sipp';

/** Why `auto` did not run SIPp natively, for the error when the container can't run either. */
export function whyNotNative(binary: string, transport: SippTransport, probe = nativeCapabilities, needs: SippNeeds = {}): string {
  const caps = probe(binary);
  if (!caps) return `${binary} is not installed (apt-get install sip-tester)`;
  return `the installed SIPp ${caps.version} has no ${lacks(caps, transport, needs) ?? 'use here'}`;
}

/**
 * The runtime for one run. `auto`: native when the binary is installed and can do the transport, the
 * container otherwise. `native` with a binary that can't do it is an environment error that says so.
 */
export function chooseRuntime(
  kind: RuntimeKind,
  binary: string,
  transport: SippTransport,
  probe: (binary: string) => SippCapabilities | undefined = nativeCapabilities,
  needs: SippNeeds = {},
): 'native' | 'container' {
  if (kind === 'container') return 'container';
  const caps = probe(binary);
  const missing = caps && lacks(caps, transport, needs);
  if (kind === 'native') {
    if (missing) {
      const what = lacks(caps, transport) ? `--transport ${transport}` : 'this run';
      throw new EnvironmentError(
        `SIPp ${caps.version} (${which(binary)}) has no ${missing}, which ${what} needs: let it run in the sipp image (SIPp 3.8) with runtime auto or container (lab config runtime.sipp, or withRuntime)`,
      );
    }
    return 'native';
  }
  return caps && !missing ? 'native' : 'container';
}

/** A running SIPp however it runs. */
export interface SippProcess {
  readonly runtime: 'native' | 'container';
  /** Its pid as the host sees it (its sockets are in this host's /proc either way: host network). 0 once gone. */
  readonly pid: number;
  readonly running: boolean;
  readonly exited: Promise<ExitInfo>;
  /** What SIPp wrote to stderr (its errors; stdout is only its periodic screen). */
  stderr(): string;
  signal(sig: NodeJS.Signals): void;
}

export function nativeSipp(p: NativeProcess): SippProcess {
  return {
    runtime: 'native',
    pid: p.pid,
    get running() {
      return p.running;
    },
    exited: p.exited,
    stderr: () => p.stderr(),
    signal: (sig) => p.killGroup(sig),
  };
}

/** Docker reports a process ended by signal n as 128 + n; SIPp's own codes (0, 1, 95-99, 252-255) never fall there. */
export function exitInfoOf(code: number | null): ExitInfo {
  if (code === null) return { code: null, signal: 'SIGKILL' };
  const n = code - 128;
  const name = n > 0 && n < 32 ? (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) : undefined;
  return name ? { code: null, signal: name } : { code, signal: null };
}

export interface Mount {
  source: string;
  target: string;
  mode: 'ro' | 'rw';
}

function inside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * Bind mounts at the host's own paths: the folders SIPp writes to (rw), and the folders and files it reads
 * (ro). A path inside another mount is left out, as is a file argument that does not exist (SIPp then says so
 * itself, as it would natively).
 */
export function mountsFor(writable: string[], readable: string[]): Mount[] {
  const wanted: Mount[] = [
    ...writable.map((p) => ({ source: resolve(p), target: resolve(p), mode: 'rw' as const })),
    ...readable.map((p) => resolve(p)).filter((p) => existsSync(p)).map((p) => ({ source: p, target: p, mode: 'ro' as const })),
  ];
  if (wanted.some((m) => m.target === '/')) {
    throw new EnvironmentError(`SIPp in a container can't mount the filesystem root: keep the scenario and its files in a folder`);
  }
  // Writable ones first: a mount inside one kept already is dropped, unless it needs writing where that one is read-only.
  const out: Mount[] = [];
  for (const m of wanted) {
    const covering = out.find((o) => inside(m.target, o.target));
    if (covering && (covering.mode === 'rw' || m.mode === 'ro')) continue;
    out.push(m);
  }
  return out;
}

/** Absolute paths among free-form arguments that name existing files (e.g. `-inf /x.csv` given with withArgs). */
export function pathArguments(args: readonly string[]): string[] {
  return args.filter((a) => isAbsolute(a) && existsSync(a));
}

export interface ContainerSippOptions {
  name: string;
  args: string[];
  cwd: string;
  mounts: Mount[];
  secrets: readonly string[];
  /** Write the TLS secrets of its connections here (NSS key log format), through the image's shim. */
  keyLog?: string;
}

/** The sipp image's tag, or an environment error that says how to build it. */
export function sippImage(): string {
  const tag = imageTag('sipp');
  if (!imageExists(tag)) throw new EnvironmentError(`SIPp needs the container image ${tag} here (the native sipp can't do what is asked, or there is none): run \`${SIPP_IMAGE_HINT}\` (as root)`);
  return tag;
}

/**
 * SIPp as the container's first process (exec: signals reach it, and its pid is the one the host sees), its
 * stdout (the periodic screen) dropped so the container's output is its stderr, as natively. Same user as
 * this process, so the files it writes into the run's folder are ours to read and rewrite.
 */
export async function containerSipp(o: ContainerSippOptions): Promise<SippProcess> {
  const image = sippImage();
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  const c = await startContainer({
    name: o.name,
    image,
    command: ['sh', '-c', 'exec "$@" >/dev/null', 'sipp', 'sipp', ...o.args],
    binds: o.mounts,
    workingDir: o.cwd,
    ...(uid !== undefined && gid !== undefined ? { user: `${uid}:${gid}` } : {}),
    secrets: o.secrets,
    ...(o.keyLog ? { env: { LD_PRELOAD: KEYLOG_SHIM, SIPWRIGHT_KEYLOG: o.keyLog } } : {}),
  });
  const pid = await c.hostPid().catch(() => 0);
  return new ContainerSipp(c, pid);
}

class ContainerSipp implements SippProcess {
  readonly runtime = 'container' as const;
  readonly exited: Promise<ExitInfo>;
  private done = false;

  constructor(private readonly c: ContainerProcess, readonly pid: number) {
    // SIPp ends by itself; the container goes with it, once its exit code and output have been read.
    this.exited = c.waitExit().then(async (code) => {
      this.done = true;
      await c.stop(1000);
      return exitInfoOf(code);
    });
  }

  get running(): boolean {
    return !this.done && this.c.running;
  }

  stderr(): string {
    return this.c.output();
  }

  signal(sig: NodeJS.Signals): void {
    void this.c.kill(sig);
  }
}
