import { registerScenario, roleOfXml, scenario, ScenarioError, uacCallScenario, uasScenario } from '../../../drivers/sipp/index.js';
import { children, parseXml, sippAttr, type XmlNode } from './support.js';

const steps = (root: XmlNode) => root.children.map((c) => c.tag);

describe('SIPp scenario XML', () => {
  test('a registration with a challenge: well-formed, steps in order, jumps to defined labels, messages verbatim in CDATA', () => {
    const s = registerScenario({
      contacts: ['<sip:alice@10.0.0.1:5060>', { uri: 'sip:alice@10.0.0.2', expires: 60, q: 0.5 }],
      expires: 3600,
      auth: true,
      user: 'alice',
      domain: 'example.test',
    });
    const xml = s.toXml();
    const root = parseXml(xml);
    expect(root.tag).toBe('scenario');
    expect(root.attrs.name).toBe('register');
    expect(steps(root)).toEqual(['send', 'recv', 'recv', 'recv', 'label', 'send', 'recv', 'recv', 'label']);
    const recvs = children(root, 'recv');
    expect(recvs.map((r) => r.attrs.response)).toEqual(['100', '401', '407', '100', '200']);
    expect(recvs[1].attrs).toMatchObject({ optional: 'true', auth: 'true', next: 'challenged' });
    expect(recvs[2].attrs).toMatchObject({ auth: 'true' });
    expect(recvs[2].attrs.optional).toBeUndefined();
    const labels = children(root, 'label').map((l) => l.attrs.id);
    for (const r of recvs) if (r.attrs.next) expect(labels).toContain(r.attrs.next);

    const [first, second] = children(root, 'send').map((m) => m.text.trim());
    expect(first).toBe(s.messages()[0]);
    const lines = first.split('\n');
    expect(lines[0]).toBe('REGISTER sip:example.test SIP/2.0');
    expect(lines).toContain('Contact: <sip:alice@10.0.0.1:5060>');
    expect(lines).toContain('Contact: <sip:alice@10.0.0.2>;q=0.5;expires=60');
    expect(lines).toContain('Expires: 3600');
    expect(lines).toContain('CSeq: 1 REGISTER');
    expect(first).not.toContain('[authentication]');
    expect(second.split('\n')).toEqual(expect.arrayContaining(['CSeq: 2 REGISTER', '[authentication]']));
  });

  test('optional auth and no-auth variants: a challenge is answered only when allowed', () => {
    const optional = parseXml(registerScenario({ auth: 'optional', expect: 423 }).toXml());
    expect(children(optional, 'recv').map((r) => `${r.attrs.response}${r.attrs.optional ? '?' : ''}${r.attrs.next ? `->${r.attrs.next}` : ''}`)).toEqual([
      '100?',
      '401?->challenged',
      '407?->challenged',
      '423->done',
      '100?',
      '423',
    ]);
    const none = parseXml(registerScenario({ contacts: [], expect: 200 }).toXml());
    expect(steps(none)).toEqual(['send', 'recv', 'recv']);
    expect(children(none, 'send')[0].text).not.toMatch(/^Contact:/m);
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

  test('withT1 reaches builder scenarios as retrans on requests (not on ACK, not on responses)', () => {
    const root = parseXml(uacCallScenario().toXml({ defaultRetrans: 50 }));
    const sends = children(root, 'send').map((m) => [m.text.trim().split(' ')[0], m.attrs.retrans]);
    expect(sends).toEqual([
      ['INVITE', '50'],
      ['ACK', undefined],
      ['BYE', '50'],
    ]);
    const uas = parseXml(uasScenario({ t1Ms: 40 }).toXml({ defaultRetrans: 50 }));
    expect(children(uas, 'send').map((m) => m.attrs.retrans)).toEqual([undefined, '40', undefined]);
  });

  test('the stock UAC routes ACK and BYE by the Record-Route set, the UAS echoes it and routes its own BYE', () => {
    const uac = parseXml(uacCallScenario().toXml());
    const ok = children(uac, 'recv').find((r) => r.attrs.response === '200' && r.attrs.rrs);
    expect(ok).toBeDefined();
    for (const m of children(uac, 'send').slice(1)) {
      expect(m.text).toMatch(/^(ACK|BYE) \[next_url\] SIP\/2\.0$/m);
      expect(m.text).toMatch(/^\[routes\]$/m);
    }
    const uas = parseXml(uasScenario({ hangup: 'local' }).toXml());
    expect(children(uas, 'recv')[0].attrs).toMatchObject({ request: 'INVITE', rrs: 'true' });
    for (const m of children(uas, 'send').slice(0, 2)) expect(m.text).toMatch(/^\[last_Record-Route:\]$/m);
    const bye = children(uas, 'send')[2].text;
    expect(bye).toMatch(/^BYE \[next_url\] SIP\/2\.0$/m);
    expect(bye).toMatch(/^\[routes\]$/m);
    expect(uacCallScenario().role).toBe('uac');
    expect(uasScenario().role).toBe('uas');
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
