/** Transactions, dialogs, parties and the query API, on real captures from test/vectors/pcaps. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { finalResponse } from '../../src/trace/transactions.js';
import { Trace } from '../../src/trace/trace.js';
import { renderTextLadder } from '../../src/trace/ladder-text.js';
import { flow } from '../support/flow.js';

const pcap = (name: string, parties?: Record<string, string>) =>
  Trace.fromCapture(extractSip(readFileSync(join(process.cwd(), 'test/vectors/pcaps', name))), { parties });

describe('forked early dialogs through a record-routing proxy (ipv6-frag capture)', () => {
  const P = 'fd17:625c:f037:2:a00:27ff:feb9';
  const t = pcap('call-b2bua-100rel-prack-update-ipv6-frag.pcap', { [`[${P}:1521]:15060`]: 'uac', [`[${P}:3519]:5062`]: 'proxy', [`[${P}:4222]:25060`]: 'uas' });

  test('parties are named from the address map', () => {
    expect(t.parties).toEqual(['uac', 'proxy', 'uas']);
  });

  test('two early dialogs share the Call-ID and the caller tag but not the callee tag', () => {
    expect(t.dialogs).toHaveLength(2);
    const [d1, d2] = t.dialogs;
    expect(d1.callId).toBe(d2.callId);
    expect(d1.callerTag).toBe(d2.callerTag);
    expect(d1.calleeTag).not.toBe(d2.calleeTag);
    // Each dialog's creator is the first hop's INVITE, which belongs to both.
    expect(d1.creator.request.index).toBe(0);
    expect(t.dialogsOf(t.messages[0])).toHaveLength(2);
  });

  test('each hop is its own INVITE transaction; the 200 OK retransmission is recognised', () => {
    const invites = t.transactionsOf('INVITE');
    expect(invites.map((x) => [x.client, x.server])).toEqual([['uac', 'proxy'], ['proxy', 'uas']]);
    const rtx = t.find({ status: 200, retransmissions: true }).filter((m) => m.retransmission);
    expect(rtx.map((m) => m.index)).toEqual([24]);
    expect(finalResponse(invites[1])!.status).toBe(200);
  });

  test('PRACK and UPDATE are non-INVITE transactions with one 200 each', () => {
    const pracks = t.transactionsOf('PRACK');
    expect(pracks).toHaveLength(4);
    for (const p of pracks) expect(p.responses.map((r) => r.status)).toEqual([200]);
  });

  test('query by method, party, status class and order', () => {
    const firstPrack = t.first({ method: 'PRACK', from: 'uac' })!;
    const the183 = t.last({ status: 183, to: 'uac', before: firstPrack })!;
    expect(the183.index).toBe(4);
    expect(t.responsesTo(t.messages[0]).map((m) => m.status)).toEqual([100, 183, 183, 200]);
    expect(t.requestOf(the183)!.index).toBe(0);
    expect(t.find({ status: '2xx', party: 'uas' }).length).toBeGreaterThan(0);
    expect(t.find({ method: 'BYE', after: firstPrack }).map((m) => m.from)).toEqual(['uac', 'proxy']);
  });

  test('one() names the one message a query means, and fails with the query and the ladder otherwise', () => {
    // The 200 to the uas's INVITE was retransmitted: one() counts first copies, so it is still one message.
    const ok = t.one({ status: 200, cseqMethod: 'INVITE', from: 'uas' });
    expect(ok.index).toBeLessThan(24);
    expect(t.one({ status: 200, cseqMethod: 'invite', from: 'uas', retransmissions: true, where: (m) => m.retransmission }).index).toBe(24);
    expect(() => t.one({ method: 'BYE', from: 'nobody' })).toThrow(/trace\.one\(\{ method: "BYE", from: "nobody" \}\): no message matches, expected exactly one[\s\S]*Ladder \(32 messages\)/);
    expect(() => t.one({ cseqMethod: 'PRACK', status: 200 })).toThrow(/4 messages match \(#\d+ 200 OK/);
    expect(t.find({ cseqMethod: 'PRACK', status: 200 })).toHaveLength(4);
  });

  test('the ladder names parties and lists every message', () => {
    const text = renderTextLadder(t.ladder());
    expect(text).toContain('uac');
    expect(text.split('\n').filter((l) => /#\d+/.test(l))).toHaveLength(32);
  });
});

describe('CANCEL and non-2xx ACK map onto their INVITE (aaa capture)', () => {
  const t = pcap('aaa-register-auth-invite-cancel-udp.pcap');

  test('every CANCEL transaction points at an INVITE transaction with the same branch', () => {
    const cancels = t.transactionsOf('CANCEL');
    expect(cancels.length).toBeGreaterThan(0);
    for (const c of cancels) {
      expect(c.cancels?.method).toBe('INVITE');
      expect(c.cancels?.branch).toBe(c.branch);
    }
  });

  test('ACKs for 407 belong to the INVITE transaction, not to a transaction of their own', () => {
    const withAck = t.transactionsOf('INVITE').filter((x) => x.acks.length > 0);
    expect(withAck.length).toBeGreaterThan(0);
    for (const x of withAck) expect(finalResponse(x)!.status).toBeGreaterThanOrEqual(300);
    expect(t.transactionsOf('ACK').every((x) => x.acks.length === 0)).toBe(true);
  });

  test('REGISTER challenge and retry are two transactions on one Call-ID', () => {
    const regs = t.transactionsOf('REGISTER');
    const byCallId = new Map<string, number>();
    for (const r of regs) byCallId.set(r.request.message.callId!, (byCallId.get(r.request.message.callId!) ?? 0) + 1);
    expect(Math.max(...byCallId.values())).toBeGreaterThan(1);
  });
});

describe('a B2BUA gives two dialogs with different Call-IDs (Asterisk capture)', () => {
  const t = pcap('call-asterisk-b2bua-reinvite.pcap');
  test('confirmed INVITE dialogs on separate Call-IDs with separate CSeq spaces', () => {
    const inv = t.dialogs.filter((d) => d.method === 'INVITE' && d.state === 'confirmed');
    const byCallId = new Map(inv.map((d) => [d.callId, d.creator.request.message.cseq!.seq]));
    expect(byCallId.size).toBe(2);
    // Zoiper's leg counts from 1 (its re-INVITE is 2), Asterisk's outgoing leg from 102: separate CSeq spaces.
    const [zoiper, asterisk] = [...byCallId.values()].sort((a, b) => a - b);
    expect(zoiper).toBeLessThan(10);
    expect(asterisk).toBe(102);
  });
});

describe('RFC 2543 fallback', () => {
  test('requests without the magic cookie are still grouped with their responses', async () => {
    const { parseMessage } = await import('../../src/sip/parser.js');
    const inv = parseMessage(readFileSync(join(process.cwd(), 'test/vectors/rfc4475/inv2543.dat'))).message!;
    const resp = parseMessage(Buffer.from(
      'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP iftgw.example.com\r\nFrom: <sip:+13035551111@ift.client.example.net;user=phone>\r\n' +
      'To: sip:+16505552222@ss1.example.net;user=phone;tag=x1\r\nCall-ID: inv2543.1717@ift.client.example.com\r\nCSeq: 56 INVITE\r\nContent-Length: 0\r\n\r\n')).message!;
    const a = { ip: '192.0.2.1', port: 5060 };
    const b = { ip: '192.0.2.2', port: 5060 };
    const t = Trace.fromMessages([{ message: inv, src: a, dst: b }, { message: resp, src: b, dst: a }]);
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0].rfc2543).toBe(true);
    expect(t.transactions[0].responses.map((r) => r.status)).toEqual([486]);
  });
});

test('fromPayloads reports its progress, ending with every payload parsed, unparsable ones included', () => {
  const read = extractSip(readFileSync(join(process.cwd(), 'test/vectors/pcaps/neg-fuzzed-aaa.pcap'))).payloads;
  const payloads = [...read, { ...read[0], bytes: Buffer.from('garbage') }];
  const seen: Array<[number, number]> = [];
  const trace = Trace.fromPayloads(payloads, { progress: (done, total) => seen.push([done, total]) });
  expect(trace.unparsed).toHaveLength(1);
  expect(seen[0]).toEqual([0, payloads.length]);
  expect(seen.at(-1)).toEqual([payloads.length, payloads.length]);
});

describe('a request turned back by a challenge and sent again with credentials', () => {
  const challenged = () => {
    const f = flow().invite('alice', 'proxy', { uri: 'sip:bob@lab.test' }).reply(407, { headers: { 'Proxy-Authenticate': 'Digest realm="lab.test", nonce="n1"' } }).ack();
    return f.invite('alice', 'proxy', { uri: 'sip:bob@lab.test', callId: f.msg(0).callId!, fromTag: f.msg(0).fromTag!, cseq: 2, headers: { 'Proxy-Authorization': 'Digest username="alice", realm="lab.test", nonce="n1", uri="sip:bob@lab.test", response="00"' } })
      .reply(200).ack().trace();
  };

  test('one(), earliest() and latest() name the request that went through, and the ACK of its 2xx', () => {
    const t = challenged();
    expect(t.one({ method: 'INVITE', from: 'alice' }).index).toBe(3);
    expect(t.earliest({ method: 'INVITE' }).index).toBe(3);
    expect(t.one({ method: 'ACK' }).index).toBe(5);
    // The challenge itself is still there to be named.
    expect(t.one({ status: 407 }).index).toBe(1);
  });

  test('find() keeps both, and a query asking for the challenged ones gets them', () => {
    const t = challenged();
    expect(t.find({ method: 'INVITE' }).map((m) => m.index)).toEqual([0, 3]);
    expect(t.earliest({ method: 'INVITE', challenged: true }).index).toBe(0);
    expect(() => t.one({ method: 'INVITE', challenged: true })).toThrow(/2 messages match[^]*\(retransmissions left out\)/);
    expect(() => t.one({ method: 'BYE' })).toThrow(/retransmissions and requests turned back by a 401\/407 left out/);
  });
});
