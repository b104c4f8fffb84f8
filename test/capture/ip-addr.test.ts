import { formatIpv4, formatIpv6 } from '../../src/capture/ip-addr.js';
import { parseIp } from '../../src/capture/packet-builder.js';

test.each([
  ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
  ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first run on a tie
  ['0:0:0:0:0:0:0:0', '::'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ['fd00:183:1:1:1886:9040:8605:32b8', 'fd00:183:1:1:1886:9040:8605:32b8'],
])('%s -> %s (RFC 5952)', (input, canonical) => {
  expect(formatIpv6(parseIp(input), 0)).toBe(canonical);
});

test('IPv4 is dotted decimal', () => {
  expect(formatIpv4(Buffer.from([0, 10, 0, 255, 1]), 1)).toBe('10.0.255.1');
});
