/** Typed options for the baresip endpoint (a real user agent); its config and account line come from these (config.ts). */

export type BaresipTransport = 'udp' | 'tcp';

export interface BaresipAccount {
  user: string;
  password: string;
  /** The AOR's domain: sip:user@domain, and the digest realm's usual value. */
  domain: string;
  /**
   * "host:port" of the registrar, which is also the outbound proxy every request goes through. Without it the
   * account does not register and calls go straight to the host of the dialled URI.
   */
  registrar?: string;
  /** How the account's requests travel (default udp). baresip listens on both either way. */
  transport?: BaresipTransport;
}

export interface BaresipOptions {
  /** The 127.x (or other) address SIP, RTP and the ctrl port bind to: baresip's net_interface. */
  address: string;
  port: number;
  /** Where ctrl_tcp listens on `address` (baresip's own default is 0.0.0.0:4444; nothing here binds 0.0.0.0). */
  ctrlPort: number;
  account?: BaresipAccount;
  /** answermode=auto: an incoming call is answered at once, with no 180 wait for answer(). */
  autoAnswer: boolean;
  /** Registration interval in seconds (Expires of its REGISTER), once register() is called. */
  registerIntervalS: number;
  /**
   * rtp_ports: RTP and RTCP only in this range. baresip itself binds RTP to every address (0.0.0.0:port, "we
   * listen on all interfaces" in its stream.c, no setting to change it); in its container a shim binds it to
   * `address` instead (driver.ts), but a native baresip holds the port on every address: give it ports of its
   * own (an address block's allocatePorts).
   */
  rtpPorts: { start: number; end: number };
}

/** ctrl_tcp's own default port, bound on the endpoint's address: endpoints on different addresses never clash. */
export const DEFAULT_CTRL_PORT = 4444;

export function defaultBaresipOptions(address: string, port = 5060): BaresipOptions {
  return {
    address,
    port,
    ctrlPort: DEFAULT_CTRL_PORT,
    autoAnswer: false,
    registerIntervalS: 600,
    // Above every address block's ports (10000 + 80 per block, up to 30079) and below Linux's ephemeral range
    // (32768…): a wildcard bind here takes no port a block hands out.
    rtpPorts: { start: 30100, end: 32700 },
  };
}
