/** What the capture layer hands to the trace layer: SIP payloads with their wire context. */

export type Transport = 'udp' | 'tcp' | 'sctp' | 'ws' | 'tls';

/** ip is canonical text: dotted IPv4, or RFC 5952 compressed lower-case IPv6 (no brackets). */
export interface Endpoint {
  ip: string;
  port: number;
}

export interface SipPayload {
  /** 1-based number of the frame that completed this message (tshark's frame.number). */
  frame: number;
  /** Capture time of that frame, seconds since the epoch (float, microsecond precision or better). */
  time: number;
  src: Endpoint;
  dst: Endpoint;
  transport: Transport;
  /** One SIP message for stream transports; the whole datagram (or SCTP DATA chunk) otherwise. */
  bytes: Buffer;
}

export interface CaptureFinding {
  frame: number;
  level: 'error' | 'warning';
  message: string;
}

export interface CaptureResult {
  payloads: SipPayload[];
  findings: CaptureFinding[];
  /** Number of frames (packets) read from the file. */
  frames: number;
  /** Link types seen (DLT numbers), for diagnostics. */
  linkTypes: number[];
  format: 'pcap' | 'pcapng';
}
