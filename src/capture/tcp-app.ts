import type { DecodeContext } from './context.js';
import { classifyHttpHead, HTTP_SWITCHING, HTTP_WS_REQUEST, httpStart } from './http-upgrade.js';
import { findHeaderEnd } from './sip-framing.js';
import { SipStream } from './sip-stream.js';
import { StreamBuffer } from './stream-buffer.js';
import type { StreamOwner } from './stream-owner.js';
import { TlsConnection } from './tls-connection.js';
import { TlsDirection } from './tls-direction.js';
import type { Endpoint } from './types.js';
import { WsStream } from './ws-stream.js';

const enum Mode {
  Detect,
  Sip,
  HttpRequest,
  HttpResponse,
  WsWait,
  Ws,
  Tls,
  TlsDecrypt,
  Dead,
}

export const SIP_TLS_PORT = 5061;
/** TLS on these ports is web/mail/DNS traffic; warning about it would only be noise. */
const NON_SIP_TLS_PORTS = new Set([443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 8443]);
const MAX_HTTP_HEAD = 64 * 1024;

/** State both directions of one TCP connection share. */
export class TcpConversation {
  tls = false;
  /** With TLS keys: the decryption state both directions share. */
  tlsConn?: TlsConnection;
  private tlsReported = false;

  constructor(readonly portA: number, readonly portB: number) {}

  /** A well-known TLS service that is not SIP: nobody expects its keys, so its absence is not news. */
  nonSipTls(): boolean {
    const sipPort = this.portA === SIP_TLS_PORT || this.portB === SIP_TLS_PORT;
    return !sipPort && (NON_SIP_TLS_PORTS.has(this.portA) || NON_SIP_TLS_PORTS.has(this.portB));
  }

  /** At most one warning per connection, and none for well-known non-SIP TLS services. */
  reportTls(app: TcpApp, frame: number): void {
    if (this.tlsReported) return;
    this.tlsReported = true;
    if (this.nonSipTls()) return;
    app.ctx.findings.add(frame, 'warning', `TLS stream, not decrypted: ${app.label} (SIP inside cannot be extracted)`);
  }
}

/**
 * The application layer of one TCP direction: decides what the stream carries
 * (SIP, a WebSocket upgrade, TLS, something else) and feeds the right parser.
 */
export class TcpApp implements StreamOwner {
  readonly sb = new StreamBuffer();
  peer!: TcpApp;
  private mode = Mode.Detect;
  private sip: SipStream | undefined;
  private ws: WsStream | undefined;
  private tls: TlsDirection | undefined;
  /** Bytes of an HTTP head already searched for its end. */
  private headScanned = 0;

  constructor(
    readonly ctx: DecodeContext,
    readonly src: Endpoint,
    readonly dst: Endpoint,
    readonly label: string,
    readonly conv: TcpConversation,
  ) {
    if (src.port === SIP_TLS_PORT || dst.port === SIP_TLS_PORT) conv.tls = true;
  }

  data(bytes: Buffer, frame: number, time: number): void {
    if (this.mode === Mode.Tls || this.mode === Mode.Dead) return;
    const segmentAt = this.sb.length;
    this.sb.append(bytes);
    this.run(frame, time, segmentAt);
  }

  /** Bytes before this point were lost. */
  gap(frame: number): void {
    if (this.mode === Mode.TlsDecrypt && this.tls) this.tls.gap(frame);
    else if (this.mode === Mode.Sip && this.sip) this.sip.gap(this.sb, frame);
    else if (this.mode === Mode.Ws && this.ws) {
      this.ws.end(frame);
      this.mode = Mode.Dead;
    }
    this.sb.clear();
  }

  end(frame: number): void {
    if (this.mode === Mode.TlsDecrypt && this.tls) this.tls.end(frame);
    else if (this.mode === Mode.Sip && this.sip) this.sip.end(this.sb, frame);
    else if (this.mode === Mode.Ws && this.ws) this.ws.end(frame);
    this.sb.clear();
  }

