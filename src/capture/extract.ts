import { DecodeContext, type ExtractOptions } from './context.js';
import type { FrameSink } from './frame-sink.js';
import { decodeFrame } from './network.js';
import { isPcap, readPcap } from './pcap-reader.js';
import { isPcapng, readPcapng } from './pcapng-reader.js';
import { SECRETS_TLS_KEYLOG } from './pcapng-secrets.js';
import type { CaptureResult } from './types.js';

export type { ExtractOptions } from './context.js';
export type { CaptureFinding, CaptureResult, Endpoint, SipPayload, Transport } from './types.js';

/**
 * Every SIP message in a pcap or pcapng capture, in wire order. Damaged input
 * yields findings, never an exception; only a file that is neither format throws.
 *
 * Which frames hold SIP follows tshark 4.0 with default preferences (checked
 * against it in test/capture), except where tshark's behaviour would lose messages:
 * - TCP segments out of order are reordered (tshark: tcp.reassemble_out_of_order off);
 * - partly overlapping retransmissions keep the first copy and parsing goes on;
 * - a message following another inside a segment on a non-5060 port is kept (tshark's
 *   TCP heuristic loses it when it ends in the next segment);
 * - a UDP datagram that is SIP stays SIP on ports tshark gives to another dissector
 *   (DNS 53, H.225 RAS 1719 …);
 * - packets quoted inside ICMP errors are not looked into;
 * - data tshark labels "SIP Continuation" (mid-message TCP on port 5060) yields nothing;
 * - fragments of an IP datagram older than 60 s (capture time) are abandoned.
 *
 * Payload bytes are views on `file` wherever possible: keep the file unmodified
 * while the payloads are in use.
 */
export function extractSip(file: Buffer, options?: ExtractOptions): CaptureResult {
  const pcapng = isPcapng(file);
  if (!pcapng && !isPcap(file)) {
    const magic = file.length >= 4 ? file.readUInt32BE(0).toString(16).padStart(8, '0') : file.toString('hex');
    throw new Error(`not a pcap or pcapng file: bad magic 0x${magic}`);
  }
  const ctx = new DecodeContext(options);
  const sink: FrameSink = {
    frame(frameNo, time, linkType, data, off, end) {
      ctx.frame = frameNo;
      ctx.time = time;
      decodeFrame(ctx, linkType, data, off, end);
    },
    // Keys embedded in the capture (writePcapngWithSecrets, editcap --inject-secrets) decrypt it as in Wireshark.
    secrets(type, data) {
      if (type === SECRETS_TLS_KEYLOG) ctx.addTlsKeys(data.toString('utf8'));
    },
  };
  const summary = pcapng ? readPcapng(file, sink, ctx.findings) : readPcap(file, sink, ctx.findings);

  ctx.tcp.finish(ctx);
  ctx.ipv4Frags.finish();
  ctx.ipv6Frags.finish();
  ctx.sctp.finish(ctx.findings, ctx.frame);
  if (ctx.unordered) ctx.payloads.sort((a, b) => a.frame - b.frame);

  return {
    payloads: ctx.payloads,
    findings: ctx.findings.finish(),
    frames: summary.frames,
    linkTypes: summary.linkTypes,
    format: pcapng ? 'pcapng' : 'pcap',
  };
}
