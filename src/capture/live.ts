/**
 * Live capture with tcpdump, one per test. Start and stop are both confirmed on the wire, never by a sleep:
 * a marker datagram is sent to the captured network and the pcap file is polled until it shows up. After
 * the start marker, every later packet is captured; after the stop marker, every earlier one is in the file.
 */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { NativeProcess, spawnNative } from '../runtime/native.js';

export const TCPDUMP_INSTALL_HINT = 'apt-get install tcpdump (as root), or run `sipwright doctor`';

/** The UDP port markers go to: the discard port, so nothing answers them. */
const MARKER_PORT = 9;

export interface CaptureOptions {
  /** Where the pcap is written (kept: it is the test's evidence). */
  file: string;
  /** BPF filter, e.g. "net 127.100.3.0/24 or host 10.0.0.5". */
  filter: string;
  /** An address inside the filter, where markers are sent. */
  markerAddress: string;
  /**
   * Where markers are sent from, when the filter names ports (parties sharing an address): a port inside it.
   * Otherwise an ephemeral port of the system's choosing.
   */
  markerFrom?: { address: string; port: number };
  /** Interface; defaults to lo when the marker address is loopback, "any" otherwise. */
  iface?: string;
  name?: string;
  timeoutMs?: number;
}

function isLoopback(addr: string): boolean {
  return (isIP(addr) === 4 && addr.startsWith('127.')) || addr === '::1';
}

async function sendMarker(address: string, text: string, from?: { address: string; port: number }): Promise<void> {
  const sock = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: true });
  try {
    if (from) await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(from.port, from.address, () => resolve());
    });
    await new Promise<void>((resolve, reject) => sock.send(Buffer.from(text), MARKER_PORT, address, (e) => (e ? reject(e) : resolve())));
  } finally {
    sock.close();
  }
}

function fileContains(file: string, needle: Buffer): boolean {
  if (!existsSync(file) || statSync(file).size === 0) return false;
  return readFileSync(file).includes(needle);
}

/** Sends a marker until it appears in the file (a datagram can be lost; a poll costs nothing). */
async function confirmMarker(file: string, address: string, text: string, timeoutMs: number, name: string, proc: NativeProcess, from?: { address: string; port: number }): Promise<void> {
  const needle = Buffer.from(text);
  const deadline = Date.now() + timeoutMs;
  let nextSend = 0;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${name}: tcpdump exited: ${proc.tail()}`);
    if (Date.now() >= nextSend) {
      await sendMarker(address, text, from);
      nextSend = Date.now() + 200;
    }
    if (fileContains(file, needle)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name}: marker "${text}" never reached ${file} within ${timeoutMs} ms (is the filter right?)`);
}

/** The largest UDP datagram: a capture never truncates a SIP message. */
const CAPTURE_SNAPLEN = 65535;
/**
 * tcpdump's ring (-B, KiB). In immediate mode every slot is snaplen-sized (64 KiB), so the default 2 MB held
 * a few dozen packets and a busy CI machine dropped the rest. A bigger ring is not free: the kernel zeroes all
 * of it when the capture starts, in one system call the scheduler does not interrupt, and on this project's CI
 * machines (VMs that hand free memory back to the host) 64 MB took 250-350 ms of a CPU. With one capture per
 * test and three workers, two starts at once froze the whole machine that long, and a good Asterisk or
 * Kamailio answered or retransmitted past T1 (TMR-07, TMR-09, TMR-13: 4 of 7 whole-lab runs failed so).
 * 8 MB costs an eighth of that and, with loopback's duplicates left out (kernelFilter), holds 128 packets:
 * several times any burst a suite sends, and one more is not lost silently (stop() fails on a drop).
 */
const CAPTURE_RING_KIB = 8192;
/** How many packets the ring holds on loopback while tcpdump is not scheduled. */
export const CAPTURE_RING_PACKETS = CAPTURE_RING_KIB / 64;
/**
 * On loopback the kernel hands a packet socket each packet twice, going out and coming in; libpcap drops the
 * outgoing copy only after it took a ring slot. `inbound` drops it in the kernel's filter instead, which
 * doubles what the ring holds and loses nothing (every loopback packet comes in). Elsewhere (`any`, towards a
 * remote target) what we send is only ever outgoing, so the filter stays as it is.
 */
function kernelFilter(iface: string, filter: string): string {
  return iface === 'lo' ? `(${filter}) and inbound` : filter;
}

let markerSeq = 0;

export class LiveCapture {
  static async start(o: CaptureOptions): Promise<StartedCapture> {
    const iface = o.iface ?? (isLoopback(o.markerAddress) ? 'lo' : 'any');
    const name = o.name ?? `tcpdump ${iface} '${o.filter}'`;
    const timeoutMs = o.timeoutMs ?? 5000;
    // -Z root: tcpdump otherwise drops to its own user, which may not write into our report folder.
    // --immediate-mode: without it the kernel hands packets over in 1 s batches, and each marker waits for one.
    const proc = await spawnNative({
      name,
      command: 'tcpdump',
      args: ['-i', iface, '-n', '-s', String(CAPTURE_SNAPLEN), '-B', String(CAPTURE_RING_KIB), '-U', '--immediate-mode', '-Z', 'root', '-w', o.file, kernelFilter(iface, o.filter)],
      readyLine: /listening on/,
      readyTimeoutMs: timeoutMs,
      installHint: TCPDUMP_INSTALL_HINT,
    });
    try {
      await confirmMarker(o.file, o.markerAddress, `sipwright-capture-start-${process.pid}-${++markerSeq}`, timeoutMs, name, proc, o.markerFrom);
    } catch (e) {
      await proc.stop('SIGKILL', 0);
      throw e;
    }
    return new StartedCapture(proc, o.file, o.markerAddress, name, timeoutMs, o.markerFrom);
  }
}

export class StartedCapture {
  private stopped?: Promise<string>;

  constructor(
    private readonly proc: NativeProcess,
    readonly file: string,
    private readonly markerAddress: string,
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly markerFrom?: { address: string; port: number },
  ) {}

  get running(): boolean {
    return this.proc.running;
  }

  /** tcpdump's process id. */
  get pid(): number {
    return this.proc.pid;
  }

  /** Confirms everything sent so far is in the file, then stops tcpdump (SIGINT flushes it). Idempotent. */
  stop(): Promise<string> {
    this.stopped ??= (async () => {
      try {
        if (this.proc.running) {
          await confirmMarker(this.file, this.markerAddress, `sipwright-capture-stop-${process.pid}-${++markerSeq}`, this.timeoutMs, this.name, this.proc, this.markerFrom);
        }
      } finally {
        await this.proc.stop('SIGINT', 2000);
      }
      // tcpdump's exit summary: a capture that lost packets is not evidence to judge a target by.
      const dropped = /(\d+) packets? dropped by kernel/.exec(this.proc.output());
      if (dropped && Number(dropped[1]) > 0) {
        throw new Error(`${this.name}: the kernel dropped ${dropped[1]} packets during the capture, so ${this.file} is incomplete (machine overloaded?)`);
      }
      return this.file;
    })();
    return this.stopped;
  }

  bytes(): Buffer {
    return readFileSync(this.file);
  }
}
