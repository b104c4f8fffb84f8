import { roleOfXml, scenario, ScenarioError } from '../../../drivers/sipp/index.js';
import { registration } from '../../support/ua.js';
import { children, parseXml, sippAttr, type XmlNode } from './support.js';

const steps = (root: XmlNode) => root.children.map((c) => c.tag);

describe('SIPp scenario XML', () => {
  test('a compiled scenario full of jumps (a registration answering a challenge): well-formed, every jump to a defined label, messages verbatim in CDATA', () => {
    const s = registration({ user: 'alice', domain: 'example.test', expires: 3600 });
    const root = parseXml(s.toXml());
    expect(root.tag).toBe('scenario');
    expect(root.attrs.name).toBe('register');
    const labels = children(root, 'label').map((l) => l.attrs.id);
    expect(new Set(labels).size).toBe(labels.length);
    const jumps = root.children.flatMap((c) => [c.attrs.next, c.attrs.ontimeout].filter((j): j is string => j !== undefined));
    expect(jumps.length).toBeGreaterThan(0);
    for (const j of jumps) expect(labels).toContain(j);
    // Each send's CDATA is the message as written, in the order written.
    const sent = children(root, 'send').map((m) => m.text.trim());
    expect(sent).toEqual(s.messages());
    expect(sent[0].split('\n')[0]).toBe('REGISTER sip:example.test SIP/2.0');
  });

  test('attribute values with < > & " and backslashes reach SIPp unchanged (XML entities, then SIPp backslash escapes)', () => {
    const regexp = String.raw`^"A & B" <sip:(\d+)@[^>]+>;tag=\\x`;
    const xml = scenario('escapes')
      .recv({ request: 'INVITE', actions: [{ ereg: { regexp, search_in: 'hdr', header: 'From:', assign_to: ['whole', 'num'], check_it: true } }] })
      .nop([{ log: { message: 'saw <[$num]> & "more"' } }])
      .toXml();
    const root = parseXml(xml);
    const ereg = children(children(children(root, 'recv')[0], 'action')[0], 'ereg')[0];
    expect(sippAttr(ereg.attrs.regexp)).toBe(regexp);
    expect(ereg.attrs).toMatchObject({ search_in: 'hdr', header: 'From:', assign_to: 'whole,num', check_it: 'true' });
    // The free-text attribute is written last: SIPp finds attributes by searching the tag text.
    expect(/<ereg ([^>]*)\/>/.exec(xml.replace(/&gt;/g, ''))![1].trim().startsWith('search_in=')).toBe(true);
    expect(xml.indexOf('regexp=')).toBeGreaterThan(xml.indexOf('assign_to='));
    const log = children(children(children(root, 'nop')[0], 'action')[0], 'log')[0];
    expect(sippAttr(log.attrs.message)).toBe('saw <[$num]> & "more"');
    // Assigned variables are declared used, so SIPp does not refuse ones only kept for the logs.
    expect(children(root, 'Reference')[0].attrs.variables.split(',').sort()).toEqual(['num', 'whole']);
  });

  test('template-literal messages lose their indentation; labels, pauses, nops and branching are emitted', () => {
    const s = scenario('branching')
      .send(
        `
          OPTIONS sip:[remote_ip] SIP/2.0
          Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
          Content-Length: 0
        `,
        { start_rtd: true, counter: 'sent_options' },
      )
      .recv({
        response: 200,
        rtd: true,
        timeout: 500,
        ontimeout: 'gone',
        actions: [{ ereg: { regexp: 'SIPp', search_in: 'hdr', header: 'Server:', assign_to: 'is_sipp' } }],
      })
      .nop([{ log: { message: 'answered by SIPp' } }], { condexec: 'is_sipp' })
      .pause(20, { next: 'end', test: 'is_sipp' })
      .label('gone')
      .nop([{ exec: { int_cmd: 'stop_now' } }])
      .label('end')
      .repartition({ responseTime: [10, 20] });
    const root = parseXml(s.toXml());
    expect(steps(root)).toEqual(['send', 'recv', 'nop', 'pause', 'label', 'nop', 'label', 'Reference', 'ResponseTimeRepartition']);
    const send = children(root, 'send')[0];
    expect(send.attrs).toEqual({ start_rtd: 'true', counter: 'sent_options' });
    expect(send.text.trim().split('\n')[0]).toBe('OPTIONS sip:[remote_ip] SIP/2.0');
    expect(send.text.trim()).not.toMatch(/^[ \t]/m);
    expect(children(root, 'recv')[0].attrs).toEqual({ response: '200', rtd: 'true', timeout: '500', ontimeout: 'gone' });
    expect(children(root, 'pause')[0].attrs).toEqual({ milliseconds: '20', next: 'end', test: 'is_sipp' });
    expect(children(root, 'nop')[0].attrs).toEqual({ condexec: 'is_sipp' });
    expect(s.role).toBe('uac');
  });

  test('withT1 reaches builder scenarios as retrans on requests (not on ACK, not on responses), a retrans of its own wins', () => {
    const message = (first: string) => `${first}\nContent-Length: 0\n`;
    const uac = scenario('uac')
      .send(message('INVITE sip:[service]@[remote_ip] SIP/2.0'))
      .recv({ response: 200 })
      .send(message('ACK sip:[service]@[remote_ip] SIP/2.0'))
      .send(message('BYE sip:[service]@[remote_ip] SIP/2.0'))
      .recv({ response: 200 });
    const root = parseXml(uac.toXml({ defaultRetrans: 50 }));
    expect(children(root, 'send').map((m) => [m.text.trim().split(' ')[0], m.attrs.retrans])).toEqual([
      ['INVITE', '50'],
      ['ACK', undefined],
      ['BYE', '50'],
    ]);
    const uas = scenario('uas')
      .recv({ request: 'INVITE' })
      .send(message('SIP/2.0 180 Ringing'))
      .send(message('SIP/2.0 200 OK'), { retrans: 40 })
      .recv({ request: 'ACK' })
      .send(message('OPTIONS sip:[service]@[remote_ip] SIP/2.0'), { retrans: 30 });
    expect(children(parseXml(uas.toXml({ defaultRetrans: 50 })), 'send').map((m) => m.attrs.retrans)).toEqual([undefined, '40', '30']);
    expect([uac.role, uas.role]).toEqual(['uac', 'uas']);
  });

  test('mistakes SIPp would only report at run time are thrown when the XML is made', () => {
    expect(() => scenario('x').send('OPTIONS sip:a SIP/2.0', { next: 'nowhere' }).toXml()).toThrow(/label "nowhere", which is not defined/);
    expect(() => scenario('x').recv({ response: 200, test: 'flag' }).toXml()).toThrow(/test variable "flag" is never assigned/);
    expect(() => scenario('x').send('REGISTER sip:a SIP/2.0\n[authentication]').toXml()).toThrow(/no earlier recv that has auth: true/);
    expect(() =>
      scenario('x').recv({ response: 401, auth: true }).send('REGISTER sip:a SIP/2.0\n[authentication username=a password=secret]').toXml(),
    ).toThrow(/withAuth/);
    expect(() => scenario('x').send('MESSAGE sip:a SIP/2.0\n\nend ]]> here').toXml()).toThrow(/\]\]>/);
    expect(() => scenario('x').recv({ response: 200, request: 'BYE' })).toThrow(/exactly one of response and request/);
    expect(() => scenario('x').recv({ response: 99 })).toThrow(/not a SIP status code/);
    expect(() => scenario('x').label('a b')).toThrow(ScenarioError);
    expect(() => scenario('x').label('a').label('a')).toThrow(/defined twice/);
    expect(() => scenario('say "hi"')).toThrow(/plain text/);
    expect(() =>
      scenario('x').recv({ response: 200, actions: [{ ereg: { regexp: 'a header="b"', search_in: 'msg', assign_to: 'v' } }] }).toXml(),
    ).toThrow(/take for that attribute/);
    expect(() => scenario('x').recv({ response: 200, actions: [{ ereg: { regexp: 'a', search_in: 'hdr', assign_to: 'v' } }] }).toXml()).toThrow(/needs a header/);
    expect(() => scenario('x').recv({ response: 200, timeout: undefined, ontimeout: 'l' }).label('l').toXml()).toThrow(/ontimeout needs a timeout/);
    const big = scenario('big');
    for (let i = 0; i < 700; i++) big.send(`MESSAGE sip:a SIP/2.0\nX-Filler: ${'x'.repeat(80)}`);
    expect(() => big.toXml()).toThrow(/SIPp reads at most 65536/);
  });

  test('the role of an existing XML file is read from its first message step, ignoring comments and CDATA', () => {
    expect(roleOfXml('<?xml version="1.0"?><scenario><!-- <send> --><recv request="INVITE"/></scenario>')).toBe('uas');
    expect(roleOfXml('<?xml version="1.0"?><scenario><send><![CDATA[<recv>]]></send></scenario>')).toBe('uac');
  });
});
