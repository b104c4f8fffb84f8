/**
 * The rules over the reference captures (test/vectors/pcaps, see INDEX.md and the catalogue's "Sample
 * traffic"). Every MUST finding listed here was checked by eye against the capture and is a real defect in it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { extractSip } from '../../src/capture/extract.js';
import { runRules } from '../../src/rules/index.js';
import { Trace } from '../../src/trace/trace.js';

const DIR = 'test/vectors/pcaps';

function load(name: string): Trace {
  return Trace.fromCapture(extractSip(readFileSync(`${DIR}/${name}`)));
}

/** MUST findings of the protocol rules (SYN-* and PARSE belong to the parser's own tests), as "ID×count". */
function mustSummary(trace: Trace): string[] {
  const n = new Map<string, number>();
  for (const f of runRules(trace)) {
    if (f.level !== 'MUST' || f.rule.startsWith('SYN-') || f.rule === 'PARSE') continue;
    n.set(f.rule, (n.get(f.rule) ?? 0) + 1);
  }
  return [...n].map(([k, v]) => `${k}x${v}`).sort();
}

const EXPECTED: Record<string, string[]> = {
  'aaa-register-auth-invite-cancel-udp.pcap': ['CAN-06x1'],
  'call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng': ['PRX-19x1', 'UAC-01x13', 'UAS-02x2'],
  'call-asterisk-b2bua-reinvite.pcap': ['DLG-07x2', 'OA-03x1', 'PRX-19x2', 'UAC-02x1', 'UAS-01x4', 'UAS-12x1'],
  'call-b2bua-100rel-prack-update-ipv6-frag.pcap': ['DLG-03x3', 'DLG-06x1', 'OA-06x2', 'PRX-05x1', 'PRX-14x1', 'REL-09x1', 'REL-10x2', 'REL-12x1', 'UAS-03x1', 'UAS-13x1'],
  'call-g711-register-udp-sip-only.pcap': ['OA-03x1', 'UAS-02x1'],
  'call-invite-bye-ipv6-udp.pcap': ['DLG-07x1'],
  'call-invite-sdp-bye-tcp.pcap': [],
  'call-tcp-in-ipip-tunnel.pcap': ['UAS-01x2'],
  'call-websocket-407-b2bua-183.pcap': ['DLG-16x1', 'UAS-01x1'],
  'ims-volte-register-aka-subscribe-invite-gtpu-sll.pcap': ['DLG-03x1', 'DLG-07x1', 'REG-01x3', 'REG-02x3', 'UAS-02x1'],
  'invite-sipi-isup-sctp-sll.pcap': [],
  'neg-fuzzed-aaa.pcap': ['UAC-01x3', 'UAC-04x4', 'UAC-07x2', 'UAS-01x1', 'UAS-02x3', 'UAS-07x6', 'UAS-08x1'],
  'neg-invalid-content-length.pcap': ['DLG-01x1', 'OA-09x1', 'UAC-07x1'],
  'neg-junk-before-request.pcap': [],
  'publish-single.pcap': [],
  'register-200-tcp.pcap': [],
  'register-401-digest-udp.pcapng': ['PRX-19x4'],
  'register-401-invite-403-rawip.pcap': [],
  'register-401-tcp-to-udp-proxy-sll.pcap': ['PRX-19x2'],
};

describe('rules over the reference captures', () => {
  test('every capture is listed', () => {
    expect(readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    test(`${name}: MUST findings ${want.join(', ') || 'none'}`, () => {
      expect(mustSummary(load(name))).toEqual(want);
    });
  }

  test('b2bua 100rel capture: REL-09 names RAck 1 2 INVITE against CSeq 1, PRX-14 the To-tag rewrite', () => {
    const f = runRules(load('call-b2bua-100rel-prack-update-ipv6-frag.pcap'), { only: ['REL-09', 'PRX-14'] });
    expect(f.find((x) => x.rule === 'REL-09')?.message).toMatch(/RAck 1 2 INVITE, but the INVITE's CSeq is 1/);
    expect(f.find((x) => x.rule === 'PRX-14')?.message).toMatch(/To tag 1632476SIPpTag0171847 \(received 1632476SIPpTag0271847\)/);
  });

  test('b2bua 100rel capture: REL-01, REL-04 and DLG-09 pass', () => {
    expect(runRules(load('call-b2bua-100rel-prack-update-ipv6-frag.pcap'), { only: ['REL-01', 'REL-04', 'DLG-09'] })).toEqual([]);
  });

  test('IPv6 call: SYN-11 on the unbracketed Request-URI', () => {
    const f = runRules(load('call-invite-bye-ipv6-udp.pcap'), { only: ['SYN-11'] });
    expect(f.some((x) => x.messages[0] === 0)).toBe(true);
  });

  test('2xx retransmission capture: DLG-10 and TMR-13 pass on the textbook ladder', () => {
    const trace = load('call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng');
    const copies = trace.messages.filter((m) => m.status === 200 && m.message.cseq?.method === 'INVITE');
    expect(copies.length).toBe(11);
    expect(runRules(trace, { only: ['DLG-10', 'TMR-13'] })).toEqual([]);
  });

  test('2xx retransmission capture without its BYE: DLG-10 notices the session was not ended', () => {
    const cap = extractSip(readFileSync(`${DIR}/call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng`));
    const payloads = cap.payloads.filter((p) => !p.bytes.toString('latin1').startsWith('BYE '));
    const f = runRules(Trace.fromPayloads(payloads), { only: ['DLG-10'] });
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/did not end the session with BYE/)]);
  });

  test('2xx retransmission capture with the retransmissions thinned: TMR-13 fires', () => {
    const cap = extractSip(readFileSync(`${DIR}/call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng`));
    let n = 0;
    const payloads = cap.payloads.filter((p) => !(p.bytes.toString('latin1').startsWith('SIP/2.0 200') && / INVITE\r\n/.test(p.bytes.toString('latin1')) && ++n === 3));
    expect(runRules(Trace.fromPayloads(payloads), { only: ['TMR-13'] }).length).toBeGreaterThan(0);
  });

  test('aaa capture: INVITE retransmissions (TMR-01), CANCEL (CAN-01..04) and the challenges (UAC-10/11, UAS-07/08) pass', () => {
    expect(runRules(load('aaa-register-auth-invite-cancel-udp.pcap'), { only: ['TMR-01', 'CAN-01', 'CAN-02', 'CAN-03', 'CAN-04', 'UAC-10', 'UAC-11', 'UAS-07', 'UAS-08'] })).toEqual([]);
  });
});
