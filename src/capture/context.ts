import { Findings } from './findings.js';
import { formatIpv6, Ipv4Names } from './ip-addr.js';
import { FragmentReassembler } from './ip-reassembly.js';
import { SctpReassembler } from './sctp-reassembly.js';
import { TcpTracker } from './tcp-tracker.js';
import { TlsKeyLog } from './tls-keylog.js';
import type { Endpoint, SipPayload, Transport } from './types.js';

export interface ExtractOptions {
  /** Bytes a single TCP direction, WebSocket message or SCTP message may buffer. Default 1 MiB. */
  maxReassemblyBytes?: number;
  /**
   * tshark's sip.strict_sip_version (default true): the version token must be exactly
   * "SIP/2.0". false accepts any case-insensitive "SIP/" like tshark's lenient mode.
   */
  strictSipVersion?: boolean;
  /**
   * TLS session keys in the NSS key log format (SSLKEYLOGFILE text, several endpoints' logs concatenated,
   * or a TlsKeyLog parsed once for many captures). With them, TLS connections on any port are decrypted
   * and their SIP messages come out with transport 'tls'; a connection they do not open yields a finding
   * saying why. Without them, TLS streams stay opaque (one warning each), as before.
   */
  tlsKeys?: string | TlsKeyLog;
}

export const DEFAULT_MAX_REASSEMBLY = 1024 * 1024;

/**
 * Per-capture decoding state shared by the layer decoders: the frame being decoded,
 * the innermost IP addresses, the reassemblers and the output.
 */
export class DecodeContext {
  frame = 0;
  time = 0;
  readonly payloads: SipPayload[] = [];
  readonly findings = new Findings();
  readonly maxReassemblyBytes: number;
  readonly strict: boolean;
  readonly ipv4Frags = new FragmentReassembler(this.findings, 'IPv4');
  readonly ipv6Frags = new FragmentReassembler(this.findings, 'IPv6');
  readonly tcp = new TcpTracker();
  readonly sctp = new SctpReassembler();
  /** Set when the caller gave TLS keys, or the capture holds some: TLS streams are then decrypted rather than reported opaque. */
  tlsKeys: TlsKeyLog | undefined;

  /** Innermost IP header's addresses, set by the IP decoders before a transport runs. */
  addrBuf: Buffer = Buffer.alloc(0);
  srcOff = 0;
  dstOff = 0;
  addrLen = 4;

  /** Set when a payload is emitted with an earlier frame than the previous one. */
  unordered = false;
  private readonly v4names = new Ipv4Names();
  private readonly endpoints = new Map<string, Map<number, Endpoint>>();

  constructor(options: ExtractOptions = {}) {
    const max = options.maxReassemblyBytes;
    // A nonsensical limit would silently drop every stream message; fall back instead.
    this.maxReassemblyBytes = max !== undefined && Number.isFinite(max) && max >= 1 ? Math.floor(max) : DEFAULT_MAX_REASSEMBLY;
    this.strict = options.strictSipVersion ?? true;
    const keys = options.tlsKeys;
    this.tlsKeys = typeof keys === 'string' ? new TlsKeyLog(keys) : keys;
    if (this.tlsKeys) this.reportBadKeyLines(this.tlsKeys, 'TLS key log');
  }

  /** Keys found in the capture itself (a pcapng Decryption Secrets Block), added to the caller's. */
  addTlsKeys(text: string): void {
    const found = new TlsKeyLog(text);
    this.reportBadKeyLines(found, 'TLS key log embedded in the capture');
    this.tlsKeys = this.tlsKeys ? this.tlsKeys.with(found) : found;
  }

  private reportBadKeyLines(log: TlsKeyLog, what: string): void {
    const lines = log.badLines;
    if (lines.length === 0) return;
    // Line numbers only: a malformed line may still hold a secret.
    const shown = lines.slice(0, 10).join(', ') + (lines.length > 10 ? ', …' : '');
    this.findings.add(this.frame, 'warning', `${what}: ${lines.length} line(s) not in the NSS key log format, ignored (line ${shown})`);
  }

  setAddresses(buf: Buffer, srcOff: number, dstOff: number, len: number): void {
    this.addrBuf = buf;
    this.srcOff = srcOff;
    this.dstOff = dstOff;
    this.addrLen = len;
  }

  srcIp(): string {
    return this.ipText(this.srcOff);
  }

  dstIp(): string {
    return this.ipText(this.dstOff);
  }

  /**
   * The current source/destination as an Endpoint. Endpoints are shared between
   * payloads (a capture has few of them and many messages; fewer live objects is
   * less garbage-collector work) and therefore frozen.
   */
  srcEndpoint(port: number): Endpoint {
    return this.endpoint(this.ipText(this.srcOff), port);
  }

  dstEndpoint(port: number): Endpoint {
    return this.endpoint(this.ipText(this.dstOff), port);
  }

  private endpoint(ip: string, port: number): Endpoint {
    let ports = this.endpoints.get(ip);
    if (ports === undefined) {
      if (this.endpoints.size >= 4096) this.endpoints.clear();
      ports = new Map();
      this.endpoints.set(ip, ports);
    }
    let e = ports.get(port);
    if (e === undefined) {
      if (ports.size >= 4096) ports.clear();
      e = Object.freeze({ ip, port });
      ports.set(port, e);
    }
    return e;
  }

  /**
   * A key naming the current address pair and the given ports, for flow tables;
   * `reversed` names the opposite direction (addresses swapped, ports as given).
   */
  flowKey(srcPort: number, dstPort: number, reversed = false): string {
    const b = this.addrBuf;
    const a1 = reversed ? this.dstOff : this.srcOff;
    const a2 = reversed ? this.srcOff : this.dstOff;
    if (this.addrLen === 4) return `${b.readUInt32BE(a1)}:${srcPort}>${b.readUInt32BE(a2)}:${dstPort}`;
    return `${b.toString('latin1', a1, a1 + 16)}:${srcPort}>${b.toString('latin1', a2, a2 + 16)}:${dstPort}`;
  }

  /** Stream transports pass the frame that completed the message, which may be an earlier one. */
  emit(transport: Transport, src: Endpoint, dst: Endpoint, bytes: Buffer, frame: number, time: number): void {
    const n = this.payloads.length;
    if (n > 0 && this.payloads[n - 1].frame > frame) this.unordered = true;
    this.payloads.push({ frame, time, src, dst, transport, bytes });
  }

  private ipText(off: number): string {
    return this.addrLen === 4 ? this.v4names.name(this.addrBuf, off) : formatIpv6(this.addrBuf, off);
  }
}
