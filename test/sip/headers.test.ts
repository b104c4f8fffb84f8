/** Typed header values the suites rely on, each with a valid and a broken form. */
import { parseMessage } from '../../src/sip/parser.js';
import { parseUri, uriEquals, unescape, formatUri } from '../../src/sip/uri.js';

function msg(headers: string, start = 'INVITE sip:bob@b.test SIP/2.0'): ReturnType<typeof parseMessage>['message'] & object {
  const base = 'Via: SIP/2.0/UDP a.test;branch=z9hG4bK1\r\nFrom: <sip:a@a.test>;tag=1\r\nTo: <sip:b@b.test>\r\nCall-ID: x@a.test\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n';
  return parseMessage(Buffer.from(`${start}\r\n${base}${headers}Content-Length: 0\r\n\r\n`, 'latin1')).message!;
}
const codes = (m: { validate(): Array<{ code: string; severity: string }> }) => m.validate().filter((d) => d.severity === 'error').map((d) => d.code);

describe('header values', () => {
  test('compact forms and folding give the same values as long forms', () => {
    const m = msg('x: 1800;refresher=uac\r\nk: timer,\r\n 100rel\r\no: refer;id=7\r\nr: <sip:c@c.test?Replaces=abc%3Bto-tag%3D1>\r\n');
    expect(m.sessionExpires).toEqual(expect.objectContaining({ seconds: 1800, refresher: 'uac' }));
    expect(m.optionTags('supported')).toEqual(['timer', '100rel']);
    expect(m.event).toEqual(expect.objectContaining({ package: 'refer', id: '7' }));
    const rt = m.referTo!.uri!;
    expect(rt.kind === 'sip' && rt.headers).toEqual([{ name: 'Replaces', value: 'abc%3Bto-tag%3D1' }]);
    expect(codes(m)).toEqual([]);
  });

  test('Session-Expires and Min-SE: refresher must be uac or uas, values are delta-seconds', () => {
    const m = msg('Session-Expires: 90;refresher=them\r\nMin-SE: abc\r\n');
    expect(codes(m)).toEqual(expect.arrayContaining(['bad-refresher', 'bad-number']));
  });

  test('RAck and RSeq', () => {
    const ok = msg('RAck: 1 314 INVITE\r\n', 'PRACK sip:bob@b.test SIP/2.0');
    expect(ok.rack).toEqual({ rseq: 1, cseq: 314, method: 'INVITE' });
    const bad = msg('RAck: 1 INVITE\r\nRSeq: 0\r\n', 'PRACK sip:bob@b.test SIP/2.0');
    expect(codes(bad)).toEqual(expect.arrayContaining(['bad-rack', 'bad-rseq']));
  });

  test('Subscription-State with expires and reason', () => {
    const m = msg('Event: presence\r\nSubscription-State: terminated;reason=timeout\r\n', 'NOTIFY sip:bob@b.test SIP/2.0');
    expect(m.subscriptionState).toEqual(expect.objectContaining({ state: 'terminated', reason: 'timeout' }));
    const a = msg('Event: presence\r\nSubscription-State: active;expires=600\r\n', 'NOTIFY sip:bob@b.test SIP/2.0');
    expect(a.subscriptionState?.expires).toBe(600);
  });

  test('Contact list with quoted commas, q and expires; * is recognised', () => {
    const m = msg('Contact: "Doe, John" <sip:j@h1.test>;q=0.7;expires=60, <sip:j@h2.test;transport=tcp>;expires=0\r\n', 'REGISTER sip:b.test SIP/2.0');
    expect(m.contacts.map((c) => [c.displayName, c.params.get('q'), c.params.get('expires')])).toEqual([['Doe, John', '0.7', '60'], ['', undefined, '0']]);
    expect(codes(msg('Contact: <sip:j@h1.test>;q=1.5\r\n', 'REGISTER sip:b.test SIP/2.0'))).toContain('bad-q');
    expect(msg('Contact: *\r\nExpires: 0\r\n', 'REGISTER sip:b.test SIP/2.0').isContactStar).toBe(true);
  });

  test('Route and Record-Route must be bracketed', () => {
    expect(codes(msg('Record-Route: sip:p.test;lr\r\n'))).toContain('route-needs-brackets');
    expect(msg('Record-Route: <sip:p1.test;lr>, <sip:p2.test;lr>\r\n').recordRoutes).toHaveLength(2);
  });

  test('digest challenge problems surface as header diagnostics', () => {
    const m = msg('WWW-Authenticate: Digest realm="x", nonce="unterminated\r\n', 'SIP/2.0 401 Unauthorized');
    expect(m.validate().some((d) => d.header === 'www-authenticate' && d.severity === 'error')).toBe(true);
  });
});

describe('URIs', () => {
  test('sips, tel, and an absolute URI', () => {
    expect(parseUri('sips:alice@[2001:db8::1]:5061;transport=tls')).toEqual(expect.objectContaining({ kind: 'sip', scheme: 'sips', host: '2001:db8::1', port: 5061, ipv6: true }));
    expect(parseUri('tel:+1-201-555-0123;ext=12')).toEqual(expect.objectContaining({ kind: 'tel', number: '+1-201-555-0123' }));
    expect(parseUri('urn:service:sos')).toEqual(expect.objectContaining({ kind: 'absolute', scheme: 'urn' }));
  });

  test('a local tel number without phone-context is a warning', () => {
    const diags: Array<{ code: string }> = [];
    parseUri('tel:7042', 0, diags as never);
    expect(diags.map((d) => d.code)).toEqual(['tel-local-no-context']);
  });

  test('RFC 3261 §19.1.4 comparison: escapes, host case, and the params that must match', () => {
    const u = (s: string) => parseUri(s)!;
    expect(uriEquals(u('sip:%61lice@atlanta.com;transport=TCP'), u('sip:alice@AtLanTa.CoM;Transport=tcp'))).toBe(true);
    expect(uriEquals(u('sip:alice@atlanta.com'), u('sip:alice@atlanta.com;transport=tcp'))).toBe(false);
    expect(uriEquals(u('sip:alice@atlanta.com'), u('sip:alice@atlanta.com:5060'))).toBe(false);
    expect(uriEquals(u('sip:carol@chicago.com;security=on'), u('sip:carol@chicago.com;newparam=5'))).toBe(true);
  });

  test('unescape is single-pass and formatUri round-trips', () => {
    expect(unescape('%2541')).toBe('%41');
    const s = 'sip:user;par=u%40example.net@example.com;lr?h=v';
    expect(formatUri(parseUri(s)!)).toBe(s);
  });
});
