/**
 * analyze --json output pinned as it was before the speed work on large captures (header parses shared
 * between messages, lazy header fields, cached lists): a hash of the whole report of every reference
 * capture, and of a trace of every RFC 4475/5118 torture message and every captured message three times over
 * with mixed endpoints, so that the rules run on odd messages grouped together. A change to any message,
 * finding or order shows here; the other tests say which.
 *
 * Re-pinned once, when large traces came to be read in parts (test/trace/partition.test.ts): findings with the
 * same first message are now ordered by rule, and a defect reported once per text (DLG-03, REL-05, REL-12 …)
 * is reported at its earliest message. The findings themselves were compared one by one: no other change.
 *
 * Re-pinned again when findings came to lead with a message of the party at fault (the verdict goes to its
 * sender): compared one by one against 22c21f1, the only changes are the order of messages in PRX-05 (the
 * proxy's forwarded INVITE first, then the 2xx it kept) and TMR-04 (the client's INVITE, then the unACKed copy).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import type { SipPayload } from '../../src/capture/types.js';
import { analyzeCapture, toJson, toJsonText } from '../../src/cli/analyze.js';
import { runRules } from '../../src/rules/index.js';
import { Trace } from '../../src/trace/trace.js';

const VECTORS = join(process.cwd(), 'test/vectors');

const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

const PINNED: Record<string, string> = {
  'aaa-register-auth-invite-cancel-udp.pcap': '9b552472a8ebab8b',
  'call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng': '0bbc10667d0a5506',
  'call-asterisk-b2bua-reinvite.pcap': 'd9dd7657e0aeab1a',
  'call-b2bua-100rel-prack-update-ipv6-frag.pcap': 'ce972f3d9ce70a8d',
  'call-g711-register-udp-sip-only.pcap': 'eea33b92ec575b98',
  'call-invite-bye-ipv6-udp.pcap': 'b7afe10212bf98b5',
  'call-invite-sdp-bye-tcp.pcap': 'a85cd2ad7bd52c75',
  'call-tcp-in-ipip-tunnel.pcap': '88ddcbe1df1c0862',
  'call-websocket-407-b2bua-183.pcap': 'a05afd1366dea321',
  'ims-volte-register-aka-subscribe-invite-gtpu-sll.pcap': '3d1e1dccb88d08bf',
  'invite-sipi-isup-sctp-sll.pcap': '923dbd9bb89838f4',
  'neg-fuzzed-aaa.pcap': 'c7f4ab72838a6cdb',
  'neg-invalid-content-length.pcap': '95b2969bcf15f135',
  'neg-junk-before-request.pcap': '1256b729d364b226',
  'publish-single.pcap': 'f1f3ac9064a027ae',
  'register-200-tcp.pcap': '81503bb595d5624c',
  'register-401-digest-udp.pcapng': 'f92dab45695a8022',
  'register-401-invite-403-rawip.pcap': '2c3cacec75aa69c0',
  'register-401-tcp-to-udp-proxy-sll.pcap': 'd6c774200bcf7f08',
};

describe('analyze --json output is unchanged', () => {
  it.each(Object.keys(PINNED))('%s', (file) => {
    const { trace, findings, capture } = analyzeCapture(join(VECTORS, 'pcaps', file));
    expect(hash(toJson(basename(file), trace, findings, capture))).toBe(PINNED[file]);
    // What the CLI prints is written without the per-message objects, and must be the same text.
    expect(toJsonText(basename(file), trace, findings, capture)).toBe(JSON.stringify(toJson(basename(file), trace, findings, capture)));
  });

  it('on every torture and captured message, three times over', () => {
    const bytes: Buffer[] = [];
    for (const d of ['rfc4475', 'rfc5118']) {
      for (const f of readdirSync(join(VECTORS, d)).sort()) if (f.endsWith('.dat')) bytes.push(readFileSync(join(VECTORS, d, f)));
    }
    for (const f of readdirSync(join(VECTORS, 'pcaps')).sort()) {
      if (/\.pcapn?g?$/.test(f)) for (const p of extractSip(readFileSync(join(VECTORS, 'pcaps', f))).payloads) bytes.push(p.bytes);
    }
    const payloads: SipPayload[] = [];
    let time = 1_700_000_000;
    for (let rep = 0; rep < 3; rep++) {
      bytes.forEach((b, i) => {
        time += 0.01 * ((i * 7) % 5);
        const a = { ip: `10.0.${rep}.${i % 7}`, port: 5060 };
        const z = { ip: `10.0.9.${i % 3}`, port: 5060 + rep };
        payloads.push({ frame: payloads.length + 1, time, src: i % 2 ? a : z, dst: i % 2 ? z : a, transport: 'udp', bytes: b });
      });
    }
    const trace = Trace.fromPayloads(payloads);
    const findings = runRules(trace);
    expect(findings.length).toBe(1648);
    const capture = { format: 'pcap' as const, frames: payloads.length, linkTypes: [1], payloads, findings: [] };
    expect(hash(toJson('torture', trace, findings, capture))).toBe('9f915aa2f4485139');
    expect(toJsonText('torture', trace, findings, capture)).toBe(JSON.stringify(toJson('torture', trace, findings, capture)));
  });

  it('writes the message list as JSON.stringify would, for values that need escaping', () => {
    const ids = ['plain@host', 'quote"d@host', 'back\\slash@host', 'tab\there@host', 'caf\xe9@host', 'nul\u0001@host'];
    const payloads: SipPayload[] = ids.map((id, i) => ({
      frame: i + 1, time: 1_700_000_000 + i / 3, src: { ip: '10.0.0.1', port: 5060 }, dst: { ip: '::1', port: 5062 }, transport: 'udp',
      bytes: Buffer.from(`OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK${i}\r\nCall-ID: ${id}\r\nCSeq: ${i} OPTIONS\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nMax-Forwards: 70\r\n\r\n`, 'latin1'),
    }));
    const trace = Trace.fromPayloads(payloads);
    const capture = { format: 'pcap' as const, frames: payloads.length, linkTypes: [1], payloads, findings: [] };
    expect(trace.messages.map((m) => m.message.callId)).toEqual(ids);
    const findings = runRules(trace);
    expect(toJsonText('odd "name".pcap', trace, findings, capture)).toBe(JSON.stringify(toJson('odd "name".pcap', trace, findings, capture)));
  });
});
