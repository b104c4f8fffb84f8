/** IPv6 host text (src/util/host.ts), the route to an IPv6 destination, and SIPp's arguments for an IPv6 party. */
import { buildArgs, controlAddress, type SippOptions } from '../../drivers/sipp/args.js';
import { isLoopbackAddress, routeFromIp } from '../../src/runtime/route.js';
import { canonicalIp, hostPort, uriHost } from '../../src/util/host.js';

describe('IPv6 host text', () => {
  test('an IPv6 literal is bracketed before a port and in a URI, once; IPv4 and names are not', () => {
    expect(uriHost('2001:2::2')).toBe('[2001:2::2]');
    expect(uriHost('[2001:2::2]')).toBe('[2001:2::2]');
    expect(uriHost('198.18.1.2')).toBe('198.18.1.2');
    expect(uriHost('sip.example.test')).toBe('sip.example.test');
    expect(hostPort('2001:2:0:231::2', 5060)).toBe('[2001:2:0:231::2]:5060');
    expect(hostPort('198.18.1.2', 5060)).toBe('198.18.1.2:5060');
  });

  test('an IPv6 address is written as RFC 5952 says (the capture names it so); anything else is left alone', () => {
    expect(canonicalIp('2001:0002:0000:00E8::0002')).toBe('2001:2:0:e8::2');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('198.18.1.2')).toBe('198.18.1.2');
    expect(canonicalIp('sip.example.test')).toBe('sip.example.test');
  });
});

describe('the route to an IPv6 destination (ip -6 -j route get, as iproute2 6.x prints it)', () => {
  test('on a link of ours: its device and source address', () => {
    const routes = [{ dst: '2001:2:0:231::2', from: '::', dev: 'swo123x1', protocol: 'kernel', prefsrc: '2001:2:0:231::1', metric: 256, flags: [], pref: 'medium' }];
    expect(routeFromIp('2001:2:0:231::2', routes)).toEqual({ address: '2001:2:0:231::1', iface: 'swo123x1' });
  });

  test('through a gateway, and to an address of this machine (over lo, from itself, normalised)', () => {
    const viaGateway = [{ dst: '2001:2::5', from: '::', gateway: 'fd00::1', dev: 'eth0', prefsrc: 'fd00::2', metric: 1024, flags: [], pref: 'medium' }];
    expect(routeFromIp('2001:2::5', viaGateway)).toEqual({ address: 'fd00::2', iface: 'eth0' });
    expect(routeFromIp('0:0:0:0:0:0:0:1', [{ type: 'local', dev: 'lo' }])).toEqual({ address: '::1', iface: 'lo' });
  });

  test('no device or no source address is an error that says what to do', () => {
    expect(() => routeFromIp('2001:2::9', [])).toThrow('no route from this machine to 2001:2::9');
    expect(() => routeFromIp('2001:2::9', [{ dev: 'eth0' }])).toThrow(/has no source address: give one with --local-address/);
  });

  test('::1 in any spelling is loopback; another IPv6 address is not', () => {
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackAddress('2001:2::1')).toBe(false);
  });
});

describe('SIPp arguments for a party at an IPv6 address', () => {
  const files = { scenario: 's.xml', errors: 'e', messages: 'm', screen: 'sc', stats: 'st', logs: 'l' };
  const o: SippOptions = { binary: 'sipp', localIp: '2001:2:0:231::1', localPort: 10240, remote: '[2001:2:0:231::2]:5060', transport: 'udp', calls: 1, variables: {}, globals: {}, timeoutMs: 1000, injectionFiles: [], extraArgs: [] };

  test('SIP on the IPv6 address, the control socket on IPv4 loopback (SIPp opens it AF_INET whatever -ci says)', () => {
    const args = buildArgs(o, files, 'p', 9999).join(' ');
    expect(args).toMatch(/^\[2001:2:0:231::2\]:5060 -sf s\.xml -i 2001:2:0:231::1 -p 10240 -bind_local /);
    expect(args).toContain('-ci 127.0.0.1 -cp 9999');
    expect(controlAddress('2001:2:0:231::1')).toBe('127.0.0.1');
  });

  test('an IPv4 party keeps its control socket on its own address', () => {
    expect(buildArgs({ ...o, localIp: '198.18.1.1' }, files, 'p', 9999).join(' ')).toContain('-ci 198.18.1.1 -cp 9999');
  });
});
