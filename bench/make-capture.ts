/**
 * Writes a large, realistic SIP capture with the project's own pcap writer: calls through a proxy
 * (INVITE/100/180/200/ACK/BYE/200 with SDP) interleaved with digest registrations (REGISTER/401/REGISTER/200),
 * one call in twenty over TCP with messages split across segments.
 */
import { closeSync, openSync } from 'node:fs';
import { buildTcpSegments, buildUdpPacket } from '../src/capture/packet-builder.js';
import { LINKTYPE_ETHERNET, PcapStreamWriter, fdSink } from '../src/capture/pcap-writer.js';
import type { Endpoint } from '../src/capture/types.js';

const SDP = (ip: string, port: number, ver: number) =>
  `v=0\r\no=- 2890844526 ${ver} IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;

function msg(start: string, headers: string[], body = '', type = 'application/sdp'): Buffer {
  const h = [...headers, ...(body ? [`Content-Type: ${type}`] : []), `Content-Length: ${Buffer.byteLength(body)}`];
  return Buffer.from(`${start}\r\n${h.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

export function writeBenchCapture(file: string, minMessages: number): number {
  const fd = openSync(file, 'w');
  const w = new PcapStreamWriter(LINKTYPE_ETHERNET, fdSink(fd));
  let t = 1_700_000_000;
  let n = 0;
  let tcpSeq = new Map<string, number>();
  const send = (src: Endpoint, dst: Endpoint, payload: Buffer, tcp: boolean) => {
    t += 0.0007;
    if (tcp) {
      const k = `${src.ip}:${src.port}>${dst.ip}:${dst.port}`;
      const seq = tcpSeq.get(k) ?? 1000;
      for (const seg of buildTcpSegments({ src, dst, payload, seq, mss: 400 })) w.addPacket(t, seg);
      tcpSeq.set(k, seq + payload.length);
    } else w.addPacket(t, buildUdpPacket({ src, dst, payload }));
    n++;
  };
  for (let call = 0; n < minMessages; call++) {
    const tcp = call % 20 === 19;
    const tp = tcp ? 'TCP' : 'UDP';
    const a: Endpoint = { ip: `10.1.${(call >> 8) & 255}.${call & 255}`, port: 5060 };
    const p: Endpoint = { ip: '10.0.0.1', port: 5060 };
    const b: Endpoint = { ip: '10.2.0.2', port: 5060 };
    if (call % 4 === 0) {
      // Registration with a digest challenge.
      const base = [`From: <sip:u${call}@lab.test>;tag=r${call}f8a3c21e`, `To: <sip:u${call}@lab.test>`, `Call-ID: reg${call}@${a.ip}`, 'Max-Forwards: 70', `Contact: <sip:u${call}@${a.ip}:5060>`, 'Expires: 3600'];
      const via1 = `Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKr${call}a;rport`;
      const via2 = `Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKr${call}b;rport`;
      send(a, p, msg('REGISTER sip:lab.test SIP/2.0', [via1, ...base, 'CSeq: 1 REGISTER']), tcp);
      send(p, a, msg('SIP/2.0 401 Unauthorized', [via1, ...base.slice(0, 1), base[1] + ';tag=p' + call + '9d2e7b4a', base[2], 'CSeq: 1 REGISTER', `WWW-Authenticate: Digest realm="lab.test", nonce="n${call}abcdef", qop="auth", algorithm=MD5`]), tcp);
      send(a, p, msg('REGISTER sip:lab.test SIP/2.0', [via2, ...base, 'CSeq: 2 REGISTER', `Authorization: Digest username="u${call}", realm="lab.test", nonce="n${call}abcdef", uri="sip:lab.test", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="c${call}"`]), tcp);
      send(p, a, msg('SIP/2.0 200 OK', [via2, ...base.slice(0, 1), base[1] + ';tag=p' + call + '9d2e7b4a', base[2], 'CSeq: 2 REGISTER', `Contact: <sip:u${call}@${a.ip}:5060>;expires=3600`]), tcp);
    }
    const cid = `c${call}-8f3a92@${a.ip}`;
    const from = `From: "Alice ${call}" <sip:alice${call}@lab.test>;tag=a${call}c0ffee42`;
    const to = 'To: <sip:bob@lab.test>';
    const toT = `${to};tag=b${call}5eed1234`;
    const va = `Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKa${call};rport`;
    const vp = `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKp${call}`;
    const rr = 'Record-Route: <sip:10.0.0.1;lr>';
    const inv = (vias: string[], mf: number) => msg('INVITE sip:bob@lab.test SIP/2.0', [...vias, from, to, `Call-ID: ${cid}`, `CSeq: 1 INVITE`, `Max-Forwards: ${mf}`, `Contact: <sip:alice${call}@${a.ip}:5060>`, 'Supported: timer, 100rel', ...(mf === 69 ? [rr] : [])], SDP(a.ip, 20000 + (call % 10000) * 2, 1));
    send(a, p, inv([va], 70), tcp);
    send(p, a, msg('SIP/2.0 100 Trying', [va, from, to, `Call-ID: ${cid}`, 'CSeq: 1 INVITE']), tcp);
    send(p, b, inv([vp, va], 69), false);
    const resp = (start: string, vias: string[], body = '') => msg(start, [...vias, rr, from, toT, `Call-ID: ${cid}`, 'CSeq: 1 INVITE', `Contact: <sip:bob@${b.ip}:5060>`], body);
    send(b, p, resp('SIP/2.0 180 Ringing', [vp, va]), false);
    send(p, a, resp('SIP/2.0 180 Ringing', [va]), tcp);
    // Each call's media gets its own port, as a media server or gateway hands them out. One address answered
    // in every call (it was 10.2.0.2:30000 until 2026-11-24) sends tshark's RTP setup quadratic: it then took
    // 116 s on 200k messages instead of 13 s, and the bench measured that, not the reading of SIP.
    const media = 30000 + (call % 10000) * 2;
    send(b, p, resp('SIP/2.0 200 OK', [vp, va], SDP(b.ip, media, 1)), false);
    send(p, a, resp('SIP/2.0 200 OK', [va], SDP(b.ip, media, 1)), tcp);
    // In-dialog requests follow the route set (RFC 3261 §12.2.1.1); the proxy pops its Route and decrements
    // Max-Forwards when it forwards them.
    const inDialog = (method: string, seq: number, vias: string[], hop: 'caller' | 'proxy') =>
      msg(`${method} sip:bob@${b.ip}:5060 SIP/2.0`, [...vias, `Call-ID: ${cid}`, `Max-Forwards: ${hop === 'caller' ? 70 : 69}`, ...(hop === 'caller' ? ['Route: <sip:10.0.0.1;lr>'] : []), from, toT, `CSeq: ${seq} ${method}`]);
    send(a, p, inDialog('ACK', 1, [`Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKk${call};rport`], 'caller'), tcp);
    send(p, b, inDialog('ACK', 1, [`Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKq${call}`, `Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKk${call};rport`], 'proxy'), false);
    const vb = `Via: SIP/2.0/${tp} ${a.ip}:5060;branch=z9hG4bKy${call};rport`;
    const vpb = `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKz${call}`;
    send(a, p, inDialog('BYE', 2, [vb], 'caller'), tcp);
    send(p, b, inDialog('BYE', 2, [vpb, vb], 'proxy'), false);
    send(b, p, msg('SIP/2.0 200 OK', [vpb, vb, from, toT, `Call-ID: ${cid}`, 'CSeq: 2 BYE']), false);
    send(p, a, msg('SIP/2.0 200 OK', [vb, from, toT, `Call-ID: ${cid}`, 'CSeq: 2 BYE']), tcp);
  }
  w.flush();
  closeSync(fd);
  return n;
}
