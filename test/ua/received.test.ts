/**
 * What a user agent received is read back from its SIPp's message log, whichever SIPp wrote it: the host's
 * 3.6 ("bytes :") or the sipp image's 3.8 ("bytes:", used for TLS and with runtime.sipp container).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receivedMessages } from '../../src/ua/received.js';

const RESPONSE = (status: string, cseq: number) =>
  [`SIP/2.0 ${status}`, 'Via: SIP/2.0/TLS 127.0.0.1:5060;branch=z9hG4bK-1', 'From: <sip:alice@lab.test>;tag=a', 'To: <sip:alice@lab.test>;tag=r', 'Call-ID: c1', `CSeq: ${cseq} REGISTER`, 'Content-Length: 0', '', ''].join('\r\n');
const SENT = ['REGISTER sip:lab.test SIP/2.0', 'Via: SIP/2.0/TLS 127.0.0.1:5060;branch=z9hG4bK-1', 'Content-Length: 0', '', ''].join('\r\n');

/** A log as SIPp writes it: a separator line, the direction line, an empty line, the raw message. */
function log(colon: ' :' | ':', transport: string, entries: Array<['sent' | 'received', string]>): string {
  return entries.map(([dir, msg]) => `----------------------------------------------- 2026-12-07 05:52:50.149013\n${transport} message ${dir} [${Buffer.byteLength(msg)}] bytes${colon}\n\n${msg}\n`).join('');
}

describe('receivedMessages', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sipwright-received-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['SIPp 3.6', ' :', 'UDP'],
    ['SIPp 3.8', ':', 'TLS'],
  ] as const)('%s: the received messages in order, the sent ones left out', (_sipp, colon, transport) => {
    const file = join(dir, `${transport}.messages.log`);
    writeFileSync(file, log(colon, transport, [['sent', SENT], ['received', RESPONSE('401 Unauthorized', 1)], ['sent', SENT], ['received', RESPONSE('200 OK', 2)]]));
    const got = receivedMessages(file);
    expect(got.map((m) => (m.kind === 'response' ? `${m.status} ${m.get('cseq')}` : m.method))).toEqual(['401 1 REGISTER', '200 2 REGISTER']);
  });

  test('no log (a SIPp that never ran) is nothing received', () => {
    expect(receivedMessages(join(dir, 'none.log'))).toEqual([]);
    expect(receivedMessages(undefined)).toEqual([]);
  });
});