  /** The peer saw "101 Switching Protocols": what we hold is WebSocket from now on. */
  upgraded(frame: number, time: number): void {
    if (this.mode !== Mode.WsWait) return;
    this.mode = Mode.Ws;
    this.ws = new WsStream(this);
    this.run(frame, time);
  }

  private run(frame: number, time: number, segmentAt = 0): void {
    for (;;) {
      switch (this.mode) {
        case Mode.Detect:
          if (!this.detect(frame)) return;
          break;
        case Mode.Sip:
          this.sip!.process(this.sb, frame, time, segmentAt);
          return;
        case Mode.Ws:
          this.ws!.process(this.sb, frame, time);
          return;
        case Mode.TlsDecrypt:
          this.tls!.process(frame, time);
          return;
        case Mode.HttpRequest:
        case Mode.HttpResponse:
          if (!this.httpHead(frame, time)) return;
          break;
        case Mode.WsWait:
          if (this.sb.length > this.ctx.maxReassemblyBytes) this.sb.clear();
          return;
        default:
          this.sb.clear();
          return;
      }
    }
  }

  /** Chooses the mode from the first bytes; false when more are needed. */
  private detect(frame: number): boolean {
    const buf = this.sb.buf;
    const s = this.sb.start;
    const e = this.sb.end;
    if (this.conv.tls || isTlsRecord(buf, s, e)) {
      this.conv.tls = true;
      const keys = this.ctx.tlsKeys;
      if (keys) {
        this.conv.tlsConn ??= new TlsConnection(this.ctx, keys, this.label, this.conv.nonSipTls());
        this.tls = new TlsDirection(this.ctx, this.src, this.dst, this.label, this.sb, this.conv.tlsConn);
        this.mode = Mode.TlsDecrypt;
        return true;
      }
      this.conv.reportTls(this, frame);
      this.mode = Mode.Tls;
      return true;
    }
    if (e - s < 2 && buf[s] >= 0x14 && buf[s] <= 0x17) return false;
    const http = httpStart(buf, s, e);
    if (http === 0) return false;
    if (http === 1) this.mode = Mode.HttpRequest;
    else if (http === 2) this.mode = Mode.HttpResponse;
    else {
      this.mode = Mode.Sip;
      this.sip = new SipStream(this);
    }
    return true;
  }

  private httpHead(frame: number, time: number): boolean {
    const s = this.sb.start;
    const hdrEnd = findHeaderEnd(this.sb.buf, s + this.headScanned, this.sb.end);
    if (hdrEnd < 0) {
      this.headScanned = Math.max(0, this.sb.length - 3);
      if (this.sb.length <= MAX_HTTP_HEAD) return false;
      this.mode = Mode.Dead;
      return true;
    }
    this.headScanned = 0;
    const r = classifyHttpHead(this.sb.buf, s, hdrEnd);
    if (this.mode === Mode.HttpRequest && r === HTTP_WS_REQUEST) {
      this.sb.consume(hdrEnd - s);
      this.mode = Mode.WsWait;
      return true;
    }
    // The request may not have been captured; a 101 naming websocket is enough.
    if (this.mode === Mode.HttpResponse && r === HTTP_SWITCHING) {
      this.sb.consume(hdrEnd - s);
      this.mode = Mode.Ws;
      this.ws = new WsStream(this);
      this.peer.upgraded(frame, time);
      return true;
    }
    // Plain HTTP, or a refused upgrade: nothing for us in this direction.
    this.mode = Mode.Dead;
    if (this.peer.mode === Mode.WsWait) this.peer.mode = Mode.Dead;
    return true;
  }
}

/** A TLS record header: ContentType 20-23 then major version 3. */
function isTlsRecord(buf: Buffer, s: number, e: number): boolean {
  return e - s >= 2 && buf[s] >= 0x14 && buf[s] <= 0x17 && buf[s + 1] === 0x03;
}
